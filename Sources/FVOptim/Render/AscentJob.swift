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
        public init(filter: Int, seed: UInt32) {
            self.filter = filter
            self.seed = seed
        }
    }

    /// Everything the images of a job share: the scheduler's batch key, and with the items and
    /// the weights, the cache key.
    public struct Settings: Equatable, Hashable, Sendable, CustomStringConvertible {
        public var objective: ObjectiveSpec
        /// The pixel image's side (square, as the notebook).
        public var size: Int
        public var steps: Int
        /// The normalised step's size, on 0...255 pixel values.
        public var stepSize: Float

        /// Stable text for cache keys (bit-exact for the step size).
        public var description: String {
            "\(objective)|pixels(\(size))|normalized(\(stepSize.bitPattern))|steps(\(steps))"
        }
    }

    public var settings: Settings
    public var items: [Item]

    public init(objective: ObjectiveSpec, items: [Item], size: Int, steps: Int, stepSize: Float) {
        settings = Settings(objective: objective, size: size, steps: steps, stepSize: stepSize)
        self.items = items
    }

    /// The notebook's job: the channel objective on `layer`.
    public init(layer: String, items: [Item], size: Int, steps: Int, stepSize: Float) {
        self.init(objective: .channel(layer: layer), items: items, size: size, steps: steps, stepSize: stepSize)
    }

    public var layer: String { settings.objective.layerName }
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
        "\(settings)|\(items.map { "\($0.filter):\($0.seed)" }.joined(separator: ","))"
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
        guard (VGG16.minimumSide...VGG16.maximumSide).contains(size) else {
            throw AscentError.invalid("size \(size) is out of range; use \(VGG16.minimumSide)...\(VGG16.maximumSide) pixels")
        }
        guard items.count * size * size <= limits.maxPixels else {
            throw AscentError.invalid("\(items.count) images of \(size)x\(size) is too much for one job (at most \(limits.maxPixels) pixels in all); use fewer filters or a smaller size")
        }
        guard (1...limits.maxSteps).contains(steps) else {
            throw AscentError.invalid("steps \(steps) is out of range; use 1...\(limits.maxSteps)")
        }
        guard stepSize.isFinite, stepSize > 0, stepSize <= 10_000 else {
            throw AscentError.invalid("step size \(stepSize) is out of range; use a number in (0, 10000]")
        }
    }
}

/// Named parameter sets: `seed` is the Keras notebook exactly; `grid` is the layer grid of
/// Chollet's book (64 px tiles, 40 steps of size 1).
public enum Preset: String, CaseIterable, Sendable {
    case seed
    case grid

    public var size: Int { self == .seed ? 150 : 64 }
    public var steps: Int { self == .seed ? 1000 : 40 }
    public var stepSize: Float { self == .seed ? 0.1 : 1 }
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
