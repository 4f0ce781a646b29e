import Foundation

extension RGBImage {
    /// A small line chart of `values` (the objective per step) that explains itself: its title,
    /// the objective's lowest and highest values on the vertical axis, the first and last step
    /// on the horizontal one, the curve in blue on white. For `--plot-loss`.
    public static func lineChart(_ values: [Float], width: Int = 320, height: Int = 160) -> RGBImage {
        var img = RGBImage(width: width, height: height, pixels: [UInt8](repeating: 255, count: width * height * 3))
        func set(_ x: Int, _ y: Int, _ rgb: (UInt8, UInt8, UInt8)) {
            guard x >= 0, y >= 0, x < width, y < height else { return }
            let o = (y * width + x) * 3
            img.pixels[o] = rgb.0
            img.pixels[o + 1] = rgb.1
            img.pixels[o + 2] = rgb.2
        }
        let finite = values.filter(\.isFinite)
        let lo = finite.min() ?? 0, hi = finite.max() ?? 0
        func text(_ v: Float) -> String { abs(v) >= 1000 ? String(Int(v.rounded())) : String(format: "%.4g", Double(v)) }
        let (hiText, loText) = (text(hi), text(lo))
        let left = max(RGBImage.labelWidth(hiText), RGBImage.labelWidth(loText)) + 3
        let right = width - 8, top = 12, bottom = height - 12
        img.label("objective per step", x: left, y: 1, ink: 60, paper: 255)
        img.label(hiText, x: left - 2 - RGBImage.labelWidth(hiText), y: top - 3, ink: 60, paper: 255)
        img.label(loText, x: left - 2 - RGBImage.labelWidth(loText), y: bottom - 3, ink: 60, paper: 255)
        img.label("1", x: left - 1, y: bottom + 3, ink: 60, paper: 255)
        img.label("step", x: (left + right - RGBImage.labelWidth("step")) / 2, y: bottom + 3, ink: 60, paper: 255)
        img.label(String(values.count), x: right + 1 - RGBImage.labelWidth(String(values.count)), y: bottom + 3, ink: 60, paper: 255)
        for x in left...right { set(x, bottom, (160, 160, 160)) }
        for y in top...bottom { set(left, y, (160, 160, 160)) }
        guard !finite.isEmpty else { return img }
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
        return img
    }
}
