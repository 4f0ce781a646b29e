/// `dream`'s params: DeepDream on the client's own photo (docs/PROTOCOL.md, "dream").
public struct DreamParams: Equatable, Sendable {
    public var layer: String
    /// The photo, PNG or JPEG, base64-encoded.
    public var image: String
    /// nil: DeepDream's mean square of the whole layer; else that filter's mean.
    public var filter: Int?
    /// Steps per octave (default 10).
    public var steps: Int?
    public var octaves: Int?
    public var octaveScale: Double?
    public var stepSize: Double?
    public var jitter: Int?
    public var seed: Int?
    public var progress: Bool

    public init(layer: String, image: String, filter: Int? = nil, steps: Int? = nil, octaves: Int? = nil, octaveScale: Double? = nil,
                stepSize: Double? = nil, jitter: Int? = nil, seed: Int? = nil, progress: Bool = true) {
        self.layer = layer
        self.image = image
        self.filter = filter
        self.steps = steps
        self.octaves = octaves
        self.octaveScale = octaveScale
        self.stepSize = stepSize
        self.jitter = jitter
        self.seed = seed
        self.progress = progress
    }

    public init(_ params: JSON?) throws {
        let r = try ParamReader(params, method: "dream",
                                allowed: ["layer", "image", "filter", "steps", "octaves", "octaveScale", "stepSize", "jitter", "seed", "progress"])
        layer = try r.requiredString("layer")
        image = try r.requiredString("image")
        filter = try r.int("filter", in: 0...1_000_000)
        steps = try r.int("steps", in: 0...1_000_000)
        octaves = try r.int("octaves", in: 0...100)
        octaveScale = try r.double("octaveScale")
        stepSize = try r.double("stepSize")
        jitter = try r.int("jitter", in: 0...100_000)
        seed = try r.int("seed", in: 0...Int64(UInt32.max))
        progress = try r.bool("progress") ?? true
    }

    public var json: JSON {
        var o: [String: JSON] = ["layer": .string(layer), "image": .string(image), "progress": .bool(progress)]
        if let filter { o["filter"] = JSON(filter) }
        if let steps { o["steps"] = JSON(steps) }
        if let octaves { o["octaves"] = JSON(octaves) }
        if let octaveScale { o["octaveScale"] = JSON(octaveScale) }
        if let stepSize { o["stepSize"] = JSON(stepSize) }
        if let jitter { o["jitter"] = JSON(jitter) }
        if let seed { o["seed"] = JSON(seed) }
        return .object(o)
    }
}

/// What the daemon answers to `dream`: the dreamed photo at its own size.
public struct DreamResult: Equatable, Sendable {
    public var png: [UInt8]
    public var layer: String
    public var filter: Int?
    public var width: Int
    public var height: Int
    public var steps: Int
    public var octaves: Int
    /// The objective at each step, all octaves in order.
    public var history: [Float]
    public var weights: String
    public var cached: Bool
    public var job: Int?

    public init(png: [UInt8], layer: String, filter: Int?, width: Int, height: Int, steps: Int, octaves: Int, history: [Float],
                weights: String, cached: Bool = false, job: Int? = nil) {
        self.png = png
        self.layer = layer
        self.filter = filter
        self.width = width
        self.height = height
        self.steps = steps
        self.octaves = octaves
        self.history = history
        self.weights = weights
        self.cached = cached
        self.job = job
    }

    public init(_ json: JSON) throws {
        let r = try ResultReader(json, "dream result")
        self.init(png: try r.bytes("png"), layer: try r.string("layer"), filter: r.optionalInt("filter"), width: try r.int("width"),
                  height: try r.int("height"), steps: try r.int("steps"), octaves: try r.int("octaves"), history: try r.floats("history"),
                  weights: try r.string("weights"), cached: try r.bool("cached"), job: r.optionalInt("job"))
    }

    public var json: JSON {
        var o: [String: JSON] = [
            "png": .string(Base64.encode(png)), "layer": .string(layer), "width": JSON(width), "height": JSON(height),
            "steps": JSON(steps), "octaves": JSON(octaves), "history": .array(history.map { JSON($0) }),
            "weights": .string(weights), "cached": .bool(cached),
        ]
        if let filter { o["filter"] = JSON(filter) }
        if let job { o["job"] = JSON(job) }
        return .object(o)
    }
}
