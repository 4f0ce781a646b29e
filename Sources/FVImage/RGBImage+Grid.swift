extension RGBImage {
    /// Tiles equal-sized images into rows of `columns`, `margin` black pixels between them (the
    /// layer grid of Chollet's notebook: 8x8 tiles, 5 px margin).
    public static func grid(_ tiles: [RGBImage], columns: Int, margin: Int) -> RGBImage {
        precondition(!tiles.isEmpty && columns > 0)
        let tw = tiles[0].width, th = tiles[0].height
        let cols = min(columns, tiles.count)
        let rows = (tiles.count + cols - 1) / cols
        let w = cols * tw + (cols - 1) * margin, h = rows * th + (rows - 1) * margin
        var px = [UInt8](repeating: 0, count: w * h * 3)
        for (i, t) in tiles.enumerated() {
            precondition(t.width == tw && t.height == th, "grid tiles must share one size")
            let x0 = (i % cols) * (tw + margin), y0 = (i / cols) * (th + margin)
            for y in 0..<th {
                let dst = ((y0 + y) * w + x0) * 3
                px.replaceSubrange(dst..<(dst + tw * 3), with: t.pixels[(y * tw * 3)..<((y + 1) * tw * 3)])
            }
        }
        return RGBImage(width: w, height: h, pixels: px)
    }

    /// This image under a black band with `title` written in it, each glyph pixel `dot` x `dot`:
    /// a labelled contact sheet says which layer it shows.
    public func titled(_ title: String, dot: Int = 1) -> RGBImage {
        let band = 9 * dot
        var out = RGBImage(width: width, height: height + band, pixels: [UInt8](repeating: 0, count: width * band * 3) + pixels)
        out.label(title, x: 0, y: dot, dot: dot)
        return out
    }
}
