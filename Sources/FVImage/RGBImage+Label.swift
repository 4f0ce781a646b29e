extension RGBImage {
    /// Digits 0-9 as 3x5 pixel glyphs, one row a byte (bit 2 is the left column).
    static let digitGlyphs: [[UInt8]] = [
        [7, 5, 5, 5, 7], [2, 6, 2, 2, 7], [7, 1, 7, 4, 7], [7, 1, 7, 1, 7], [5, 5, 7, 1, 1],
        [7, 4, 7, 1, 7], [7, 4, 7, 5, 7], [7, 1, 1, 1, 1], [7, 5, 7, 5, 7], [7, 5, 7, 1, 7],
    ]

    /// Writes `number` in white 3x5 digits (each pixel `dot` x `dot`) on a black box at (x, y):
    /// the filter numbers on grid tiles. Whatever does not fit is clipped.
    public mutating func label(_ number: Int, x: Int, y: Int, dot: Int = 1) {
        let digits = String(number).compactMap { $0.wholeNumberValue }
        let boxW = (digits.count * 4 + 1) * dot, boxH = 7 * dot
        func set(_ px: Int, _ py: Int, _ v: UInt8) {
            guard px >= 0, py >= 0, px < width, py < height else { return }
            let o = (py * width + px) * 3
            pixels[o] = v
            pixels[o + 1] = v
            pixels[o + 2] = v
        }
        for py in 0..<boxH { for px in 0..<boxW { set(x + px, y + py, 0) } }
        for (i, d) in digits.enumerated() {
            for (row, bits) in RGBImage.digitGlyphs[d].enumerated() {
                for col in 0..<3 where bits & (4 >> col) != 0 {
                    for dy in 0..<dot { for dx in 0..<dot { set(x + ((1 + i * 4 + col) * dot) + dx, y + ((1 + row) * dot) + dy, 255) } }
                }
            }
        }
    }

    /// Each pixel as a `factor` x `factor` block (nearest neighbour: small tiles stay sharp).
    public func scaled(by factor: Int) -> RGBImage {
        precondition(factor >= 1)
        if factor == 1 { return self }
        let w = width * factor, h = height * factor
        var out = [UInt8](repeating: 0, count: w * h * 3)
        for y in 0..<h {
            let sy = y / factor
            for x in 0..<w {
                let s = (sy * width + x / factor) * 3, d = (y * w + x) * 3
                out[d] = pixels[s]
                out[d + 1] = pixels[s + 1]
                out[d + 2] = pixels[s + 2]
            }
        }
        return RGBImage(width: w, height: h, pixels: out)
    }
}
