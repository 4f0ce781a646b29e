import ArgumentParser
import FVAtlas
import FVImage
import FVModel
import FVOptim
import FVProtocol
import FVServer
import Foundation

/// `fvd info`: what the daemon's `info` answers, from a weights file, without a daemon (how
/// `fvctl atlas --slurm` plans an atlas and checks the weights a cluster's nodes will load).
struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print the layers, weights and presets as JSON (what the daemon's info answers).")

    @Option(help: "Weights file (default: the one fvd would load).") var weights: String?

    func run() throws {
        let path = weights ?? WeightsLocator.defaultPath()
        do {
            print(JSONCodec.serialize(Server.info(weights: try ResidentWeights(path: path)).json))
        } catch let e as WeightsError {
            FileHandleStderr.write("fvd: \(e.description)\n")
            throw ExitCode(3)
        }
    }
}

/// `fvd atlas-task DIR`: renders one shard of an atlas in this process (a Slurm array task on a
/// node with no daemon): the units of every `tasks`-th chunk from `task` that are not done.
struct AtlasTask: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "atlas-task",
        abstract: "Render one shard of an atlas in-process (what each Slurm array task runs; fvctl atlas --slurm writes the script).")

    @Argument(help: "The atlas directory (it holds atlas.json).") var directory: String
    @Option(help: "This task's number, from 0 (default: $SLURM_ARRAY_TASK_ID, else 0).") var task: Int?
    @Option(help: "The number of tasks (default: $SLURM_ARRAY_TASK_COUNT, else 1).") var tasks: Int?
    @Option(help: "Weights file (default: the one fvd would load).") var weights: String?

    func run() throws {
        try requireCPUFeatures()
        let env = ProcessInfo.processInfo.environment
        let tasks = self.tasks ?? env["SLURM_ARRAY_TASK_COUNT"].flatMap(Int.init) ?? 1
        let task = self.task ?? env["SLURM_ARRAY_TASK_ID"].flatMap(Int.init) ?? 0
        guard tasks >= 1, (0..<tasks).contains(task) else { throw ValidationError("--task must be 0...\(tasks - 1) of --tasks \(tasks), got \(task)") }
        do {
            let dir = AtlasDirectory(directory)
            guard let manifest = try dir.manifest() else {
                throw AtlasError("\(directory) holds no atlas.json; make it with fvctl atlas ... --out \(directory)")
            }
            let path = weights ?? WeightsLocator.defaultPath()
            let w = try ResidentWeights(path: path)
            guard w.checksumHex == manifest.weights else {
                throw AtlasError("the weights at \(path) (checksum \(w.checksumHex)) are not the atlas's (\(manifest.weights)); give the same weights file with --weights")
            }
            let renderer = EngineAtlasRenderer(engine: GradientAscent(network: VGG16Network(weights: w)))
            let shard = manifest.shard(task, of: tasks)
            try AtlasRun(directory: dir, manifest: manifest).run(shard, with: renderer) { p in
                let unit = p.current.first.map { "; now \($0.layer) \(p.current.map { String($0.filter) }.joined(separator: ","))" } ?? "; finished"
                FileHandleStderr.write("fvd atlas-task \(task)/\(tasks): \(p.done) of \(p.total) units of this shard done\(unit)\n")
            }
        } catch let e as AtlasError {
            FileHandleStderr.write("fvd: \(e.description)\n")
            throw ExitCode(1)
        } catch let e as WeightsError {
            FileHandleStderr.write("fvd: \(e.description)\n")
            throw ExitCode(3)
        }
    }
}

/// `fvd atlas-site DIR`: builds the web site from what is done (the final step of a Slurm run)
/// and lists what is missing.
struct AtlasSiteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "atlas-site", abstract: "Build an atlas's web site from the units that are done; list the missing ones.")

    @Argument(help: "The atlas directory.") var directory: String

    func run() throws {
        do {
            let dir = AtlasDirectory(directory)
            guard let manifest = try dir.manifest() else { throw AtlasError("\(directory) holds no atlas.json") }
            let (done, total) = try AtlasSite(directory: dir, manifest: manifest).build()
            print("\(directory)/index.html: \(done) of \(total) units")
            let missing = manifest.units.filter { dir.done($0, manifest) == nil }
            if !missing.isEmpty {
                print("missing: " + missing.prefix(50).map(\.description).joined(separator: ", ") + (missing.count > 50 ? ", …" : ""))
                print("submit the same fvctl atlas command again to render them")
            }
        } catch let e as AtlasError {
            FileHandleStderr.write("fvd: \(e.description)\n")
            throw ExitCode(1)
        }
    }
}

/// The engine in this process, batching a chunk's units as the daemon's `grid` does: the same
/// job (`JobResolver`), the same pictures (`rgb`, clipped), so the same bytes.
struct EngineAtlasRenderer: AtlasRenderer {
    let engine: GradientAscent

    func render(_ units: [AtlasUnit], _ m: AtlasManifest) throws -> [RenderedUnit] {
        let filters = units.map(\.filter)
        func run(_ objective: ObjectiveParams?, filters: [Int]) throws -> AscentResult {
            let options = m.renderOptions(objective: objective)
            let job: AscentJob
            do { job = try JobResolver.ascentJob(layer: units[0].layer, filters: filters, options: options, defaultPreset: .grid) } catch let e as RPCError {
                throw AtlasError(e.message)
            }
            return try engine.run(job)
        }
        let positive = try run(nil, filters: filters)
        let negative = m.negative ? try run(AtlasNegative.objective, filters: filters) : nil
        return try units.indices.map { i in
            func png(_ r: AscentResult, _ k: Int) throws -> [UInt8] { try PNGCodec.encode(RGBImage(width: m.size, height: m.size, pixels: r.rgb(k))) }
            // Diverse pictures interact: one job per filter, as `pattern` runs it.
            let diverse = m.diversity > 0 ? try run(AtlasDiversity.objective(m), filters: [units[i].filter]) : nil
            return RenderedUnit(unit: units[i], picture: try png(positive, i), negative: try negative.map { try png($0, i) },
                                diverse: try diverse.map { d in try (0..<m.diversity).map { try png(d, $0) } } ?? [],
                                importance: m.importance ? try PNGCodec.encode(RGBImage(width: m.size, height: m.size, pixels: positive.rgb(i))
                                    .overlaid(heatMap: positive.smoothedImportance(i), mapWidth: m.size, mapHeight: m.size)) : nil,
                                record: AtlasRecord(loss: positive.losses[i], history: positive.history[i],
                                                    negativeLoss: negative?.losses[i], negativeHistory: negative?.history[i],
                                                    diverseLosses: diverse?.losses))
        }
    }
}
