import FVModel
import SIMDKernels

public struct AscentProgress: Sendable {
    /// Steps done so far (1...steps).
    public let step: Int
    public let steps: Int
    /// Each image's loss at the start of this step (before its update), as the notebook prints.
    public let losses: [Float]
    /// Bytes of working memory the run holds (its network workspace and image).
    public let workspaceBytes: Int

    public init(step: Int, steps: Int, losses: [Float], workspaceBytes: Int = 0) {
        self.step = step
        self.steps = steps
        self.losses = losses
        self.workspaceBytes = workspaceBytes
    }
}

public struct AscentResult: Sendable {
    public let job: AscentJob
    /// The optimised images in model input space: NHWC, BGR, values where 0...255 is visible.
    public let images: [Float]
    /// Each image's loss after the last step.
    public let losses: [Float]

    public init(job: AscentJob, images: [Float], losses: [Float]) {
        self.job = job
        self.images = images
        self.losses = losses
    }

    /// Image `n` as 8-bit RGB for a PNG.
    public func rgb(_ n: Int) -> [UInt8] {
        let px = job.size * job.size
        return ModelImage.rgb(fromBGR: Array(images[(n * px * 3)..<((n + 1) * px * 3)]))
    }
}

/// The notebook's loop: from noise `uniform[0,1) * 20 + 128`, repeat { g = dLoss/dx;
/// x += stepSize * g / (sqrt(mean(g^2)) + 1e-5) }. The image is kept in Double between steps
/// as numpy does (float64), and fed to the network as float32 as TensorFlow does.
public final class GradientAscent: @unchecked Sendable {
    public let network: VGG16Network

    public init(network: VGG16Network) {
        self.network = network
    }

    public func run(
        _ job: AscentJob, limits: AscentJob.Limits = .init(), cancel: CancellationToken? = nil,
        turns: StepTurns? = nil, progress: ((AscentProgress) -> Void)? = nil
    ) throws -> AscentResult {
        try job.validate(limits: limits)
        let target = VGG16.layer(named: job.layer)!.index
        let n = job.items.count
        let shape = TensorShape(n: n, h: job.size, w: job.size, c: 3)
        let filters = job.items.map(\.filter)
        // Only each image's own filter of the target layer enters the loss: compute just that.
        let ws = NetworkWorkspace(network: network, inputShape: shape, target: target, headFilters: filters)
        let channels = filters.enumerated().map { ws.outputChannel(image: $0, filter: $1) }
        let perImage = job.size * job.size * 3

        var x = [Double](repeating: 0, count: shape.count)
        for (i, item) in job.items.enumerated() {
            var rng = MersenneTwister(seed: item.seed)
            for k in 0..<perImage { x[i * perImage + k] = rng.nextDouble() * 20 + 128 }
        }
        let input = AlignedBuffer<Float>(count: shape.count)
        let workspaceBytes = ws.bytes + input.count * 4 + x.count * 8

        func evaluate() -> [Float] {
            for k in 0..<x.count { input[k] = Float(x[k]) }
            network.forward(input.pointer, ws)
            return ChannelObjective.losses(ws.output, shape: ws.outputShape, channels: channels)
        }

        func step() -> [Float] {
            let losses = evaluate()
            ChannelObjective.gradient(into: ws.outputGradient, shape: ws.outputShape, channels: channels)
            network.backward(ws)
            let g = ws.inputGradient.pointer
            for i in 0..<n {
                var sq = 0.0
                for k in (i * perImage)..<((i + 1) * perImage) { sq += Double(g[k]) * Double(g[k]) }
                // Same arithmetic as the notebook: float32 gradient divided by float32 (rms + 1e-5).
                let scale = Float((sq / Double(perImage)).squareRoot()) + 1e-5
                for k in (i * perImage)..<((i + 1) * perImage) {
                    x[k] += Double(g[k] / scale) * Double(job.stepSize)
                }
            }
            return losses
        }

        for s in 0..<job.steps {
            if let why = cancel?.cancellationReason { throw AscentError.cancelled(why) }
            let losses = turns?.turn(step) ?? step()
            progress?(AscentProgress(step: s + 1, steps: job.steps, losses: losses, workspaceBytes: workspaceBytes))
        }
        let final = turns?.turn(evaluate) ?? evaluate()
        return AscentResult(job: job, images: x.map { Float($0) }, losses: final)
    }
}
