import FVImage
import FVModel
import FVOptim
import FVProtocol
import Foundation

/// `pattern` and `grid`: resolves the request into a job, answers from the result cache when it
/// can, otherwise queues the job with progress going to the caller, and builds the typed result
/// (and its PNG) when the job is done.
final class RenderService: @unchecked Sendable {
    let config: ServerConfig
    let weightsChecksum: String
    let cache: ResultCache
    let scheduler: Scheduler
    private let newJobID: () -> Int

    init(config: ServerConfig, weightsChecksum: String, cache: ResultCache, scheduler: Scheduler, newJobID: @escaping () -> Int) {
        self.config = config
        self.weightsChecksum = weightsChecksum
        self.cache = cache
        self.scheduler = scheduler
        self.newJobID = newJobID
    }

    typealias Done = (Result<JSON, RPCError>) -> Void

    /// Everything that determines a result: the method's own layout, the job (objective,
    /// parameterisation, optimiser, steps, each image's filter and seed) and the weights.
    func cacheKey(_ method: Method, _ job: AscentJob, layout: String = "") -> String {
        "\(method.rawValue)|v4|\(weightsChecksum)|\(job.cacheText)|\(layout)"
    }

    func pattern(_ p: PatternParams, requestID: JSON?, _ conn: Connection, _ done: @escaping Done) throws {
        let job = try JobResolver.ascentJob(layer: p.layer, filters: [p.filter], options: p.options, defaultPreset: .seed, limits: config.limits,
                                            negative: p.negative)
        let checksum = weightsChecksum
        let display = ModelImage.Display(rawValue: p.display ?? "clip") ?? .clip
        let raw = p.options.raw ?? false
        let (importance, alpha) = (p.importance, p.alpha)
        let answer = RenderService.answerBytes(pictures: job.items.count, side: job.size, raw: raw,
                                               snapshots: job.settings.snapshots.count + (importance ? 1 : 0) + (alpha ? 2 : 0))
        let layout = "\(display.rawValue)" + (raw ? "|raw" : "") + (importance ? "|importance" : "") + (alpha ? "|alpha" : "")
        try submit(job, key: cacheKey(.pattern, job, layout: layout), method: .pattern, answerBytes: answer,
                   fresh: p.options.fresh ?? false, priority: p.options.priority,
                   progress: p.progress ? requestID : nil, conn, done,
                   cached: { try PatternResult($0).with(cached: true).json }) { r, jobID in
            // Several pictures (a negative pair, positive on the left as Lucid shows it; or a
            // diversity set) are tiled in a row.
            func strip(snapshot: Int? = nil) throws -> [UInt8] {
                var pictures = job.items.indices.map { RGBImage(width: job.size, height: job.size, pixels: r.rgb($0, display: display, snapshot: snapshot)) }
                if p.negative {  // which side is which, in the picture itself
                    pictures[0].label("for", x: 0, y: 0, dot: max(1, job.size / 64))
                    pictures[1].label("against", x: 0, y: 0, dot: max(1, job.size / 64))
                }
                return try PNGCodec.encode(pictures.count == 1 ? pictures[0] : RGBImage.grid(pictures, columns: pictures.count, margin: 5))
            }
            let png = try strip()
            let snapshots = try r.snapshots.indices.map { PatternResult.Snapshot(step: r.snapshots[$0].step, png: try strip(snapshot: $0)) }
            // A filter that never fires gives a zero gradient: the image stays the start noise, and
            // the engine stopped after the first step (every further one would change nothing).
            let note = r.neverFired[0]
                ? "filter \(p.filter) of \(job.layer) never activated from this start, so fvd stopped after step \(r.stepsRun) and the image is the starting noise; try another seed, a larger size or --preset lucid" : nil
            var result = PatternResult(png: png, loss: r.losses[0], layer: job.layer, filter: p.filter, size: job.size, steps: job.steps,
                                       stepsRun: r.stepsRun, stepSize: job.stepSize, seed: Int(job.items[0].seed), weights: checksum, note: note, job: jobID,
                                       history: r.history[0], negativeLoss: p.negative ? r.losses[1] : nil,
                                       losses: r.losses.count > 1 ? r.losses : [], snapshots: snapshots,
                                       raw: raw ? RawImages(count: job.items.count, height: job.size, width: job.size, data: r.images) : nil)
            // MACO's importance: over each picture as a heat map, and as the picture's opacity.
            func picture(_ i: Int) -> RGBImage { RGBImage(width: job.size, height: job.size, pixels: r.rgb(i, display: display)) }
            func row(_ images: [RGBImage]) -> RGBImage { images.count == 1 ? images[0] : RGBImage.grid(images, columns: images.count, margin: 5) }
            let maps = importance || alpha ? job.items.indices.map(r.smoothedImportance) : []
            if importance {
                result.importancePNG = try PNGCodec.encode(row(job.items.indices.map {
                    picture($0).overlaid(heatMap: maps[$0], mapWidth: job.size, mapHeight: job.size)
                }))
            }
            if alpha {
                let strip = row(job.items.indices.map(picture))
                var opacity = [Float](repeating: 0, count: strip.width * strip.height)
                for i in job.items.indices {
                    let a = maps[i], x0 = i * (job.size + 5)
                    for y in 0..<job.size { for x in 0..<job.size { opacity[y * strip.width + x0 + x] = a[y * job.size + x] } }
                }
                result.alphaPNG = try PNGCodec.encode(strip, alpha: opacity)
            }
            return result.json
        }
    }

    func grid(_ p: GridParams, requestID: JSON?, _ conn: Connection, _ done: @escaping Done) throws {
        guard let spec = VGG16.layer(named: p.layer) else { throw RPCError.invalidParams(VGG16.unknownLayerMessage(p.layer)) }
        // Default: the first 64 filters. When their pictures fit the pixel budget but the lucid
        // transforms' larger network input (up to 1.2x each side) does not, as many as fit; a
        // default grid whose pictures alone are too big is refused as before.
        let probe = try JobResolver.ascentJob(layer: p.layer, filters: [0], options: p.options, defaultPreset: .grid, limits: config.limits)
        let wanted = min(64, spec.outChannels)
        let picturesFit = wanted * probe.size * probe.size <= config.limits.maxPixels
        let filters = p.filters ?? Array(0..<(picturesFit ? min(wanted, max(1, config.limits.maxPixels / probe.networkPixels)) : wanted))
        if p.options.snapshots != nil { throw RPCError.invalidParams("snapshots are for pattern; a grid returns only its final tiles") }
        let job = try JobResolver.ascentJob(layer: p.layer, filters: filters, options: p.options, defaultPreset: .grid, limits: config.limits)
        let columns = p.columns ?? Int(Double(filters.count).squareRoot().rounded(.up))
        let margin = p.margin ?? 5
        let checksum = weightsChecksum
        let display = ModelImage.Display(rawValue: p.display ?? "clip") ?? .clip
        let (labels, scale, importance) = (p.labels, p.scale, p.importance)
        let raw = p.options.raw ?? false
        let layout = "\(columns)|\(margin)|\(display.rawValue)|\(labels)|\(scale)" + (raw ? "|raw" : "") + (importance ? "|importance" : "")
        let answer = RenderService.answerBytes(pictures: job.items.count, side: job.size * scale, raw: raw, snapshots: 0)
        try submit(job, key: cacheKey(.grid, job, layout: layout), method: .grid, answerBytes: answer, fresh: p.options.fresh ?? false, priority: p.options.priority,
                   progress: p.progress ? requestID : nil, conn, done,
                   cached: { try GridResult($0).with(cached: true).json }) { r, jobID in
            func sheet(_ overlay: Bool) -> RGBImage {
                let tiles = filters.indices.map { i -> RGBImage in
                    var tile = RGBImage(width: job.size, height: job.size, pixels: r.rgb(i, display: display))
                    if overlay { tile = tile.overlaid(heatMap: r.smoothedImportance(i), mapWidth: job.size, mapHeight: job.size) }
                    if labels { tile.label(filters[i], x: 0, y: 0, dot: max(1, job.size / 64)) }
                    return tile
                }
                var img = RGBImage.grid(tiles, columns: columns, margin: margin).scaled(by: scale)
                if labels { img = img.titled(job.layer, dot: scale) }  // the sheet names its layer
                return img
            }
            let img = sheet(false)
            let importancePNG = importance ? try PNGCodec.encode(sheet(true)) : nil
            var result = GridResult(png: try PNGCodec.encode(img), layer: job.layer, columns: columns, rows: (filters.count + columns - 1) / columns,
                                    margin: margin, width: img.width, height: img.height,
                                    tiles: filters.indices.map { GridResult.Tile(filter: filters[$0], loss: r.losses[$0], neverFired: r.neverFired[$0], history: r.history[$0]) },
                                    size: job.size, steps: job.steps, stepSize: job.stepSize, seed: Int(job.items[0].seed), weights: checksum,
                                    job: jobID, raw: raw ? RawImages(count: filters.count, height: job.size, width: job.size, data: r.images) : nil)
            result.importancePNG = importancePNG
            return result.json
        }
    }

    /// Answers from the cache (`cached` re-reads the stored result as the typed result, so a
    /// stored entry that does not decode counts as a miss) or queues the job; progress goes to
    /// the caller as notifications when `progress` names its request.
    /// The most an answer of `pictures` pictures of `side` px may take, bytes: each as a PNG (at
    /// most its RGB bytes and its headers), snapshots too, with `raw` the float32 values, all in
    /// base64; and the rest of the JSON.
    static func answerBytes(pictures: Int, side: Int, raw: Bool, snapshots: Int) -> Int {
        let rgb = pictures * side * side * 3
        return ((rgb + 4096 * pictures) * (1 + snapshots) + (raw ? rgb * 4 : 0)) * 4 / 3 + (64 << 10)
    }

    private func submit(_ job: AscentJob, key: String, method: Method, answerBytes: Int, fresh: Bool, priority: RenderOptions.Priority?,
                        progress requestID: JSON?, _ conn: Connection,
                        _ done: @escaping Done, cached: (JSON) throws -> JSON, build: @escaping (AscentResult, Int) throws -> JSON) throws {
        if !fresh, let hit = cache.lookup(key), let answer = try? cached(hit) {
            return done(.success(answer))
        }
        let id = newJobID()
        let (onProgress, onQueued) = notifiers(job: id, requestID: requestID, conn)
        let cache = self.cache
        let j = Job(id: id, uid: conn.uid, method: method.rawValue, summary: "\(job.layer) \(job.items.map(\.filter))",
                    work: .ascent(job, finish: { r in
                        // A number that overflowed would go out as null and be cached for everyone.
                        guard r.losses.allSatisfy(\.isFinite), r.history.allSatisfy({ $0.allSatisfy(\.isFinite) }) else {
                            throw RPCError.invalidParams("the objective overflowed (it is not a finite number); make the weights or the direction vector smaller")
                        }
                        let result = try build(r, id)
                        // Stored as any later caller will get it: cached, with no job of its own.
                        if case .object(var stored) = result {
                            stored["job"] = nil
                            cache.store(key, .object(stored))
                        }
                        return result
                    }), answerBytes: answerBytes, onProgress: onProgress, onQueued: onQueued, onComplete: done)
        j.isBatchWork = priority == .batch
        try scheduler.submitTracked(j, by: conn)
    }
}

extension RenderService {
    /// The progress and queue-position notifications for job `id`, when `requestID` asks.
    func notifiers(job id: Int, requestID: JSON?, _ conn: Connection) -> (((AscentProgress) -> Void)?, ((Int) -> Void)?) {
        var lastSent = Date.distantPast
        let interval = config.progressInterval
        let onProgress: ((AscentProgress) -> Void)? = requestID.map { rid in
            { [weak conn] p in
                // At most ten notifications a second (by default), and always the last step.
                let now = Date()
                guard p.step == p.steps || now.timeIntervalSince(lastSent) >= interval else { return }
                lastSent = now
                var params: [String: JSON] = ["job": JSON(id), "request": rid, "step": JSON(p.step), "steps": JSON(p.steps)]
                if p.losses.count == 1 { params["loss"] = JSON(p.losses[0]) } else { params["losses"] = .array(p.losses.map { JSON($0) }) }
                conn?.send(RPCMessage.notification(method: ServerNotification.progress, params: .object(params)), progressKey: id)
            }
        }
        let onQueued: ((Int) -> Void)? = requestID.map { rid in
            { [weak conn] ahead in
                conn?.send(RPCMessage.notification(method: ServerNotification.queued, params: ["job": JSON(id), "request": rid, "ahead": JSON(ahead)]))
            }
        }
        return (onProgress, onQueued)
    }

    /// DeepDream on the client's photo: checked now (the image's header and size, every
    /// option), decoded only when its job runs, cached like a render.
    func dream(_ p: DreamParams, requestID: JSON?, _ conn: Connection, _ done: @escaping Done) throws {
        guard let data = Data(base64Encoded: p.image) else {
            throw RPCError.invalidParams("param \"image\" is not valid base64; send the PNG or JPEG file's bytes base64-encoded")
        }
        let bytes = [UInt8](data)
        let size: (width: Int, height: Int)
        do { size = try ImageFile.dimensions(bytes, maxSide: VGG16.maximumSide) } catch { throw RPCError.invalidParams("\(error)") }
        let range = VGG16.minimumSide...VGG16.maximumSide
        guard range.contains(size.width), range.contains(size.height) else {
            throw RPCError.invalidParams("the image is \(size.width)x\(size.height); both sides must be in \(range.lowerBound)...\(range.upperBound) pixels")
        }
        // The job without its pixels, validated now; the photo is decoded when it runs.
        var job = DreamJob(photo: [], width: size.width, height: size.height, layer: p.layer, filter: p.filter)
        if let s = p.steps { job.stepsPerOctave = s }
        if let o = p.octaves { job.octaves = o }
        if let s = p.octaveScale { job.octaveScale = Float(s) }
        if let s = p.stepSize { job.stepSize = Float(s) }
        if let j = p.jitter { job.jitter = j }
        if let s = p.seed { job.seed = UInt32(s) }
        do { try job.validate(limits: config.limits) } catch { throw RPCError.invalidParams("\(error)") }
        // The photo by its SHA-256, in its user's part of the cache: another user sending the same
        // bytes computes their own dream, and learns nothing of this user's from a cache hit.
        let key = "dream|v3|\(weightsChecksum)|\(job.cacheText)|uid \(conn.uid)|photo sha256 \(ContentDigest.sha256(bytes))"
        if let hit = cache.lookup(key), let answer = try? DreamResult(hit).with(cached: true).json {
            return done(.success(answer))
        }
        let id = newJobID()
        let (onProgress, onQueued) = notifiers(job: id, requestID: requestID, conn)
        let (cache, checksum) = (self.cache, weightsChecksum)
        let j = Job(id: id, uid: conn.uid, method: Method.dream.rawValue, summary: "\(p.layer) \(size.width)x\(size.height)",
                    work: .stepped(steps: job.steps, run: { run in
                        let photo: RGBImage
                        do { photo = try ImageFile.decode(bytes, maxSide: VGG16.maximumSide) } catch { throw RPCError.invalidParams("\(error)") }
                        var full = job
                        full.photo = photo.pixels
                        let r = try run.engine.dream(full, limits: run.limits, cancel: run.cancel, turns: run.turns, progress: run.progress)
                        let png = try PNGCodec.encode(RGBImage(width: job.width, height: job.height, pixels: r.rgb))
                        let result = DreamResult(png: png, layer: job.layer, filter: job.filter, width: job.width, height: job.height,
                                                 steps: job.steps, octaves: job.octaves, history: r.history, weights: checksum, job: id)
                        cache.store(key, result.with(cached: false).json)
                        return result.json
                    }), pixels: size.width * size.height,
                    answerBytes: RenderService.answerBytes(pictures: 1, side: max(size.width, size.height), raw: false, snapshots: 0),
                    onProgress: onProgress, onQueued: onQueued, onComplete: done)
        try scheduler.submitTracked(j, by: conn)
    }
}

/// A render result as the cache gives it back: marked cached, with no job of its own.
protocol CachedRender {
    var cached: Bool { get set }
    var job: Int? { get set }
}

extension CachedRender {
    func with(cached: Bool) -> Self {
        var r = self
        r.cached = cached
        r.job = nil
        return r
    }
}

extension PatternResult: CachedRender {}
extension GridResult: CachedRender {}
extension DreamResult: CachedRender {}
