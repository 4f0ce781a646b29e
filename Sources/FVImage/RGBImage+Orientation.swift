/// A photo's EXIF orientation applied, as every photo viewer does: cameras store the sensor's
/// rows and say in the Orientation tag (1-8) how to turn them.
extension RGBImage {
    /// The picture a viewer shows for EXIF orientation `o` (1 or anything unknown: unchanged).
    public func oriented(exif o: Int) -> RGBImage {
        guard (2...8).contains(o) else { return self }
        let (w, h) = (width, height)
        let swaps = o >= 5
        let (ow, oh) = swaps ? (h, w) : (w, h)
        var out = [UInt8](repeating: 0, count: pixels.count)
        for y in 0..<oh {
            for x in 0..<ow {
                // The stored pixel shown at (x, y).
                let (sx, sy): (Int, Int)
                switch o {
                case 2: (sx, sy) = (w - 1 - x, y)          // mirrored
                case 3: (sx, sy) = (w - 1 - x, h - 1 - y)  // turned 180
                case 4: (sx, sy) = (x, h - 1 - y)          // flipped
                case 5: (sx, sy) = (y, x)                  // transposed
                case 6: (sx, sy) = (y, h - 1 - x)          // turned 90 clockwise
                case 7: (sx, sy) = (w - 1 - y, h - 1 - x)  // transversed
                default: (sx, sy) = (w - 1 - y, x)         // 8: turned 90 counter-clockwise
                }
                let s = 3 * (sy * w + sx), d = 3 * (y * ow + x)
                out[d] = pixels[s]
                out[d + 1] = pixels[s + 1]
                out[d + 2] = pixels[s + 2]
            }
        }
        return RGBImage(width: ow, height: oh, pixels: out)
    }
}
