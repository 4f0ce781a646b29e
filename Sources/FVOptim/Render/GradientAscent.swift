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

/// The render loop: builds the job's objective, parameterisation and optimiser, then each
/// step renders the images from the parameters, runs the network forward to the objective's
/// layer, and carries the objective's gradient back through the network and the
/// parameterisation to the optimiser. With the seed preset's parts (channel objective, pixels
/// from numpy noise, normalised step) it is the notebook's loop, bit for bit.
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
        let objective = job.settings.objective.make(filters: job.items.map(\.filter))
        let image = PixelImage(side: job.size, seeds: job.items.map(\.seed))
        var optimizer = NormalizedStep(stepSize: job.stepSize)
        let shape = TensorShape(n: image.imageCount, h: job.size, w: job.size, c: 3)
        let ws = NetworkWorkspace(network: network, inputShape: shape, target: objective.layer, output: objective.needs)
        let input = AlignedBuffer<Float>(count: shape.count)
        let workspaceBytes = ws.bytes + input.count * 4 + image.parameters.count * 8

        func evaluate() -> [Float] {
            image.render(into: input.pointer)
            network.forward(input.pointer, ws)
            return objective.values(ws)
        }

        func step() -> [Float] {
            let values = evaluate()
            objective.gradient(ws)
            network.backward(ws)
            let g = image.parameterGradient(imageGradient: ws.inputGradient.pointer)
            let per = image.parametersPerImage
            for i in 0..<image.imageCount {
                optimizer.step(&image.parameters, gradient: g, image: i, offset: i * per, count: per)
            }
            return values
        }

        for s in 0..<job.steps {
            if let why = cancel?.cancellationReason { throw AscentError.cancelled(why) }
            let values = turns?.turn(step) ?? step()
            progress?(AscentProgress(step: s + 1, steps: job.steps, losses: values, workspaceBytes: workspaceBytes))
        }
        let final = turns?.turn(evaluate) ?? evaluate()
        return AscentResult(job: job, images: image.images(), losses: final)
    }
}
