import SIMDKernels

extension VGG16Network {
    /// What `activations` reports: the target layer's output shape and each channel's mean
    /// (post-ReLU) over all positions, and its largest value and where it is (the position
    /// y * width + x; the first of equal ones), for one image `input` (HWC, BGR, model input
    /// space). With `map`, also that channel's activation at every position (row by row).
    public func channelMeans(of input: [Float], height: Int, width: Int, layer: Int, map: Int? = nil)
        -> (shape: TensorShape, means: [Float], maxima: [Float], peaks: [Int], map: [Float]?) {
        let ws = NetworkWorkspace(network: self, inputShape: .init(n: 1, h: height, w: width, c: 3), target: layer)
        input.withUnsafeBufferPointer { forward($0.baseAddress!, ws) }
        let s = ws.outputShape
        let means = (0..<s.c).map { c in
            var sum = 0.0
            for px in 0..<s.pixels { sum += Double(ws.output[px * s.c + c]) }
            return Float(sum / Double(s.pixels))
        }
        var maxima = [Float](repeating: -.infinity, count: s.c), peaks = [Int](repeating: 0, count: s.c)
        for px in 0..<s.pixels {
            for c in 0..<s.c where ws.output[px * s.c + c] > maxima[c] {
                maxima[c] = ws.output[px * s.c + c]
                peaks[c] = px
            }
        }
        let channelMap = map.map { c in (0..<s.pixels).map { ws.output[$0 * s.c + c] } }
        return (s, means, maxima, peaks, channelMap)
    }
}
