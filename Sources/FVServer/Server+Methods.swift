import FVImage
import FVModel
import FVOptim
import FVProtocol
import Foundation

/// The methods: each decodes its params (strictly), does its work or queues it, and answers
/// with its typed result. Renders are the render service's.
extension Server {
    func dispatch(_ m: Method, _ req: RPCRequest, _ conn: Connection, _ done: @escaping (Result<JSON, RPCError>) -> Void) throws {
        switch m {
        case .info:
            try NoParams.check(req.params, method: "info")
            done(.success(info().json))
        case .status:
            try NoParams.check(req.params, method: "status")
            done(.success(status().json))
        case .jobs:
            try NoParams.check(req.params, method: "jobs")
            done(.success(JobsResult(jobs: scheduler.list(uid: conn.uid)).json))
        case .cancel:
            // Answered when the job has ended, with what happened to it: a job whose last step
            // was done before the cancel reached it finished, and says so (one answer is true).
            let p = try CancelParams(req.params)
            let job = try scheduler.cancel(id: p.job, uid: conn.uid, reason: .cancelledByRequest)
            job.whenComplete { outcome in
                if case .failure(let e) = outcome, e.code == RPCError.jobCancelled {
                    return done(.success(["job": JSON(p.job), "cancelled": true]))
                }
                let how: String
                switch outcome {
                case .success: how = "finished"
                case .failure(let e): how = e.code == RPCError.timeLimit ? "stopped at its time limit" : "failed"
                }
                done(.success(["job": JSON(p.job), "cancelled": false, "finished": true,
                               "note": .string("the job had \(how) before the cancel reached it; its answer went to its client")]))
            }
        case .pattern:
            try renders.pattern(PatternParams(req.params), requestID: req.id, conn, done)
        case .grid:
            try renders.grid(GridParams(req.params), requestID: req.id, conn, done)
        case .activations:
            try activations(ActivationsParams(req.params), conn, done)
        case .dream:
            try renders.dream(DreamParams(req.params), requestID: req.id, conn, done)
        }
    }

    func activations(_ p: ActivationsParams, _ conn: Connection, _ done: @escaping (Result<JSON, RPCError>) -> Void) throws {
        guard let spec = VGG16.layer(named: p.layer) else {
            throw RPCError.invalidParams(VGG16.unknownLayerMessage(p.layer))
        }
        if let f = p.map, f >= spec.outChannels {
            throw RPCError.invalidParams("filter \(f) does not exist in \(p.layer); valid filters are 0...\(spec.outChannels - 1)")
        }
        let input = try ActivationInput.check(p)
        let (h, w) = (input.height, input.width)
        let network = self.network
        let (layer, topCount, mapFilter, wantsMaxima) = (p.layer, p.top, p.map, p.maxima)  // not `p`: its base64 text would stay queued too
        let j = Job(id: newJobID(), uid: conn.uid, method: Method.activations.rawValue, summary: "\(layer) \(w)x\(h)", work: .compute({ run in
            // Decoded outside the turns: a slow picture costs this lane, not other users' steps,
            // and a cancel or the time limit stops it.
            let image = try input.decode(stopReason: run.stopReason)
            let (s, means, maxima, peaks, values) = run.turns.turn {
                network.channelMeans(of: image.model, height: h, width: w, layer: spec.index, map: mapFilter)
            }
            let top = means.indices.sorted { means[$0] > means[$1] || (means[$0] == means[$1] && $0 < $1) }.prefix(topCount)
            var map: ActivationsResult.FilterMap?
            if let f = mapFilter, let values {
                let overlay = image.shown.overlaid(heatMap: values, mapWidth: s.w, mapHeight: s.h)
                map = .init(filter: f, values: values, overlayPNG: try PNGCodec.encode(overlay))
            }
            return ActivationsResult(layer: layer, height: s.h, width: s.w, channels: s.c, means: means,
                                     top: top.map { ActivationsResult.Top(filter: $0, mean: means[$0]) }, map: map,
                                     maxima: wantsMaxima ? maxima : nil, peaks: wantsMaxima ? peaks : nil).json
        }), pixels: h * w,
            // The heat map's values (a number per position, ~24 bytes of JSON at most) and its PNG.
            answerBytes: h * w * 24 + spec.outChannels * 40 + RenderService.answerBytes(pictures: 1, side: max(h, w), raw: false, snapshots: 0),
            onProgress: nil, onComplete: done)
        try scheduler.submitTracked(j, by: conn)
    }

    func info() -> InfoResult { Self.info(weights: weights, limits: config.limits, jobTimeLimit: config.jobTimeLimit, maxLineBytes: config.maxLineBytes) }

    /// What `info` answers; also `fvd info`'s, without a daemon.
    public static func info(weights: ResidentWeights, limits: AscentJob.Limits = .init(), jobTimeLimit: Double = 900,
                            maxLineBytes: Int = 1 << 20) -> InfoResult {
        InfoResult(
            layers: VGG16.layers.map { .init(name: $0.name, index: $0.index, filters: $0.outChannels, inputChannels: $0.inChannels, poolAfter: $0.poolAfter) },
            weights: .init(path: weights.path, checksum: weights.checksumHex, sourceSHA256: weights.sourceSHA256, credit: Provenance.credit),
            presets: Dictionary(uniqueKeysWithValues: Preset.allCases.map { ($0.rawValue, InfoResult.Preset(size: $0.size, steps: $0.steps, stepSize: $0.stepSize)) }),
            limits: .init(minSize: VGG16.minimumSide, maxSize: VGG16.maximumSide, maxSteps: limits.maxSteps, maxBatch: limits.maxBatch,
                          maxPixels: limits.maxPixels, jobTimeLimitSeconds: jobTimeLimit, maxLineBytes: maxLineBytes))
    }

    func status() -> StatusResult {
        let s = scheduler.snapshot
        let c = cache.stats()
        return StatusResult(
            version: Server.version, pid: Int(getpid()), uptimeSeconds: Date().timeIntervalSince(started),
            weightsPath: weights.path, weightsChecksum: weights.checksumHex,
            queue: .init(queued: s.queued, running: s.running, mergedRuns: s.mergedRuns, inProgress: s.inProgress, workspaceBytes: s.workspaceBytes),
            cache: .init(directory: cache.directory, entries: c.entries, bytes: c.bytes, maxBytes: cache.maxBytes, hits: c.hits, misses: c.misses,
                         writeFailures: c.writeFailures),
            connections: connectionCount, outboxPending: outboxPending, outboxBytes: outboxBytes,
            residentTransformedWeightsBytes: network.transformedBytes)
    }
}
