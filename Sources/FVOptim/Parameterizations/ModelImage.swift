import FVModel

/// Converting between the network's input space and viewable pixels. Keras' VGG16 takes BGR;
/// fvd writes PNGs in true RGB order. (The seed notebook passed its BGR array straight to the
/// image display, so its pictures have red and blue swapped relative to fvd's.)
public enum ModelImage {
    /// The notebook's display mapping: clip(x / 255, 0, 1), here rounded to 8 bits, BGR -> RGB.
    public static func rgb(fromBGR x: [Float]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: x.count)
        CaffeInput.toRGB(pixels: x.count / 3, addMean: false, { x[$0] }) { out[$0] = UInt8((min(max($1 / 255, 0), 1) * 255).rounded()) }
        return out
    }

    /// How an image in model space is shown.
    public enum Display: String, CaseIterable, Sendable {
        /// The notebook's: clip(x / 255, 0, 1).
        case clip
        /// Chollet's `deprocess_image`: (x - mean) / std * 0.1 + 0.5, clipped: every image uses
        /// the full range, so a faint pattern shows.
        case stretch
    }

    /// An image (BGR, model space) as 8-bit RGB, shown as `display` says.
    public static func rgb(fromBGR x: [Float], display: Display) -> [UInt8] {
        switch display {
        case .clip: return rgb(fromBGR: x)
        case .stretch:
            let n = Double(x.count)
            let mean = x.reduce(0.0) { $0 + Double($1) } / n
            let std = (x.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / n).squareRoot()
            let stretched = x.map { Float(((Double($0) - mean) / (std + 1e-5) * 0.1 + 0.5) * 255) }
            return rgb(fromBGR: stretched)
        }
    }

    /// 8-bit RGB pixels to model input (BGR floats), optionally minus the ImageNet BGR mean
    /// (Keras "caffe" preprocessing, right for real photographs).
    public static func bgr(fromRGB px: [UInt8], subtractMean: Bool) -> [Float] {
        var out = [Float](repeating: 0, count: px.count)
        CaffeInput.fromRGB(pixels: px.count / 3, subtractMean: subtractMean, { Float(px[$0]) }) { out[$0] = $1 }
        return out
    }
}
