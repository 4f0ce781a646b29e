/// VGG16's input convention (Keras' "caffe" preprocessing), in one place: channels in BGR order,
/// values on 0...255, the ImageNet mean subtracted (the seed preset, as the Keras notebook, feeds
/// 0...255 without it). fvd's pictures are RGB; every conversion between a picture and the
/// network's input goes through here, so the channel order and the mean are written once.
public enum CaffeInput {
    /// The ImageNet mean Keras' "caffe" preprocessing subtracts, in BGR order.
    public static let bgrMean: [Float] = [103.939, 116.779, 123.68]

    /// For `pixels` pixels, `out(i, v)` with `i` a network-input (BGR) index and `v` the same
    /// pixel's value of that colour, `rgb(j)` read at its RGB index `j`, less the mean if asked.
    @inline(__always)
    public static func fromRGB(pixels: Int, subtractMean: Bool, _ rgb: (Int) -> Float, _ out: (Int, Float) -> Void) {
        let mean: [Float] = subtractMean ? bgrMean : [0, 0, 0]
        for p in 0..<pixels {
            for c in 0..<3 { out(3 * p + c, rgb(3 * p + 2 - c) - mean[c]) }
        }
    }

    /// The reverse: `out(i, v)` with `i` an RGB index and `v` the network-input value `bgr(j)` of
    /// that colour, plus the mean if asked (`addMean` false: the channel swap alone, as for a
    /// gradient or a value shown as it is).
    @inline(__always)
    public static func toRGB(pixels: Int, addMean: Bool, _ bgr: (Int) -> Float, _ out: (Int, Float) -> Void) {
        for p in 0..<pixels {
            for c in 0..<3 {
                let v = bgr(3 * p + 2 - c)
                out(3 * p + c, addMean ? v + bgrMean[2 - c] : v)
            }
        }
    }
}
