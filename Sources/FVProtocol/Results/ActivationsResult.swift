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

    /// Where one filter fires: its activation at every position of the layer (row by row,
    /// `height` x `width`), and a heat map of it laid over the input image, as a PNG.
    public struct FilterMap: Equatable, Sendable {
        public var filter: Int
        public var values: [Float]
        public var overlayPNG: [UInt8]
        public init(filter: Int, values: [Float], overlayPNG: [UInt8]) {
            self.filter = filter
            self.values = values
            self.overlayPNG = overlayPNG
        }
    }

    public var layer: String
    public var height: Int
    public var width: Int
    public var channels: Int
    public var means: [Float]
    public var top: [Top]
    public var map: FilterMap?
    /// With `"maxima": true`: each filter's largest activation, and its position (y * width + x).
    public var maxima: [Float]?
    public var peaks: [Int]?

    public init(layer: String, height: Int, width: Int, channels: Int, means: [Float], top: [Top], map: FilterMap? = nil,
                maxima: [Float]? = nil, peaks: [Int]? = nil) {
        self.maxima = maxima
        self.peaks = peaks
        self.layer = layer
        self.height = height
        self.width = width
        self.channels = channels
        self.means = means
        self.top = top
        self.map = map
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
        var map: FilterMap?
        if json["map"] != nil {
            let mr = try r.object("map")
            let values = try mr.array("values").map { v -> Float in
                guard let d = v.doubleValue else { throw ResultReader.Mismatch(description: "the daemon's activation map has a value that is not a number") }
                return Float(d)
            }
            map = FilterMap(filter: try mr.int("filter"), values: values, overlayPNG: try mr.bytes("overlayPNG"))
        }
        var maxima: [Float]?, peaks: [Int]?
        if json["maxima"] != nil {
            maxima = try r.array("maxima").map { v -> Float in
                guard let d = v.doubleValue else { throw ResultReader.Mismatch(description: "the daemon's activations result has a maximum that is not a number") }
                return Float(d)
            }
            peaks = try r.array("peaks").map { v -> Int in
                guard let i = v.intValue, i >= 0 else { throw ResultReader.Mismatch(description: "the daemon's activations result has a peak that is not a position") }
                return Int(i)
            }
            guard maxima!.count == means.count, peaks!.count == means.count else {
                throw ResultReader.Mismatch(description: "the daemon's activations result has maxima or peaks for another number of filters")
            }
        }
        self.init(layer: try r.string("layer"), height: try r.int("height"), width: try r.int("width"), channels: try r.int("channels"),
                  means: means, top: top, map: map, maxima: maxima, peaks: peaks)
    }

    public var json: JSON {
        var o: [String: JSON] = [
            "layer": .string(layer), "height": JSON(height), "width": JSON(width), "channels": JSON(channels),
            "means": .array(means.map { JSON($0) }),
            "top": .array(top.map { ["filter": JSON($0.filter), "mean": JSON($0.mean)] }),
        ]
        if let map {
            o["map"] = ["filter": JSON(map.filter), "values": .array(map.values.map { JSON($0) }), "overlayPNG": .string(Base64.encode(map.overlayPNG))]
        }
        if let maxima, let peaks {
            o["maxima"] = .array(maxima.map { JSON($0) })
            o["peaks"] = .array(peaks.map { JSON($0) })
        }
        return .object(o)
    }
}
