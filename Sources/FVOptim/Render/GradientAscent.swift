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
    /// Per image, its objective at each step taken (before that step's update), as the
    /// notebook kept `losses`: for plotting.
    public let history: [[Float]]
    /// The pictures after each of the job's snapshot steps (model space, as `images`).
    public let snapshots: [(step: Int, images: [Float])]
    /// Per image, MACO's importance: |d objective / d picture| summed over colours and steps,
    /// a number per pixel (side x side, row by row): where in the picture the objective comes from.
    public let importance: [[Float]]

    public init(job: AscentJob, images: [Float], losses: [Float], neverFired: [Bool]? = nil, stepsRun: Int? = nil, history: [[Float]]? = nil,
                snapshots: [(step: Int, images: [Float])] = [], importance: [[Float]] = []) {
        self.importance = importance
        self.job = job
        self.images = images
        self.losses = losses
        self.neverFired = neverFired ?? Array(repeating: false, count: losses.count)
        self.stepsRun = stepsRun ?? job.steps
        self.history = history ?? Array(repeating: [], count: losses.count)
        self.snapshots = snapshots
    }

    /// Image `n`'s importance smoothed (a box of side/16 pixels, as MACO blurs it) and scaled to
    /// 0...1 by its largest value.
    public func smoothedImportance(_ n: Int) -> [Float] {
        let side = job.size, r = max(1, side / 32)
        let raw = n < importance.count ? importance[n] : [Float](repeating: 0, count: side * side)
        var rows = [Float](repeating: 0, count: raw.count), out = rows
        for y in 0..<side {
            for x in 0..<side {
                var s: Float = 0
                for dx in -r...r { s += raw[y * side + min(max(x + dx, 0), side - 1)] }
                rows[y * side + x] = s
            }
        }
        for y in 0..<side {
            for x in 0..<side {
                var s: Float = 0
                for dy in -r...r { s += rows[min(max(y + dy, 0), side - 1) * side + x] }
                out[y * side + x] = s
            }
        }
        let peak = out.max() ?? 0
        return peak > 0 ? out.map { $0 / peak } : out
    }

    /// Image `n` as 8-bit RGB for a PNG (of snapshot `snapshot`, if given).
    public func rgb(_ n: Int, display: ModelImage.Display = .clip, snapshot: Int? = nil) -> [UInt8] {
        let px = job.size * job.size
        let source = snapshot.map { snapshots[$0].images } ?? images
        return ModelImage.rgb(fromBGR: Array(source[(n * px * 3)..<((n + 1) * px * 3)]), display: display)
    }
}

/// The render loop: builds the job's objective, parameterisation, input stage and optimiser
/// (by its `RenderStyle`), then each step renders the pictures from the parameters, turns them
/// into the network's input, runs the network forward to the objective's layer, and carries the
/// objective's gradient back through the network, the input stage and the parameterisation to
/// the optimiser. With the seed preset's parts (channel objective, pixels from numpy noise fed
/// as they are, normalised step) it is the notebook's loop, bit for bit.
public final class GradientAscent: @unchecked Sendable {
    public let network: VGG16Network

    public init(network: VGG16Network) {
        self.network = network
    }

    /// - Parameter stopWhenNothingFires: end after step 1 when no image's filter fired (every
    ///   further step would change nothing); benchmarks, which time steps, turn it off.
    public func run(
        _ job: AscentJob, limits: AscentJob.Limits = .init(), cancel: CancellationToken? = nil,
        turns: StepTurns? = nil, stopWhenNothingFires: Bool = true, progress: ((AscentProgress) -> Void)? = nil
    ) throws -> AscentResult {
        try job.validate(limits: limits)
        let objective = job.settings.objective.make(items: job.items, side: job.size)
        let seeds = job.items.map(\.seed)
        let image: ImageParameterization
        var input: NetworkInput
        var optimizer: Optimizer
        switch job.settings.style {
        case .notebook:
            image = PixelImage(side: job.size, seeds: seeds)
            input = DirectInput(side: job.size)
            optimizer = NormalizedStep(stepSize: job.stepSize)
        case .lucid, .natural:
            image = job.settings.style == .lucid ? FourierImage(side: job.size, seeds: seeds) : PhaseImage(side: job.size, seeds: seeds, spectrum: job.settings.spectrum)
            input = TransformedInput(side: job.size, images: seeds.count, seed: job.settings.transformSeed, kind: job.settings.transformKind)
            optimizer = Adam(learningRate: Double(job.stepSize))
        }
        let n = image.imageCount
        let largest = TensorShape(n: n, h: input.largestSide, w: input.largestSide, c: 3)
        let ws = NetworkWorkspace(network: network, inputShape: largest, target: objective.layer, output: objective.needs,
                                  preReLU: objective.preReLU, taps: objective.taps)
        let pictures = AlignedBuffer<Float>(count: n * job.size * job.size * 3)
        let pictureGradient = AlignedBuffer<Float>(count: pictures.count)
        let networkInput = AlignedBuffer<Float>(count: largest.count)
        let workspaceBytes = ws.bytes + (networkInput.count + 2 * pictures.count) * 4 + image.parameters.count * 8

        func forward(transformed: Bool = true) {
            let (h, w) = transformed ? input.prepare() : input.prepareUntransformed()
            ws.setInputSize(height: h, width: w)
            image.render(into: pictures.pointer)
            input.forward(pictures.pointer, count: n, into: networkInput.pointer)
            network.forward(networkInput.pointer, ws)
        }

        let per = image.parametersPerImage
        var neverFired = Array(repeating: false, count: n)
        let side2 = job.size * job.size
        var importance = [Float](repeating: 0, count: n * side2)
        func step(_ index: Int) -> [Float] {
            forward()
            let values = objective.valuesAndGradient(ws)
            ws.redirectReLU = job.settings.style.transforms && index < RenderStyle.redirectedReLUSteps
            network.backward(ws)
            input.adjoint(ws.inputGradient.pointer, count: n, into: pictureGradient.pointer)
            // The objective's own gradient (before the penalties add theirs): where it comes from.
            for p in 0..<(n * side2) {
                let g = pictureGradient.pointer + 3 * p
                importance[p] += abs(g[0]) + abs(g[1]) + abs(g[2])
            }
            let penalties = job.settings.penalties.apply(pictures.pointer, side: job.size, images: n, gradient: pictureGradient.pointer)
            let g = image.parameterGradient(imageGradient: pictureGradient.pointer)
            for i in 0..<n {
                if index == 0 { neverFired[i] = !(0..<per).contains { g[i * per + $0] != 0 } }
                optimizer.step(&image.parameters, gradient: g, image: i, offset: i * per, count: per)
            }
            return zip(values, penalties).map { $0 - $1 }
        }

        var stepsRun = 0
        var history = Array(repeating: [Float](), count: n)
        var snapshots: [(step: Int, images: [Float])] = []
        while stepsRun < job.steps {
            if let why = cancel?.cancellationReason { throw AscentError.cancelled(why) }
            let index = stepsRun
            let values = turns?.turn { step(index) } ?? step(index)
            stepsRun += 1
            for i in 0..<n { history[i].append(values[i]) }
            if job.settings.snapshots.contains(stepsRun) { snapshots.append((stepsRun, image.images())) }
            progress?(AscentProgress(step: stepsRun, steps: job.steps, losses: values, workspaceBytes: workspaceBytes))
            // A zero gradient leaves an image unchanged, and an unchanged image gives the same
            // zero gradient again: when no image fired, every further step is a no-op. (Random
            // transforms would change the input, but the lucid style never has a zero gradient
            // from a pre-ReLU objective.)
            if stopWhenNothingFires && index == 0 && neverFired.allSatisfy({ $0 }) { break }
        }
        // The final value describes the picture itself, untransformed.
        func untransformedValues() -> [Float] {
            forward(transformed: false)
            return objective.values(ws)
        }
        let final = turns?.turn(untransformedValues) ?? untransformedValues()
        return AscentResult(job: job, images: image.images(), losses: final, neverFired: neverFired, stepsRun: stepsRun, history: history,
                            snapshots: snapshots, importance: (0..<n).map { Array(importance[($0 * side2)..<(($0 + 1) * side2)]) })
    }
}
