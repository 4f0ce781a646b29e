import FVImage
import FVModel

/// One gradient-ascent optimisation: a batch of images that share their settings (objective,
/// parameterisation, optimiser, steps), each with its own target filter and seeded start. When
/// the objective's images are independent (each value depends on its image alone), a batch
/// gives the same images as running its items one by one, only faster; so jobs whose settings
/// are equal may be merged into one batch (`canShareBatch`).
public struct AscentJob: Equatable, Hashable, Sendable {
    public struct Item: Equatable, Hashable, Sendable {
        public var filter: Int
        public var seed: UInt32
        /// Lucid's negative: this image minimises the filter's objective instead (the picture
        /// of what the filter is most against).
        public var negative: Bool
        public init(filter: Int, seed: UInt32, negative: Bool = false) {
            self.filter = filter
            self.seed = seed
            self.negative = negative
        }
    }

    /// Everything the images of a job share: the scheduler's batch key, and with the items and
    /// the weights, the cache key.
    public struct Settings: Equatable, Hashable, Sendable, CustomStringConvertible {
        public var objective: ObjectiveSpec
        /// The picture's side (square, as the notebook).
        public var size: Int
        public var steps: Int
        /// The notebook's: the normalised step's size, on 0...255 pixel values. Lucid's: Adam's
        /// learning rate.
        public var stepSize: Float
        public var style: RenderStyle = .notebook
        /// Lucid's: the seed of the random transforms (shared by the batch, so a job merged
        /// into a batch of equal settings gets the very images it would get alone).
        public var transformSeed: UInt32 = 0
        /// Which random transforms (lucid and natural presets): Lucid's; MACO's only as
        /// `fvbench --quality --transforms maco`'s trial (docs/QUALITY.md).
        public var transformKind: TransformKind = .lucid
        /// Lucid's: penalties on the picture (none by default).
        public var penalties = PicturePenalties()
        /// Steps after which the pictures are also kept (`AscentResult.snapshots`), ascending.
        public var snapshots: [Int] = []
        /// The natural preset's: the amplitude spectrum measured from the user's pictures
        /// (`--spectrum-from`), at `size`; nil for the analytic 1/f.
        public var spectrum: AmplitudeSpectrum?

        var snapshotText: String { snapshots.isEmpty ? "" : "|snapshots(\(snapshots.map(String.init).joined(separator: ",")))" }

        /// Stable text for cache keys (bit-exact for the step size).
        public var description: String {
            switch style {
            case .notebook:
                return "\(objective)|pixels(\(size))|normalized(\(stepSize.bitPattern))|steps(\(steps))" + snapshotText
            case .lucid, .natural:
                // A measured spectrum goes into the key whole (bit patterns): a digest short
                // enough to read could be made to collide with another user's.
                let picture = style == .lucid ? "fourier(\(size))"
                    : "phase(\(size),gain(\(PhaseImage.defaultGain.bitPattern)),luminance-deviation" + (spectrum.map { ",spectrum(\($0.canonicalText))" } ?? "") + ")"
                return "\(objective)|\(picture)|adam(\(stepSize.bitPattern))|\(transformKind.rawValue)-transforms(\(transformSeed))"
                    + "|redirected-relu(\(RenderStyle.redirectedReLUSteps))|steps(\(steps))" + (penalties.isEmpty ? "" : "|\(penalties)") + snapshotText
            }
        }
    }

    public var settings: Settings
    public var items: [Item]

    public init(objective: ObjectiveSpec, items: [Item], size: Int, steps: Int, stepSize: Float,
                style: RenderStyle = .notebook, transformSeed: UInt32 = 0) {
        settings = Settings(objective: objective, size: size, steps: steps, stepSize: stepSize, style: style, transformSeed: transformSeed)
        self.items = items
    }

    /// A preset's job: its style, and its objective, size, steps and step size unless given.
    public init(preset: Preset, layer: String, objective: ObjectiveSpec? = nil, items: [Item], size: Int? = nil, steps: Int? = nil,
                stepSize: Float? = nil, transformSeed: UInt32 = 0) {
        self.init(objective: objective ?? preset.objective(layer: layer), items: items, size: size ?? preset.size, steps: steps ?? preset.steps,
                  stepSize: stepSize ?? preset.stepSize, style: preset.style, transformSeed: transformSeed)
    }

    /// The notebook's job: the channel objective on `layer`.
    public init(layer: String, items: [Item], size: Int, steps: Int, stepSize: Float) {
        self.init(objective: .channel(layer: layer), items: items, size: size, steps: steps, stepSize: stepSize)
    }

    public var layer: String { settings.objective.layerName }

    /// The side of the largest input the network sees per image: the picture's, or under the
    /// lucid transforms up to 1.2x it (154 px for 128). Memory grows with its square, so
    /// budgets count these pixels, not the picture's.
    public var networkSide: Int { settings.style.transforms ? LucidTransforms.largestOutput(side: size) : size }

    /// Pixels the network computes per step for this job (what its workspace grows with).
    public var networkPixels: Int { items.count * networkSide * networkSide }
    public var size: Int { settings.size }
    public var steps: Int { settings.steps }
    public var stepSize: Float { settings.stepSize }

    /// Whether `other`'s images may join this job's batch.
    public func canShareBatch(with other: AscentJob) -> Bool {
        settings == other.settings && settings.objective.imagesAreIndependent
    }

    /// Stable text naming everything that determines the images (with the weights' checksum,
    /// the result cache's key).
    public var cacheText: String {
        "\(settings)|\(items.map { "\($0.negative ? "-" : "")\($0.filter):\($0.seed)" }.joined(separator: ","))"
    }

    /// Hard limits that keep one request from taking the machine; a daemon may lower them.
    public struct Limits: Sendable {
        public var maxSteps = 100_000
        public var maxBatch = 256
        /// Cap on batch * size^2 (pixels per step), which bounds memory: 16 tiles of 256 px.
        public var maxPixels = 16 * 256 * 256
        public init() {}
    }

    /// Checks every parameter, naming the bad value and the accepted range.
    public func validate(limits: Limits = Limits()) throws {
        guard let spec = VGG16.layer(named: layer) else {
            throw AscentError.invalid(VGG16.unknownLayerMessage(layer))
        }
        guard !items.isEmpty else { throw AscentError.invalid("no filters given; give at least one filter index") }
        guard items.count <= limits.maxBatch else {
            throw AscentError.invalid("\(items.count) filters in one job; at most \(limits.maxBatch)")
        }
        for it in items where !(0..<spec.outChannels).contains(it.filter) {
            throw AscentError.invalid("filter \(it.filter) does not exist in \(layer); valid filters are 0...\(spec.outChannels - 1)")
        }
        try validateObjective(spec)
        for s in settings.snapshots where !(1..<max(steps, 1)).contains(s) {
            if steps < 2 { throw AscentError.invalid("snapshots need 2 or more steps (the last step's picture is the result itself)") }
            throw AscentError.invalid("snapshot step \(s) is out of range; snapshots are taken after steps 1...\(steps - 1) (the last step's picture is the result)")
        }
        if !settings.penalties.isEmpty {
            guard settings.style.transforms else {
                throw AscentError.invalid("penalties (total variation, L1, blur) work on the lucid preset's pictures; add --preset lucid")
            }
            let p = settings.penalties
            for (name, w) in [("tv", p.totalVariation), ("l1", p.l1), ("blur", p.blur)] where !(w.isFinite && w >= 0 && w <= 1e6) {
                throw AscentError.invalid("penalty \(name) weight \(w) is out of range; use a number in [0, 1000000]")
            }
        }
        guard (VGG16.minimumSide...VGG16.maximumSide).contains(size) else {
            throw AscentError.invalid("size \(size) is out of range; use \(VGG16.minimumSide)...\(VGG16.maximumSide) pixels")
        }
        if settings.style.transforms && !(size % 2 == 0 && size <= RenderStyle.largestLucidSide) {
            throw AscentError.invalid("size \(size) does not work with the \(settings.style.rawValue) preset; use an even size up to \(RenderStyle.largestLucidSide) pixels")
        }
        if let spectrum = settings.spectrum {
            guard settings.style == .natural else {
                throw AscentError.invalid("a measured spectrum (--spectrum-from) is the natural preset's; add --preset natural")
            }
            guard spectrum.size == size else {
                throw AscentError.invalid("the spectrum was measured at \(spectrum.size) px and the picture is \(size) px; measure it at the picture's size (fvctl does)")
            }
        }
        guard networkPixels <= limits.maxPixels else {
            let seen = networkSide == size ? "" : " (the network sees up to \(networkSide)x\(networkSide) under the lucid transforms)"
            throw AscentError.invalid("\(items.count) images of \(size)x\(size)\(seen) is too much for one job (at most \(limits.maxPixels) pixels in all); use fewer filters or a smaller size")
        }
        guard (1...limits.maxSteps).contains(steps) else {
            throw AscentError.invalid("steps \(steps) is out of range; use 1...\(limits.maxSteps)")
        }
        guard stepSize.isFinite, stepSize > 0, stepSize <= 10_000 else {
            throw AscentError.invalid("step size \(stepSize) is out of range; use a number in (0, 10000]")
        }
    }
}

extension AscentJob {
    /// The weighted-terms objective's own checks: the vector's length, the neuron's position,
    /// finite weights.
    func validateObjective(_ spec: LayerSpec) throws {
        guard case .terms(_, _, let terms, let diversity) = settings.objective else { return }
        guard !terms.isEmpty, terms.count <= 16 else { throw AscentError.invalid("an objective needs 1 to 16 terms, got \(terms.count)") }
        guard diversity.isFinite, diversity >= 0, diversity <= 1e6 else {
            throw AscentError.invalid("diversity weight \(diversity) is out of range; use a number in [0, 1000000]")
        }
        if diversity > 0 && items.count < 2 {
            throw AscentError.invalid("diversity compares the images of one render; ask for 2 or more")
        }
        for t in terms {
            guard t.weight.isFinite, abs(t.weight) <= 1e6 else { throw AscentError.invalid("term weight \(t.weight) is out of range; use a finite number up to 1000000 in size") }
            guard t.layer.map({ VGG16.layers.indices.contains($0) }) ?? true else { throw AscentError.invalid("a term names layer \(t.layer!), which does not exist") }
            let spec = t.layer.map { VGG16.layers[$0] } ?? spec
            let side = VGG16.outputShape(layer: spec.index, n: 1, h: size, w: size).h
            if let f = t.filter {
                guard t.term.usesFilter else { throw AscentError.invalid("a \(t.term) term reads no single filter, so it takes none; drop its filter \(f)") }
                guard (0..<spec.outChannels).contains(f) else {
                    throw AscentError.invalid("a term names filter \(f) of \(spec.name), which has filters 0...\(spec.outChannels - 1)")
                }
            }
            switch t.term {
            case .direction(let v):
                guard v.count == spec.outChannels else {
                    throw AscentError.invalid("a direction in \(spec.name) needs \(spec.outChannels) numbers (one per channel), got \(v.count)")
                }
                guard v.allSatisfy(\.isFinite) else { throw AscentError.invalid("the direction holds a number that is not finite") }
            case .neuron(let y?, let x?):
                guard (0..<side).contains(y), (0..<side).contains(x) else {
                    throw AscentError.invalid("neuron position (\(x), \(y)) is outside \(spec.name), which is \(side)x\(side) for a \(size) px picture; use x and y in 0...\(side - 1)")
                }
            default: break
            }
        }
    }
}

/// The random transforms a lucid or natural render draws each step.
public enum TransformKind: String, Sendable, Hashable {
    case lucid
    case maco
}

/// Named parameter sets: `seed` is the Keras notebook exactly; `grid` is the layer grid of
/// Chollet's book (64 px tiles, 40 steps of size 1); `lucid` is Lucid's render_vis (128 px,
/// Fourier picture, random transforms, pre-ReLU objective, 512 steps of Adam 0.05); `natural`
/// is MACO's: Lucid's transforms and objective, the picture's Fourier magnitude fixed to a
/// natural image's and only its phases optimised (512 steps of Adam 0.2).
public enum Preset: String, CaseIterable, Sendable {
    case seed
    case grid
    case lucid
    case natural

    public var size: Int {
        switch self {
        case .seed: return 150
        case .grid: return 64
        case .lucid, .natural: return 128
        }
    }

    public var steps: Int {
        switch self {
        case .seed: return 1000
        case .grid: return 40
        case .lucid, .natural: return 512
        }
    }

    public var stepSize: Float {
        switch self {
        case .seed: return 0.1
        case .grid: return 1
        case .lucid: return 0.05
        case .natural: return 0.2
        }
    }

    public var style: RenderStyle {
        switch self {
        case .seed, .grid: return .notebook
        case .lucid: return .lucid
        case .natural: return .natural
        }
    }

    /// The objective the preset renders for a filter of `layer`.
    public func objective(layer: String) -> ObjectiveSpec {
        .channel(layer: layer, preReLU: style.transforms)
    }
}

/// How a render makes its images: the parts GradientAscent assembles.
public enum RenderStyle: String, Hashable, Sendable {
    /// The Keras notebook's: the pixels are the parameters, fed to the network as they are;
    /// normalised gradient steps.
    case notebook
    /// Lucid's: a Fourier picture with decorrelated colour and a sigmoid, random transforms and
    /// caffe preprocessing before the network, Adam, and the redirected ReLU for the first
    /// `redirectedReLUSteps` steps.
    case lucid
    /// MACO's: Lucid's, with the picture's Fourier magnitude fixed to a natural image's and its
    /// phases optimised (`PhaseImage`).
    case natural

    /// Lucid's random transforms, caffe preprocessing, pre-ReLU objective and redirected ReLU.
    public var transforms: Bool { self != .notebook }

    public static let redirectedReLUSteps = 16
    /// Lucid pictures are kept to 512 px: the spectrum and its transforms grow with size^3.
    public static let largestLucidSide = 512
}

public enum AscentError: Error, CustomStringConvertible, Equatable {
    case invalid(String)
    case cancelled(String)

    public var description: String {
        switch self {
        case .invalid(let m): return m
        case .cancelled(let why): return "job cancelled: \(why)"
        }
    }
}
