import FVImage
import FVModel
import FVOptim
import FVProtocol
import Foundation

/// The methods. Render methods check everything before queueing, answer from the cache when
/// they can, and otherwise queue a job whose progress goes to the caller.
extension Server {
    func dispatch(_ m: Method, _ req: RPCRequest, _ conn: Connection, _ done: @escaping (Result<JSON, RPCError>) -> Void) throws {
        switch m {
        case .info:
            try NoParams.check(req.params, method: "info")
            done(.success(info()))
        case .status:
            try NoParams.check(req.params, method: "status")
            done(.success(status()))
        case .jobs:
            try NoParams.check(req.params, method: "jobs")
            done(.success(["jobs": .array(scheduler.list(uid: conn.uid))]))
        case .cancel:
            let p = try CancelParams(req.params)
            try scheduler.cancel(id: p.job, uid: conn.uid, reason: "cancelled by request")
            done(.success(["job": JSON(p.job), "cancelled": true]))
        case .pattern:
            try pattern(PatternParams(req.params), req, conn, done)
        case .grid:
            try grid(GridParams(req.params), req, conn, done)
        case .activations:
            try activations(ActivationsParams(req.params), conn, done)
        }
    }

    // MARK: render

    func ascentJob(layer: String, filters: [Int], options o: RenderOptions, defaultPreset: Preset) throws -> AscentJob {
        let preset: Preset
        if let name = o.preset {
            guard let p = Preset(rawValue: name) else {
                throw RPCError.invalidParams("unknown preset \"\(name)\"; presets: \(Preset.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            preset = p
        } else {
            preset = defaultPreset
        }
        let seed = UInt32(o.seed ?? 0)
        let job = AscentJob(layer: layer, items: filters.map { .init(filter: $0, seed: seed) }, size: o.size ?? preset.size,
                            steps: o.steps ?? preset.steps, stepSize: Float(o.stepSize ?? Double(preset.stepSize)))
        do { try job.validate(limits: config.limits) } catch { throw RPCError.invalidParams("\(error)") }
        return job
    }

    func cacheKey(_ kind: String, _ j: AscentJob, _ extra: String = "") -> String {
        "\(kind)|v1|\(weights.checksumHex)|\(j.layer)|\(j.items.map { "\($0.filter):\($0.seed)" }.joined(separator: ","))|\(j.size)|\(j.steps)|\(j.stepSize.bitPattern)|\(extra)"
    }

    func pattern(_ p: PatternParams, _ req: RPCRequest, _ conn: Connection, _ done: @escaping (Result<JSON, RPCError>) -> Void) throws {
        let job = try ascentJob(layer: p.layer, filters: [p.filter], options: p.options, defaultPreset: .seed)
        let key = cacheKey("pattern", job)
        try submitRender(job, key: key, method: "pattern", progress: p.progress && req.id != nil, req, conn, done) { r in
            let png = try PNGCodec.encode(RGBImage(width: job.size, height: job.size, pixels: r.rgb(0)))
            var result: [String: JSON] = [
                "png": .string(Data(png).base64EncodedString()), "loss": JSON(r.losses[0]), "layer": .string(job.layer),
                "filter": JSON(p.filter), "size": JSON(job.size), "steps": JSON(job.steps), "stepSize": JSON(job.stepSize),
                "seed": JSON(Int(job.items[0].seed)), "weights": .string(self.weights.checksumHex),
            ]
            if r.losses[0] == 0 {
                // A filter that never fires gives a zero gradient: the image stays the start noise.
                result["note"] = .string("filter \(p.filter) of \(job.layer) never activated, so the image is the starting noise; try another seed or a larger size")
            }
            return .object(result)
        }
    }

    func grid(_ p: GridParams, _ req: RPCRequest, _ conn: Connection, _ done: @escaping (Result<JSON, RPCError>) -> Void) throws {
        guard let spec = VGG16.layer(named: p.layer) else {
            throw RPCError.invalidParams(VGG16.unknownLayerMessage(p.layer))
        }
        let filters = p.filters ?? Array(0..<min(64, spec.outChannels))
        let job = try ascentJob(layer: p.layer, filters: filters, options: p.options, defaultPreset: .grid)
        let columns = p.columns ?? Int(Double(filters.count).squareRoot().rounded(.up))
        let margin = p.margin ?? 5
        let key = cacheKey("grid", job, "\(columns)|\(margin)")
        try submitRender(job, key: key, method: "grid", progress: p.progress && req.id != nil, req, conn, done) { r in
            let tiles = (0..<filters.count).map { RGBImage(width: job.size, height: job.size, pixels: r.rgb($0)) }
            let img = RGBImage.grid(tiles, columns: columns, margin: margin)
            let png = try PNGCodec.encode(img)
            return [
                "png": .string(Data(png).base64EncodedString()), "layer": .string(job.layer), "columns": JSON(columns),
                "rows": JSON((filters.count + columns - 1) / columns), "margin": JSON(margin), "width": JSON(img.width), "height": JSON(img.height),
                "tiles": .array(zip(filters, r.losses).map { ["filter": JSON($0), "loss": JSON($1)] }),
                "size": JSON(job.size), "steps": JSON(job.steps), "stepSize": JSON(job.stepSize),
                "seed": JSON(Int(job.items[0].seed)), "weights": .string(self.weights.checksumHex),
            ]
        }
    }

    /// Answers from the cache or queues the job; progress goes to the caller as notifications.
    func submitRender(_ job: AscentJob, key: String, method: String, progress: Bool, _ req: RPCRequest, _ conn: Connection,
                      _ done: @escaping (Result<JSON, RPCError>) -> Void, build: @escaping (AscentResult) throws -> JSON) throws {
        if var hit = cache.lookup(key)?.objectValue {
            hit["cached"] = true
            return done(.success(.object(hit)))
        }
        let id = newJobID()
        var lastSent = Date.distantPast
        let interval = config.progressInterval
        let onProgress: ((AscentProgress) -> Void)? = progress ? { [weak conn] p in
            // At most ten notifications a second (by default), and always the last step.
            let now = Date()
            guard p.step == p.steps || now.timeIntervalSince(lastSent) >= interval else { return }
            lastSent = now
            var params: [String: JSON] = ["job": JSON(id), "request": req.id ?? .null, "step": JSON(p.step), "steps": JSON(p.steps)]
            if p.losses.count == 1 { params["loss"] = JSON(p.losses[0]) } else { params["losses"] = .array(p.losses.map { JSON($0) }) }
            conn?.send(RPCMessage.notification(method: Notification.progress, params: .object(params)), progressKey: id)
        } : nil
        let cache = self.cache
        let j = Job(id: id, uid: conn.uid, method: method, summary: "\(job.layer) \(job.items.map(\.filter))",
                    work: .ascent(job, finish: { r in
                        var result = try build(r)
                        cache.store(key, result)
                        if case .object(var o) = result {
                            o["cached"] = false
                            o["job"] = JSON(id)
                            result = .object(o)
                        }
                        return result
                    }), onProgress: onProgress, onComplete: done)
        try scheduler.submit(j)
        conn.track(j)
    }

    // MARK: activations

    func activations(_ p: ActivationsParams, _ conn: Connection, _ done: @escaping (Result<JSON, RPCError>) -> Void) throws {
        guard let spec = VGG16.layer(named: p.layer) else {
            throw RPCError.invalidParams(VGG16.unknownLayerMessage(p.layer))
        }
        let input = try ActivationInput.check(p)
        let (h, w) = (input.height, input.width)
        let network = self.network
        let (layer, topCount) = (p.layer, p.top)  // not `p`: its base64 text would stay queued too
        let j = Job(id: newJobID(), uid: conn.uid, method: "activations", summary: "\(layer) \(w)x\(h)", work: .compute({
            let pixels = try input.modelInput()
            let ws = NetworkWorkspace(network: network, inputShape: .init(n: 1, h: h, w: w, c: 3), target: spec.index)
            pixels.withUnsafeBufferPointer { network.forward($0.baseAddress!, ws) }
            let s = ws.outputShape
            let means = (0..<s.c).map { c in
                var sum = 0.0
                for px in 0..<s.pixels { sum += Double(ws.output[px * s.c + c]) }
                return Float(sum / Double(s.pixels))
            }
            let top = means.indices.sorted { means[$0] > means[$1] || (means[$0] == means[$1] && $0 < $1) }.prefix(topCount)
            return [
                "layer": .string(layer), "height": JSON(s.h), "width": JSON(s.w), "channels": JSON(s.c),
                "means": .array(means.map { JSON($0) }),
                "top": .array(top.map { ["filter": JSON($0), "mean": JSON(means[$0])] }),
            ]
        }), pixels: h * w, onProgress: nil, onComplete: done)
        try scheduler.submit(j)
        conn.track(j)
    }

    // MARK: info

    func info() -> JSON {
        [
            "layers": .array(VGG16.layers.map { l in
                ["name": .string(l.name), "index": JSON(l.index), "filters": JSON(l.outChannels),
                 "inputChannels": JSON(l.inChannels), "poolAfter": .bool(l.poolAfter)]
            }),
            "weights": ["path": .string(weights.path), "checksum": .string(weights.checksumHex),
                        "sourceSHA256": .string(weights.sourceSHA256), "credit": .string(Provenance.credit)],
            "presets": .object(Dictionary(uniqueKeysWithValues: Preset.allCases.map {
                ($0.rawValue, ["size": JSON($0.size), "steps": JSON($0.steps), "stepSize": JSON($0.stepSize)] as JSON)
            })),
            "limits": ["minSize": JSON(VGG16.minimumSide), "maxSize": JSON(VGG16.maximumSide), "maxSteps": JSON(config.limits.maxSteps),
                       "maxBatch": JSON(config.limits.maxBatch), "maxPixels": JSON(config.limits.maxPixels),
                       "jobTimeLimitSeconds": JSON(config.jobTimeLimit), "maxLineBytes": JSON(config.maxLineBytes)],
        ]
    }

    func status() -> JSON {
        let s = scheduler.snapshot
        let c = cache.stats()
        return [
            "version": .string(Server.version), "pid": JSON(Int(getpid())),
            "uptimeSeconds": JSON(Date().timeIntervalSince(started)),
            "weights": ["path": .string(weights.path), "checksum": .string(weights.checksumHex)],
            "queue": ["queued": JSON(s.queued), "running": JSON(s.running), "mergedRuns": JSON(s.mergedRuns),
                      "inProgress": JSON(s.inProgress), "workspaceBytes": JSON(s.workspaceBytes)],
            "cache": ["directory": cache.directory.map { .string($0) } ?? .null, "entries": JSON(c.entries), "bytes": JSON(c.bytes),
                      "maxBytes": JSON(cache.maxBytes), "hits": JSON(c.hits), "misses": JSON(c.misses),
                      "writeFailures": JSON(c.writeFailures)],
            "connections": JSON(connectionCount),
            "outboxPending": JSON(outboxPending),
            "outboxBytes": JSON(outboxBytes),
            "residentTransformedWeightsBytes": JSON(network.transformedBytes),
        ]
    }
}
