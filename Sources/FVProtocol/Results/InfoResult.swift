/// What the daemon answers to `info`: the layers, the weights, the presets and the limits.
public struct InfoResult: Equatable, Sendable {
    public struct Layer: Equatable, Sendable {
        public var name: String
        public var index: Int
        public var filters: Int
        public var inputChannels: Int
        public var poolAfter: Bool
        public init(name: String, index: Int, filters: Int, inputChannels: Int, poolAfter: Bool) {
            self.name = name
            self.index = index
            self.filters = filters
            self.inputChannels = inputChannels
            self.poolAfter = poolAfter
        }
    }

    public struct Weights: Equatable, Sendable {
        public var path: String
        public var checksum: String
        public var sourceSHA256: String
        public var credit: String
        public init(path: String, checksum: String, sourceSHA256: String, credit: String) {
            self.path = path
            self.checksum = checksum
            self.sourceSHA256 = sourceSHA256
            self.credit = credit
        }
    }

    public struct Preset: Equatable, Sendable {
        public var size: Int
        public var steps: Int
        public var stepSize: Float
        public init(size: Int, steps: Int, stepSize: Float) {
            self.size = size
            self.steps = steps
            self.stepSize = stepSize
        }
    }

    public struct Limits: Equatable, Sendable {
        public var minSize: Int
        public var maxSize: Int
        public var maxSteps: Int
        public var maxBatch: Int
        public var maxPixels: Int
        public var jobTimeLimitSeconds: Double
        public var maxLineBytes: Int
        public init(minSize: Int, maxSize: Int, maxSteps: Int, maxBatch: Int, maxPixels: Int, jobTimeLimitSeconds: Double, maxLineBytes: Int) {
            self.minSize = minSize
            self.maxSize = maxSize
            self.maxSteps = maxSteps
            self.maxBatch = maxBatch
            self.maxPixels = maxPixels
            self.jobTimeLimitSeconds = jobTimeLimitSeconds
            self.maxLineBytes = maxLineBytes
        }
    }

    public var layers: [Layer]
    public var weights: Weights
    public var presets: [String: Preset]
    public var limits: Limits

    public init(layers: [Layer], weights: Weights, presets: [String: Preset], limits: Limits) {
        self.layers = layers
        self.weights = weights
        self.presets = presets
        self.limits = limits
    }

    public init(_ json: JSON) throws {
        let r = try ResultReader(json, "info result")
        let layers = try r.array("layers").map { l -> Layer in
            let lr = try ResultReader(l, "layer")
            return Layer(name: try lr.string("name"), index: try lr.int("index"), filters: try lr.int("filters"),
                         inputChannels: try lr.int("inputChannels"), poolAfter: try lr.bool("poolAfter"))
        }
        let w = try r.object("weights")
        guard case .object(let ps)? = json["presets"] else { throw ResultReader.Mismatch(description: "the daemon's info result has no presets") }
        var presets: [String: Preset] = [:]
        for (name, p) in ps {
            let pr = try ResultReader(p, "preset \(name)")
            presets[name] = Preset(size: try pr.int("size"), steps: try pr.int("steps"), stepSize: try pr.float("stepSize"))
        }
        let l = try r.object("limits")
        self.init(
            layers: layers,
            weights: Weights(path: try w.string("path"), checksum: try w.string("checksum"), sourceSHA256: try w.string("sourceSHA256"), credit: try w.string("credit")),
            presets: presets,
            limits: Limits(minSize: try l.int("minSize"), maxSize: try l.int("maxSize"), maxSteps: try l.int("maxSteps"), maxBatch: try l.int("maxBatch"),
                           maxPixels: try l.int("maxPixels"), jobTimeLimitSeconds: try l.double("jobTimeLimitSeconds"), maxLineBytes: try l.int("maxLineBytes")))
    }

    public var json: JSON {
        [
            "layers": .array(layers.map { l in
                ["name": .string(l.name), "index": JSON(l.index), "filters": JSON(l.filters),
                 "inputChannels": JSON(l.inputChannels), "poolAfter": .bool(l.poolAfter)]
            }),
            "weights": ["path": .string(weights.path), "checksum": .string(weights.checksum),
                        "sourceSHA256": .string(weights.sourceSHA256), "credit": .string(weights.credit)],
            "presets": .object(presets.mapValues { ["size": JSON($0.size), "steps": JSON($0.steps), "stepSize": JSON($0.stepSize)] }),
            "limits": ["minSize": JSON(limits.minSize), "maxSize": JSON(limits.maxSize), "maxSteps": JSON(limits.maxSteps),
                       "maxBatch": JSON(limits.maxBatch), "maxPixels": JSON(limits.maxPixels),
                       "jobTimeLimitSeconds": JSON(limits.jobTimeLimitSeconds), "maxLineBytes": JSON(limits.maxLineBytes)],
        ]
    }
}
