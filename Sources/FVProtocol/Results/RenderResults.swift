/// What the daemon answers to `pattern`: the image and how it was made.
public struct PatternResult: Equatable, Sendable {
    public var png: [UInt8]
    /// The objective after the last step.
    public var loss: Float
    public var layer: String
    public var filter: Int
    public var size: Int
    public var steps: Int
    /// Steps taken: fewer than `steps` when the filter never fired (no step could change it).
    public var stepsRun: Int
    public var stepSize: Float
    public var seed: Int
    /// The weights' checksum.
    public var weights: String
    /// Said when the image is not what was hoped for (a filter that never fired).
    public var note: String?
    /// Answered from the result cache.
    public var cached: Bool
    /// The job that computed it (absent for a cached answer).
    public var job: Int?
    /// The objective at each step taken, for plotting.
    public var history: [Float]
    /// With `negative`: the negative picture's objective (minus the filter's mean activation).
    public var negativeLoss: Float?
    /// With diversity (or a negative pair): every picture's objective, left to right.
    public var losses: [Float]
    /// The pictures at the requested snapshot steps.
    public var snapshots: [Snapshot]
    /// With `raw`: the pictures as numbers.
    public var raw: RawImages?
    /// With `importance` / `alpha` in the request (see `PatternParams`).
    public var importancePNG: [UInt8]?
    public var alphaPNG: [UInt8]?

    public struct Snapshot: Equatable, Sendable {
        public var step: Int
        public var png: [UInt8]
        public init(step: Int, png: [UInt8]) {
            self.step = step
            self.png = png
        }
    }

    public init(png: [UInt8], loss: Float, layer: String, filter: Int, size: Int, steps: Int, stepsRun: Int? = nil, stepSize: Float, seed: Int,
                weights: String, note: String? = nil, cached: Bool = false, job: Int? = nil, history: [Float] = [], negativeLoss: Float? = nil,
                losses: [Float] = [], snapshots: [Snapshot] = [], raw: RawImages? = nil) {
        self.png = png
        self.loss = loss
        self.layer = layer
        self.filter = filter
        self.size = size
        self.steps = steps
        self.stepsRun = stepsRun ?? steps
        self.stepSize = stepSize
        self.seed = seed
        self.weights = weights
        self.note = note
        self.cached = cached
        self.job = job
        self.history = history
        self.negativeLoss = negativeLoss
        self.losses = losses
        self.snapshots = snapshots
        self.raw = raw
    }

    public init(_ json: JSON) throws {
        let r = try ResultReader(json, "pattern result")
        self.init(png: try r.bytes("png"), loss: try r.float("loss"), layer: try r.string("layer"), filter: try r.int("filter"),
                  size: try r.int("size"), steps: try r.int("steps"), stepsRun: try r.int("stepsRun"), stepSize: try r.float("stepSize"), seed: try r.int("seed"),
                  weights: try r.string("weights"), note: r.optionalString("note"), cached: try r.bool("cached"), job: r.optionalInt("job"),
                  history: try r.floats("history"), negativeLoss: r.optionalDouble("negativeLoss").map(Float.init),
                  losses: try r.floats("losses"),
                  snapshots: try (r.optionalArray("snapshots") ?? []).map { e in
                      let sr = try ResultReader(e, "snapshot")
                      return Snapshot(step: try sr.int("step"), png: try sr.bytes("png"))
                  },
                  raw: try r.optionalObject("raw").map(RawImages.init))
        importancePNG = r.optionalString("importancePNG") == nil ? nil : try r.bytes("importancePNG")
        alphaPNG = r.optionalString("alphaPNG") == nil ? nil : try r.bytes("alphaPNG")
    }

    public var json: JSON {
        var o: [String: JSON] = [
            "png": .string(Base64.encode(png)), "loss": JSON(loss), "layer": .string(layer), "filter": JSON(filter),
            "size": JSON(size), "steps": JSON(steps), "stepsRun": JSON(stepsRun), "stepSize": JSON(stepSize), "seed": JSON(seed),
            "weights": .string(weights), "cached": .bool(cached), "history": .array(history.map { JSON($0) }),
        ]
        if let note { o["note"] = .string(note) }
        if let job { o["job"] = JSON(job) }
        if let negativeLoss { o["negativeLoss"] = JSON(negativeLoss) }
        if !losses.isEmpty { o["losses"] = .array(losses.map { JSON($0) }) }
        if !snapshots.isEmpty {
            o["snapshots"] = .array(snapshots.map { ["step": JSON($0.step), "png": .string(Base64.encode($0.png))] })
        }
        if let raw { o["raw"] = raw.json }
        if let importancePNG { o["importancePNG"] = .string(Base64.encode(importancePNG)) }
        if let alphaPNG { o["alphaPNG"] = .string(Base64.encode(alphaPNG)) }
        return .object(o)
    }
}

/// What the daemon answers to `grid`: the tiled image and each tile's filter and objective.
public struct GridResult: Equatable, Sendable {
    public struct Tile: Equatable, Sendable {
        public var filter: Int
        public var loss: Float
        /// The filter never fired from its start: the tile is the start noise.
        public var neverFired: Bool
        /// The objective at each step taken, for plotting.
        public var history: [Float]
        public init(filter: Int, loss: Float, neverFired: Bool = false, history: [Float] = []) {
            self.filter = filter
            self.loss = loss
            self.neverFired = neverFired
            self.history = history
        }
    }

    public var png: [UInt8]
    public var layer: String
    public var columns: Int
    public var rows: Int
    public var margin: Int
    public var width: Int
    public var height: Int
    public var tiles: [Tile]
    public var size: Int
    public var steps: Int
    public var stepSize: Float
    public var seed: Int
    public var weights: String
    public var cached: Bool
    public var job: Int?
    /// With `raw`: the tiles as numbers.
    public var raw: RawImages?
    /// With `importance` in the request: the sheet with each tile's importance map over it.
    public var importancePNG: [UInt8]?

    public init(png: [UInt8], layer: String, columns: Int, rows: Int, margin: Int, width: Int, height: Int, tiles: [Tile],
                size: Int, steps: Int, stepSize: Float, seed: Int, weights: String, cached: Bool = false, job: Int? = nil, raw: RawImages? = nil) {
        self.png = png
        self.layer = layer
        self.columns = columns
        self.rows = rows
        self.margin = margin
        self.width = width
        self.height = height
        self.tiles = tiles
        self.size = size
        self.steps = steps
        self.stepSize = stepSize
        self.seed = seed
        self.weights = weights
        self.cached = cached
        self.job = job
        self.raw = raw
    }

    public init(_ json: JSON) throws {
        let r = try ResultReader(json, "grid result")
        let tiles = try r.array("tiles").map { t -> Tile in
            let tr = try ResultReader(t, "grid tile")
            return Tile(filter: try tr.int("filter"), loss: try tr.float("loss"), neverFired: try tr.bool("neverFired"), history: try tr.floats("history"))
        }
        self.init(png: try r.bytes("png"), layer: try r.string("layer"), columns: try r.int("columns"), rows: try r.int("rows"),
                  margin: try r.int("margin"), width: try r.int("width"), height: try r.int("height"), tiles: tiles,
                  size: try r.int("size"), steps: try r.int("steps"), stepSize: try r.float("stepSize"), seed: try r.int("seed"),
                  weights: try r.string("weights"), cached: try r.bool("cached"), job: r.optionalInt("job"),
                  raw: try r.optionalObject("raw").map(RawImages.init))
        importancePNG = r.optionalString("importancePNG") == nil ? nil : try r.bytes("importancePNG")
    }

    public var json: JSON {
        var o: [String: JSON] = [
            "png": .string(Base64.encode(png)), "layer": .string(layer), "columns": JSON(columns), "rows": JSON(rows),
            "margin": JSON(margin), "width": JSON(width), "height": JSON(height),
            "tiles": .array(tiles.map {
                ["filter": JSON($0.filter), "loss": JSON($0.loss), "neverFired": .bool($0.neverFired), "history": .array($0.history.map { JSON($0) })]
            }),
            "size": JSON(size), "steps": JSON(steps), "stepSize": JSON(stepSize), "seed": JSON(seed),
            "weights": .string(weights), "cached": .bool(cached),
        ]
        if let job { o["job"] = JSON(job) }
        if let raw { o["raw"] = raw.json }
        if let importancePNG { o["importancePNG"] = .string(Base64.encode(importancePNG)) }
        return .object(o)
    }
}
