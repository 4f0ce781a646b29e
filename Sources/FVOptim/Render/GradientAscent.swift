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
    /// Per image: its objective's gradient was exactly zero at the first step (the filter never
    /// fired from that start), so no step could change it: it is the start image.
    public let neverFired: [Bool]
    /// Steps actually taken: fewer than the job's when every image never fired (each further
    /// step would have changed nothing).
    public let stepsRun: Int

    public init(job: AscentJob, images: [Float], losses: [Float], neverFired: [Bool]? = nil, stepsRun: Int? = nil) {
        self.job = job
        self.images = images
        self.losses = losses
        self.neverFired = neverFired ?? Array(repeating: false, count: losses.count)
        self.stepsRun = stepsRun ?? job.steps
    }

    /// Image `n` as 8-bit RGB for a PNG.
    public func rgb(_ n: Int, display: ModelImage.Display = .clip) -> [UInt8] {
        let px = job.size * job.size
        return ModelImage.rgb(fromBGR: Array(images[(n * px * 3)..<((n + 1) * px * 3)]), display: display)
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

        let per = image.parametersPerImage
        var neverFired = Array(repeating: false, count: image.imageCount)
        func step(first: Bool) -> [Float] {
            let values = evaluate()
            objective.gradient(ws)
            network.backward(ws)
            let g = image.parameterGradient(imageGradient: ws.inputGradient.pointer)
            for i in 0..<image.imageCount {
                if first { neverFired[i] = !(0..<per).contains { g[i * per + $0] != 0 } }
                optimizer.step(&image.parameters, gradient: g, image: i, offset: i * per, count: per)
            }
            return values
        }

        var stepsRun = 0
        while stepsRun < job.steps {
            if let why = cancel?.cancellationReason { throw AscentError.cancelled(why) }
            let first = stepsRun == 0
            let values = turns?.turn { step(first: first) } ?? step(first: first)
            stepsRun += 1
            progress?(AscentProgress(step: stepsRun, steps: job.steps, losses: values, workspaceBytes: workspaceBytes))
            // A zero gradient leaves an image unchanged, and an unchanged image gives the same
            // zero gradient again: when no image fired, every further step is a no-op.
            if first && neverFired.allSatisfy({ $0 }) { break }
        }
        let final = turns?.turn(evaluate) ?? evaluate()
        return AscentResult(job: job, images: image.images(), losses: final, neverFired: neverFired, stepsRun: stepsRun)
    }
}
