import FVModel
import SIMDKernels

/// TRR (../shared/LUCID.md section 6): how much of a picture's objective survives small
/// changes of view. The saved 8-bit picture is shifted (+-8 px), scaled (0.85-1.15) and rotated
/// (+-15 degrees) by a fixed set of draws; TRR is the median objective over those copies
/// divided by the objective of the picture itself. An adversarial texture collapses under
/// transforms; a real feature survives. 0 where the picture's own objective is not positive.
public struct TransformRobustness {
    public let network: VGG16Network
    public let draws: Int
    public let seed: UInt32
    /// What a copy shows where it leaves the picture's frame.
    public enum Fill: String, Sendable {
        /// Mid grey (0.5), as Lucid pads: the area lost counts against the picture.
        case grey
        /// The nearest edge pixel: only what the transform does to the feature counts.
        case edge
    }
    public let fill: Fill

    public init(network: VGG16Network, draws: Int = 16, seed: UInt32 = 2017, fill: Fill = .grey) {
        self.network = network
        self.draws = draws
        self.seed = seed
        self.fill = fill
    }

    /// A workspace for one picture and all its copies (they have its size).
    func workspace(side: Int, layer: Int, filter: Int, style: RenderStyle) -> NetworkWorkspace {
        NetworkWorkspace(network: network, inputShape: .init(n: 1, h: side, w: side, c: 3), target: layer,
                         output: .channelPerImage([filter]), preReLU: style.transforms)
    }

    /// The objective of `rgb` (in 0...1, the workspace's size) as `style` feeds pictures to the
    /// network and as its preset reads the filter (pre- or post-ReLU).
    func objective(rgb: [Float], filter: Int, style: RenderStyle, ws: NetworkWorkspace) -> Double {
        let side = ws.inputShape.h
        let subtractMean = style.transforms
        var input = [Float](repeating: 0, count: side * side * 3)
        CaffeInput.fromRGB(pixels: side * side, subtractMean: subtractMean, { 255 * rgb[$0] }) { input[$0] = $1 }
        input.withUnsafeBufferPointer { network.forward($0.baseAddress!, ws) }
        return Double(ChannelObjective.losses(ws.output, shape: ws.outputShape, channels: [ws.outputChannel(image: 0, filter: filter)])[0])
    }

    /// (TRR, the picture's own objective).
    public func measure(rgb8: [UInt8], side: Int, layer: Int, filter: Int, style: RenderStyle) -> (trr: Double, objective: Double) {
        let rgb = rgb8.map { Float($0) / 255 }
        let ws = workspace(side: side, layer: layer, filter: filter, style: style)
        let own = objective(rgb: rgb, filter: filter, style: style, ws: ws)
        guard own > 0 else { return (0, own) }
        var rng = MersenneTwister(seed: seed)
        var values: [Double] = []
        let shape = TensorShape(n: 1, h: side, w: side, c: 3)
        let out = AlignedBuffer<Float>(count: shape.count)
        for _ in 0..<draws {
            let dy = rng.nextDouble() * 16 - 8, dx = rng.nextDouble() * 16 - 8
            let scale = 0.85 + rng.nextDouble() * 0.3
            let angle = (rng.nextDouble() * 30 - 15) * Double.pi / 180
            let c = Double(side - 1) / 2, (co, si) = (cos(angle), sin(angle))
            let edge = fill == .edge, last = Double(side - 1)
            let sampler = BilinearSampler(inputSide: side, outputHeight: side, outputWidth: side, inFrameFill: 0.5, outsideFill: 0.5) { i, j in
                let u = Double(i) - c - dy, v = Double(j) - c - dx
                let (y, x) = (c + (co * u + si * v) / scale, c + (-si * u + co * v) / scale)
                return edge ? (min(max(y, 0), last), min(max(x, 0), last)) : (y, x)
            }
            rgb.withUnsafeBufferPointer { sampler.forward($0.baseAddress!, shape, into: out.pointer) }
            values.append(objective(rgb: out.toArray(), filter: filter, style: style, ws: ws))
        }
        values.sort()
        let median = draws % 2 == 1 ? values[draws / 2] : (values[draws / 2 - 1] + values[draws / 2]) / 2
        return (median / own, own)
    }
}

import Foundation
