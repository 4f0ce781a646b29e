/// A render's objective as the protocol states it (docs/PROTOCOL.md, "Objectives"): a weighted
/// sum of terms, each on the request's layer and filter or on its own ("layer", "filter"), read before or after the layer's ReLU, optionally N
/// images kept apart by Lucid's diversity penalty. Absent: the preset's channel objective.
///
///     "objective": {"terms": [{"type": "neuron", "x": 3, "y": 4, "weight": 1},
///                             {"type": "channel", "layer": "block3_conv1", "filter": 40, "weight": -0.5}],
///                   "preReLU": true, "diversity": 4, "diversityWeight": 100}
public struct ObjectiveParams: Equatable, Sendable {
    public struct Term: Equatable, Sendable {
        /// A term's kind, by its wire name. An enum so that every switch over the kinds is
        /// checked by the compiler: a kind the protocol accepts cannot be forgotten elsewhere.
        public enum Kind: String, CaseIterable, Sendable {
            case channel, neuron, direction, deepdream
        }

        public var type: Kind
        public var weight: Double
        /// Neuron position in the layer (both or neither; default the centre).
        public var x: Int?
        public var y: Int?
        /// Direction: one number per channel of the layer.
        public var vector: [Double]?
        /// The layer the term reads (nil: the request's).
        public var layer: String?
        /// The filter a channel or neuron term reads (nil: the request's).
        public var filter: Int?

        public init(type: Kind, weight: Double = 1, x: Int? = nil, y: Int? = nil, vector: [Double]? = nil, layer: String? = nil, filter: Int? = nil) {
            self.type = type
            self.weight = weight
            self.x = x
            self.y = y
            self.vector = vector
            self.layer = layer
            self.filter = filter
        }

        /// The wire names, for messages and command-line checks.
        public static let types = Kind.allCases.map(\.rawValue)

        /// A direction's length must be within these: it sets a direction, and its length only
        /// scales the objective, so a length of 3e38 could only overflow it into infinity.
        public static let directionLengths = 1e-6...1e6
    }

    public var terms: [Term]
    /// nil: the preset's (pre-ReLU for lucid, post-ReLU for seed and grid).
    public var preReLU: Bool?
    /// Number of images kept apart by the diversity penalty (pattern only; nil: one image).
    public var diversity: Int?
    /// nil: 10000 (Lucid's 100, scaled to VGG16's activations).
    public var diversityWeight: Double?

    public init(terms: [Term], preReLU: Bool? = nil, diversity: Int? = nil, diversityWeight: Double? = nil) {
        self.terms = terms
        self.preReLU = preReLU
        self.diversity = diversity
        self.diversityWeight = diversityWeight
    }

    static let keys = ["terms", "preReLU", "diversity", "diversityWeight"]
    static let termKeys = ["type", "weight", "x", "y", "vector", "layer", "filter"]

    init(_ r: ParamReader) throws {
        guard let termReaders = try r.objects("terms", what: "an objective term", allowed: Self.termKeys, maxCount: 16), !termReaders.isEmpty else {
            throw RPCError.invalidParams("param \"objective\" needs \"terms\": a list of 1 to 16 terms, e.g. [{\"type\": \"neuron\"}]")
        }
        terms = try termReaders.map { t in
            let name = try t.requiredString("type")
            guard let type = Term.Kind(rawValue: name) else {
                throw RPCError.invalidParams("objective term type \"\(name)\" is unknown; types: \(Term.types.joined(separator: ", "))")
            }
            let term = Term(type: type, weight: try t.double("weight") ?? 1, x: try t.int("x", in: 0...100_000), y: try t.int("y", in: 0...100_000),
                            vector: try t.doubleArray("vector", maxCount: 4096), layer: try t.string("layer"), filter: try t.int("filter", in: 0...4095))
            if term.filter != nil && !(type == .channel || type == .neuron) {
                throw RPCError.invalidParams("\"filter\" belongs to channel and neuron terms; a \(name) term reads the whole layer")
            }
            if (term.x == nil) != (term.y == nil) { throw RPCError.invalidParams("a neuron term needs both \"x\" and \"y\", or neither (the centre)") }
            if term.x != nil && type != .neuron { throw RPCError.invalidParams("\"x\" and \"y\" belong to neuron terms, not \(type)") }
            if (term.vector != nil) != (type == .direction) {
                throw RPCError.invalidParams(type == .direction ? "a direction term needs \"vector\": one number per channel of the layer"
                                                                 : "\"vector\" belongs to direction terms, not \(name)")
            }
            if let v = term.vector {
                let length = v.reduce(0) { $0 + $1 * $1 }.squareRoot()
                guard length.isFinite, Term.directionLengths.contains(length) else {
                    throw RPCError.invalidParams("the direction vector's length is \(length); give one of length \(Term.directionLengths.lowerBound) to \(Term.directionLengths.upperBound) (its length only scales the objective: divide it by \(length.isFinite && length > 0 ? "its length" : "a large number"))")
                }
            }
            return term
        }
        preReLU = try r.bool("preReLU")
        diversity = try r.int("diversity", in: 2...16)
        diversityWeight = try r.double("diversityWeight")
    }

    var json: JSON {
        var o: [String: JSON] = [
            "terms": .array(terms.map { t in
                var e: [String: JSON] = ["type": .string(t.type.rawValue), "weight": JSON(t.weight)]
                if let x = t.x, let y = t.y { e["x"] = JSON(x); e["y"] = JSON(y) }
                if let v = t.vector { e["vector"] = .array(v.map { JSON($0) }) }
                if let l = t.layer { e["layer"] = .string(l) }
                if let f = t.filter { e["filter"] = JSON(f) }
                return .object(e)
            }),
        ]
        if let preReLU { o["preReLU"] = .bool(preReLU) }
        if let diversity { o["diversity"] = JSON(diversity) }
        if let diversityWeight { o["diversityWeight"] = JSON(diversityWeight) }
        return .object(o)
    }
}

/// Penalties on the lucid picture, subtracted with these weights (docs/PROTOCOL.md):
/// `"penalties": {"tv": 0.0005, "l1": 0, "blur": 0}`.
public struct PenaltyParams: Equatable, Sendable {
    public var totalVariation: Double?
    public var l1: Double?
    public var blur: Double?

    public init(totalVariation: Double? = nil, l1: Double? = nil, blur: Double? = nil) {
        self.totalVariation = totalVariation
        self.l1 = l1
        self.blur = blur
    }

    static let keys = ["tv", "l1", "blur"]

    init(_ r: ParamReader) throws {
        totalVariation = try r.double("tv")
        l1 = try r.double("l1")
        blur = try r.double("blur")
    }

    var json: JSON {
        var o: [String: JSON] = [:]
        if let totalVariation { o["tv"] = JSON(totalVariation) }
        if let l1 { o["l1"] = JSON(l1) }
        if let blur { o["blur"] = JSON(blur) }
        return .object(o)
    }
}
