extension RGBImage {
    /// A small line chart of `values` (the objective per step): white background, grey axes,
    /// the curve in blue, the last value's integer part written at the top right and the step
    /// count at the bottom right, in the grid labels' digits. For `--plot-loss`.
    public static func lineChart(_ values: [Float], width: Int = 320, height: Int = 160) -> RGBImage {
        var img = RGBImage(width: width, height: height, pixels: [UInt8](repeating: 255, count: width * height * 3))
        func set(_ x: Int, _ y: Int, _ rgb: (UInt8, UInt8, UInt8)) {
            guard x >= 0, y >= 0, x < width, y < height else { return }
            let o = (y * width + x) * 3
            img.pixels[o] = rgb.0
            img.pixels[o + 1] = rgb.1
            img.pixels[o + 2] = rgb.2
        }
        let left = 8, right = width - 8, top = 12, bottom = height - 12
        for x in left...right { set(x, bottom, (160, 160, 160)) }
        for y in top...bottom { set(left, y, (160, 160, 160)) }
        let finite = values.filter(\.isFinite)
        guard finite.count >= 1, let lo = finite.min(), let hi = finite.max() else { return img }
        let span = hi > lo ? hi - lo : 1
        func point(_ i: Int) -> (Int, Int) {
            let x = left + (values.count == 1 ? 0 : i * (right - left) / (values.count - 1))
            let v = values[i].isFinite ? values[i] : lo
            return (x, bottom - Int(((v - lo) / span) * Float(bottom - top)))
        }
        var previous = point(0)
        var lastY = previous.1
        for i in 0..<values.count {
            let p = point(i)
            // Linear between points; each column joined to the last by a vertical run, so steep
            // rises stay connected.
            for x in previous.0...max(previous.0, p.0) {
                let t = p.0 == previous.0 ? 1 : Double(x - previous.0) / Double(p.0 - previous.0)
                let y = previous.1 + Int((Double(p.1 - previous.1) * t).rounded())
                for yy in min(lastY, y)...max(lastY, y) {
                    set(x, yy, (30, 90, 200))
                    set(x, yy + 1, (30, 90, 200))
                }
                lastY = y
            }
            previous = p
        }
        if let last = finite.last, abs(last) < 1e9 {
            let n = Int(last.rounded())
            if n >= 0 { img.label(n, x: right - (String(n).count * 4 + 1) * 2, y: 0, dot: 2) }
        }
        img.label(values.count, x: right - (String(values.count).count * 4 + 1), y: height - 7, dot: 1)
        return img
    }
}
