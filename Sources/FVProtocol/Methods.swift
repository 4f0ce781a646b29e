/// fvd's methods and their params: names, types and the wire form, shared by the daemon (which
/// decodes) and clients (which encode). Range checks that need the model (layer names, filter
/// counts) happen in the daemon; these only guarantee types and sane magnitudes.
/// fvd's version: the daemon's and its client's (`--version`, `status`).
public let fvdVersion = "0.2.0"

public enum Method: String, CaseIterable, Sendable {
    case info, pattern, grid, activations, dream, jobs, cancel, status
}

/// The server-to-client notification carrying a job's progress.
public enum ServerNotification {
    public static let progress = "progress"
    /// A render that must wait: {"job", "request", "ahead": jobs that must finish before it starts}.
    public static let queued = "queued"
}

/// Parameters every render takes. Absent ones come from the preset.
public struct RenderOptions: Equatable, Sendable {
    public var preset: String?
    public var size: Int?
    public var steps: Int?
    public var stepSize: Double?
    public var seed: Int?
    /// nil: the preset's channel objective.
    public var objective: ObjectiveParams?
    public var penalties: PenaltyParams?
    /// Also the pictures at these steps (Lucid's thresholds), as `snapshots` in the result.
    public var snapshots: [Int]?
    /// Also the pictures as float32 numbers (`raw` in the result; see `RawImages`).
    public var raw: Bool?
    /// Render anew even when the result cache has this result (the new one replaces it).
    public var fresh: Bool?
    /// `batch`: work nobody waits on (an atlas), run beside the user's interactive requests and
    /// after everyone's (docs/PROTOCOL.md, "Priority").
    public var priority: Priority?
    /// The natural preset's measured spectrum (`--spectrum-from`); nil for 1/f.
    public var spectrum: SpectrumParams?

    public enum Priority: String, Sendable, CaseIterable {
        case interactive, batch
    }

    public init(preset: String? = nil, size: Int? = nil, steps: Int? = nil, stepSize: Double? = nil, seed: Int? = nil,
                objective: ObjectiveParams? = nil, penalties: PenaltyParams? = nil, snapshots: [Int]? = nil, raw: Bool? = nil,
                fresh: Bool? = nil) {
        self.fresh = fresh
        self.preset = preset
        self.size = size
        self.steps = steps
        self.stepSize = stepSize
        self.seed = seed
        self.objective = objective
        self.penalties = penalties
        self.snapshots = snapshots
        self.raw = raw
    }

    static let keys = ["preset", "size", "steps", "stepSize", "seed", "objective", "penalties", "snapshots", "raw", "fresh", "priority", "spectrum"]

    init(_ r: ParamReader) throws {
        preset = try r.string("preset")
        size = try r.int("size", in: 1...1_000_000)
        steps = try r.int("steps", in: 0...1_000_000_000)
        stepSize = try r.double("stepSize")
        seed = try r.int("seed", in: 0...Int64(UInt32.max))
        objective = try r.object("objective", what: "objective", allowed: ObjectiveParams.keys).map(ObjectiveParams.init)
        penalties = try r.object("penalties", what: "penalties", allowed: PenaltyParams.keys).map(PenaltyParams.init)
        snapshots = try r.intArray("snapshots", in: 1...1_000_000_000, maxCount: 16)
        raw = try r.bool("raw")
        fresh = try r.bool("fresh")
        if let name = try r.string("priority") {
            guard let p = Priority(rawValue: name) else {
                throw RPCError.invalidParams("param \"priority\" must be \"interactive\" or \"batch\", got \"\(name)\"")
            }
            priority = p
        }
        spectrum = try r.object("spectrum", what: "spectrum", allowed: SpectrumParams.keys).map(SpectrumParams.init)
    }

    func add(to o: inout [String: JSON]) {
        if let preset { o["preset"] = .string(preset) }
        if let size { o["size"] = JSON(size) }
        if let steps { o["steps"] = JSON(steps) }
        if let stepSize { o["stepSize"] = JSON(stepSize) }
        if let seed { o["seed"] = JSON(seed) }
        if let objective { o["objective"] = objective.json }
        if let penalties { o["penalties"] = penalties.json }
        if let snapshots { o["snapshots"] = .array(snapshots.map { JSON($0) }) }
        if let raw { o["raw"] = .bool(raw) }
        if let fresh { o["fresh"] = .bool(fresh) }
        if let priority { o["priority"] = .string(priority.rawValue) }
        if let spectrum { o["spectrum"] = spectrum.json }
    }
}

/// How the image is shown: "clip" (the notebook's clip(x / 255), the default) or "stretch"
/// (Chollet's deprocess_image: mean 0.5, 0.1 per standard deviation).
public let displayModes = ["clip", "stretch"]

func readDisplay(_ r: ParamReader) throws -> String? {
    guard let d = try r.string("display") else { return nil }
    guard displayModes.contains(d) else {
        throw RPCError.invalidParams("param \"display\" must be \(displayModes.map { "\"\($0)\"" }.joined(separator: " or ")), got \"\(d)\"")
    }
    return d
}

public struct PatternParams: Equatable, Sendable {
    public var layer: String
    public var filter: Int
    public var options: RenderOptions
    /// Send `progress` notifications (default true).
    public var progress: Bool
    /// See `displayModes`; nil: "clip".
    public var display: String?
    /// Lucid's negative pair: also the picture that minimises the filter, rendered in the same
    /// batch and shown to the right of the positive one.
    public var negative: Bool
    /// Also MACO's importance map: `importancePNG`, where in the picture the objective comes from
    /// (|d objective / d picture| over the optimisation, smoothed), over the picture.
    public var importance: Bool
    /// Also `alphaPNG`: the picture as RGBA with the importance as its opacity (MACO's display).
    public var alpha: Bool

    public init(layer: String, filter: Int, options: RenderOptions = .init(), progress: Bool = true, display: String? = nil, negative: Bool = false,
                importance: Bool = false, alpha: Bool = false) {
        self.importance = importance
        self.alpha = alpha
        self.layer = layer
        self.filter = filter
        self.options = options
        self.progress = progress
        self.display = display
        self.negative = negative
    }

    public init(_ params: JSON?) throws {
        let r = try ParamReader(params, method: "pattern", allowed: ["layer", "filter", "progress", "display", "negative", "importance", "alpha"] + RenderOptions.keys)
        importance = try r.bool("importance") ?? false
        alpha = try r.bool("alpha") ?? false
        layer = try r.requiredString("layer")
        filter = try r.requiredInt("filter", in: 0...1_000_000)
        options = try RenderOptions(r)
        progress = try r.bool("progress") ?? true
        display = try readDisplay(r)
        negative = try r.bool("negative") ?? false
    }

    public var json: JSON {
        var o: [String: JSON] = ["layer": .string(layer), "filter": JSON(filter), "progress": .bool(progress)]
        if negative { o["negative"] = .bool(true) }
        if importance { o["importance"] = .bool(true) }
        if alpha { o["alpha"] = .bool(true) }
        if let display { o["display"] = .string(display) }
        options.add(to: &o)
        return .object(o)
    }
}

public struct GridParams: Equatable, Sendable {
    public var layer: String
    /// The filters to show; default: the first 64 (or all, for fewer).
    public var filters: [Int]?
    public var columns: Int?
    public var margin: Int?
    public var options: RenderOptions
    public var progress: Bool
    /// See `displayModes`; nil: "clip".
    public var display: String?
    /// The filter number in each tile's corner.
    public var labels: Bool
    /// Each pixel as a scale x scale block (1-8), for small tiles.
    public var scale: Int
    /// Also `importancePNG`: the sheet with each tile's importance map over it (see `PatternParams`).
    public var importance: Bool

    public init(layer: String, filters: [Int]? = nil, columns: Int? = nil, margin: Int? = nil, options: RenderOptions = .init(), progress: Bool = true,
                display: String? = nil, labels: Bool = false, scale: Int = 1, importance: Bool = false) {
        self.importance = importance
        self.layer = layer
        self.filters = filters
        self.columns = columns
        self.margin = margin
        self.options = options
        self.progress = progress
        self.display = display
        self.labels = labels
        self.scale = scale
    }

    public init(_ params: JSON?) throws {
        let r = try ParamReader(params, method: "grid", allowed: ["layer", "filters", "columns", "margin", "progress", "display", "labels", "scale", "importance"] + RenderOptions.keys)
        importance = try r.bool("importance") ?? false
        layer = try r.requiredString("layer")
        filters = try r.intArray("filters", in: 0...1_000_000, maxCount: 512)
        columns = try r.int("columns", in: 1...64)
        margin = try r.int("margin", in: 0...64)
        options = try RenderOptions(r)
        progress = try r.bool("progress") ?? true
        display = try readDisplay(r)
        labels = try r.bool("labels") ?? false
        scale = try r.int("scale", in: 1...8) ?? 1
    }

    public var json: JSON {
        var o: [String: JSON] = ["layer": .string(layer), "progress": .bool(progress)]
        if let filters { o["filters"] = .array(filters.map { JSON($0) }) }
        if let columns { o["columns"] = JSON(columns) }
        if let margin { o["margin"] = JSON(margin) }
        if let display { o["display"] = .string(display) }
        if labels { o["labels"] = true }
        if scale != 1 { o["scale"] = JSON(scale) }
        if importance { o["importance"] = true }
        options.add(to: &o)
        return .object(o)
    }
}

public struct ActivationsParams: Equatable, Sendable {
    public var layer: String
    /// A PNG or JPEG, base64-encoded (param "image"; "png" is accepted as its older name).
    public var png: String?
    /// Or a raw tensor in model input space: {"height": H, "width": W, "data": [H*W*3 floats, BGR]}.
    public var tensor: JSON?
    public var top: Int
    /// "caffe" (subtract the ImageNet BGR mean, right for photographs; the default for PNGs)
    /// or "none". Tensors are always taken as they are.
    public var preprocess: String
    /// Also return where this filter fires: its activation map, and a heat map over the image.
    public var map: Int?
    /// Also return every filter's largest activation and its position (the atlas's dataset examples).
    public var maxima: Bool

    public init(layer: String, png: String? = nil, tensor: JSON? = nil, top: Int = 10, preprocess: String = "caffe", map: Int? = nil,
                maxima: Bool = false) {
        self.maxima = maxima
        self.layer = layer
        self.png = png
        self.tensor = tensor
        self.top = top
        self.preprocess = preprocess
        self.map = map
    }

    public init(_ params: JSON?) throws {
        let r = try ParamReader(params, method: "activations", allowed: ["layer", "image", "png", "tensor", "top", "preprocess", "map", "maxima"])
        maxima = try r.bool("maxima") ?? false
        if r.raw("image") != nil && r.raw("png") != nil {
            throw RPCError.invalidParams("give the image once: \"image\" (\"png\" is its older name)")
        }
        map = try r.int("map", in: 0...1_000_000)
        layer = try r.requiredString("layer")
        png = try r.string("image") ?? r.string("png")
        tensor = r.raw("tensor")
        top = try r.int("top", in: 0...512) ?? 10
        preprocess = try r.string("preprocess") ?? "caffe"
        guard (png == nil) != (tensor == nil || tensor == .null) else {
            throw RPCError.invalidParams("activations needs exactly one of \"image\" (base64 PNG or JPEG bytes) or \"tensor\"")
        }
        guard ["caffe", "none"].contains(preprocess) else {
            throw RPCError.invalidParams("param \"preprocess\" must be \"caffe\" or \"none\", got \"\(preprocess)\"")
        }
    }

    public var json: JSON {
        var o: [String: JSON] = ["layer": .string(layer), "top": JSON(top), "preprocess": .string(preprocess)]
        if let map { o["map"] = JSON(map) }
        if maxima { o["maxima"] = .bool(true) }
        if let png { o["image"] = .string(png) }
        if let tensor { o["tensor"] = tensor }
        return .object(o)
    }
}

public struct CancelParams: Equatable, Sendable {
    public var job: Int

    public init(job: Int) { self.job = job }

    public init(_ params: JSON?) throws {
        let r = try ParamReader(params, method: "cancel", allowed: ["job"])
        job = try r.requiredInt("job", in: 0...Int64(Int32.max))
    }

    public var json: JSON { ["job": JSON(job)] }
}

/// For methods without params (info, jobs, status): refuses any.
public enum NoParams {
    public static func check(_ params: JSON?, method: String) throws {
        _ = try ParamReader(params, method: method, allowed: [])
    }
}
