import SIMDKernels

/// The notebook's objective: for image n, the mean over all positions of channel f_n of the
/// target layer's (post-ReLU) output. Its gradient is 1/(h*w) on that channel, 0 elsewhere.
/// `channels[n]` is the output channel holding image n's filter: the filter itself, or 0 when
/// the workspace computes a channel head (see `NetworkWorkspace.outputChannel`).
public enum ChannelObjective {
    public static func losses(_ y: UnsafePointer<Float>, shape s: TensorShape, channels: [Int]) -> [Float] {
        channels.enumerated().map { n, f in
            var sum = 0.0
            for p in 0..<s.pixels { sum += Double(y[(n * s.pixels + p) * s.c + f]) }
            return Float(sum / Double(s.pixels))
        }
    }

    public static func gradient(into dy: UnsafeMutablePointer<Float>, shape s: TensorShape, channels: [Int]) {
        dy.update(repeating: 0, count: s.count)
        let g = Float(1.0 / Double(s.pixels))
        for (n, f) in channels.enumerated() {
            for p in 0..<s.pixels { dy[(n * s.pixels + p) * s.c + f] = g }
        }
    }
}
