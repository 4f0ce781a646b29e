import FVModel

/// Converting between the network's input space and viewable pixels. Keras' VGG16 takes BGR;
/// fvd writes PNGs in true RGB order. (The seed notebook passed its BGR array straight to the
/// image display, so its pictures have red and blue swapped relative to fvd's.)
public enum ModelImage {
    /// The notebook's display mapping: clip(x / 255, 0, 1), here rounded to 8 bits, BGR -> RGB.
    public static func rgb(fromBGR x: [Float]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: x.count)
        for p in 0..<(x.count / 3) {
            for c in 0..<3 {
                let v = min(max(x[3 * p + 2 - c] / 255, 0), 1)
                out[3 * p + c] = UInt8((v * 255).rounded())
            }
        }
        return out
    }

    /// 8-bit RGB pixels to model input (BGR floats), optionally minus the ImageNet BGR mean
    /// (Keras "caffe" preprocessing, right for real photographs).
    public static func bgr(fromRGB px: [UInt8], subtractMean: Bool) -> [Float] {
        let mean: [Float] = subtractMean ? VGG16.bgrMean : [0, 0, 0]
        var out = [Float](repeating: 0, count: px.count)
        for p in 0..<(px.count / 3) {
            for c in 0..<3 { out[3 * p + c] = Float(px[3 * p + 2 - c]) - mean[c] }
        }
        return out
    }
}
