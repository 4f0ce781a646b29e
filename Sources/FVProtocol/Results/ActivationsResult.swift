/// What the daemon answers to `activations`: the layer's output shape, every filter's mean
/// activation, and the filters that fire most.
public struct ActivationsResult: Equatable, Sendable {
    public struct Top: Equatable, Sendable {
        public var filter: Int
        public var mean: Float
        public init(filter: Int, mean: Float) {
            self.filter = filter
            self.mean = mean
        }
    }

    public var layer: String
    public var height: Int
    public var width: Int
    public var channels: Int
    public var means: [Float]
    public var top: [Top]

    public init(layer: String, height: Int, width: Int, channels: Int, means: [Float], top: [Top]) {
        self.layer = layer
        self.height = height
        self.width = width
        self.channels = channels
        self.means = means
        self.top = top
    }

    public init(_ json: JSON) throws {
        let r = try ResultReader(json, "activations result")
        let means = try r.array("means").map { m -> Float in
            guard let d = m.doubleValue else { throw ResultReader.Mismatch(description: "the daemon's activations result has a mean that is not a number") }
            return Float(d)
        }
        let top = try r.array("top").map { t -> Top in
            let tr = try ResultReader(t, "activations top entry")
            return Top(filter: try tr.int("filter"), mean: try tr.float("mean"))
        }
        self.init(layer: try r.string("layer"), height: try r.int("height"), width: try r.int("width"), channels: try r.int("channels"),
                  means: means, top: top)
    }

    public var json: JSON {
        [
            "layer": .string(layer), "height": JSON(height), "width": JSON(width), "channels": JSON(channels),
            "means": .array(means.map { JSON($0) }),
            "top": .array(top.map { ["filter": JSON($0.filter), "mean": JSON($0.mean)] }),
        ]
    }
}
