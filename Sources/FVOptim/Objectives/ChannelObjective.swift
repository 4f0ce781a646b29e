import FVModel
import SIMDKernels

/// The notebook's objective: for image n, the mean over all positions of filter f_n of the
/// target layer's post-ReLU output (or pre-ReLU, Lucid's). Its gradient is 1/(h*w) on that channel, 0 elsewhere. Only
/// that channel is needed, so the network computes just it (a channel head).
public struct ChannelObjective: Objective {
    public let layer: Int
    public let filters: [Int]
    public let preReLU: Bool
    /// Per image: maximise minus the mean instead (Lucid's negative).
    public let negated: [Bool]

    public init(layer: Int, filters: [Int], preReLU: Bool = false, negated: [Bool]? = nil) {
        self.layer = layer
        self.filters = filters
        self.preReLU = preReLU
        self.negated = negated ?? Array(repeating: false, count: filters.count)
    }

    public var needs: TargetOutput { .channelPerImage(filters) }
    public var imagesAreIndependent: Bool { true }

    /// The output channel holding each image's filter (0 under a channel head).
    func channels(_ ws: NetworkWorkspace) -> [Int] {
        filters.enumerated().map { ws.outputChannel(image: $0, filter: $1) }
    }

    public func values(_ ws: NetworkWorkspace) -> [Float] {
        let means = ChannelObjective.losses(ws.output, shape: ws.outputShape, channels: channels(ws))
        return zip(means, negated).map { $1 ? -$0 : $0 }
    }

    public func gradient(_ ws: NetworkWorkspace) {
        ChannelObjective.gradient(into: ws.outputGradient, shape: ws.outputShape, channels: channels(ws))
        let s = ws.outputShape
        for n in 0..<s.n where negated[n] {
            let image = ws.outputGradient + n * s.pixels * s.c
            for k in 0..<(s.pixels * s.c) { image[k] = -image[k] }
        }
    }

    /// For image n, the mean of channel `channels[n]` of `y` (NHWC).
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
