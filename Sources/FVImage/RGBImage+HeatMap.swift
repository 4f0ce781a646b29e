extension RGBImage {
    /// `map` (mapWidth x mapHeight values, row by row, e.g. one filter's activations) stretched
    /// over this image (bilinear), scaled to its own maximum and laid over it in the "jet"
    /// colours (blue: nothing, red: the strongest): where a filter fires in a photo.
    public func overlaid(heatMap map: [Float], mapWidth: Int, mapHeight: Int) -> RGBImage {
        precondition(map.count == mapWidth * mapHeight && mapWidth > 0 && mapHeight > 0)
        let peak = map.max() ?? 0
        var out = pixels
        for y in 0..<height {
            // Pixel centres mapped onto the map's grid of centres.
            let fy = min(max((Float(y) + 0.5) * Float(mapHeight) / Float(height) - 0.5, 0), Float(mapHeight - 1))
            let y0 = Int(fy), y1 = min(y0 + 1, mapHeight - 1), ty = fy - Float(y0)
            for x in 0..<width {
                let fx = min(max((Float(x) + 0.5) * Float(mapWidth) / Float(width) - 0.5, 0), Float(mapWidth - 1))
                let x0 = Int(fx), x1 = min(x0 + 1, mapWidth - 1), tx = fx - Float(x0)
                let top = map[y0 * mapWidth + x0] * (1 - tx) + map[y0 * mapWidth + x1] * tx
                let bottom = map[y1 * mapWidth + x0] * (1 - tx) + map[y1 * mapWidth + x1] * tx
                let v = peak > 0 ? max(0, min(1, (top * (1 - ty) + bottom * ty) / peak)) : 0
                let colour = RGBImage.jet(v)
                for c in 0..<3 {
                    let i = (y * width + x) * 3 + c
                    out[i] = UInt8((0.45 * Float(pixels[i]) + 0.55 * colour[c]).rounded())
                }
            }
        }
        var shown = RGBImage(width: width, height: height, pixels: out)
        shown.drawScale(peak: peak)
        return shown
    }

    /// The colour scale in the bottom-left corner: the jet ramp from 0 to the map's peak, with
    /// both ends written, so a reader knows what red means (skipped on pictures too small for it).
    mutating func drawScale(peak: Float) {
        let peakText = peak >= 100 ? String(Int(peak.rounded())) : String(format: "%.3g", Double(peak))
        let barW = min(width / 3, 96), barH = 5
        guard width >= 48, height >= 24, barW >= RGBImage.labelWidth("0") + RGBImage.labelWidth(peakText) else { return }
        let top = height - barH - 8
        for y in (top - 1)..<(top + barH + 1) {
            for x in 0..<(barW + 2) {
                let colour: [Float] = x == 0 || x == barW + 1 || y < top || y >= top + barH ? [0, 0, 0] : RGBImage.jet(Float(x - 1) / Float(barW - 1))
                for c in 0..<3 { pixels[(y * width + x) * 3 + c] = UInt8(colour[c]) }
            }
        }
        label("0", x: 0, y: height - 7)
        label(peakText, x: barW + 2 - RGBImage.labelWidth(peakText), y: height - 7)
    }

    /// The "jet" colour map, 0...1 to RGB in 0...255.
    static func jet(_ v: Float) -> [Float] {
        func ramp(_ d: Float) -> Float { max(0, min(1, 1.5 - abs(4 * v - d))) * 255 }
        return [ramp(3), ramp(2), ramp(1)]
    }
}
