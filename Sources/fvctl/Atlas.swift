import ArgumentParser
import Dispatch
import FVAtlas
import FVImage
import FVProtocol
import FVTransport
import Foundation

#if canImport(Glibc)
import Glibc
#endif

struct Atlas: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Render every filter of some layers (all 13 by default) into a web site; resumable, and over Slurm with --slurm.",
        discussion: """
            Each filter's picture and its negative go to DIR/LAYER/, with DIR/index.html, a page per layer and a page per filter (open DIR/index.html in a browser; no network needed). Killed or interrupted, the same command renders only what is missing; one drawn differently into the same DIR is refused, naming the difference. docs/ATLAS.md has more.

            Examples:
              fvctl atlas block5_conv3 --filters 0-15 --out atlas
              fvctl atlas --out vgg16-atlas
              fvctl atlas block1_conv1 --out small --size 64 --images photos/
              fvctl atlas --out /shared/atlas --slurm --tasks 32 --time 4:00:00
              fvctl atlas --status /shared/atlas
            """)

    @Argument(help: "Layers (default: all 13; `fvctl layers` lists them).", completion: .list(layerNames)) var layers: [String] = []
    @Option(help: "The atlas directory (made if missing).", completion: .directory) var out: String?
    @Option(help: "Filters of each layer named: numbers and ranges, e.g. 0-63,100 (default: all).") var filters: String?
    @Option(help: "Preset: lucid, natural, seed or grid.") var preset: String = "lucid"
    @Option(parsing: .unconditional, help: "Picture side in pixels (default: the preset's).") var size: Int?
    @Option(parsing: .unconditional, help: "Steps (default: the preset's).") var steps: Int?
    @Option(parsing: .unconditional, help: "Seed, the same for every filter (so filters share a batch and each page's command gives the same bytes alone).") var seed: Int = 0
    @Flag(name: .customLong("no-negative"), help: "Leave out each filter's negative (halves the work).") var noNegative = false
    @Option(parsing: .unconditional, help: "Also N diverse pictures of each filter (2-16), kept apart by Lucid's diversity penalty (one render per filter).")
    var diversity: Int?
    @Option(parsing: .unconditional, help: "Filters rendered together in one batched optimisation (it changes no picture).") var batch: Int = 16
    @Option(help: "A folder of PNG and JPEG pictures: each filter's page also shows the 9 that drive it hardest, with where it fires and the crop around its peak.",
            completion: .directory)
    var images: String?
    @Option(name: .customLong("spectrum-from"), help: "With --preset natural: draw every filter with the mean Fourier amplitude of this folder's pictures instead of 1/f (as fvctl pattern --spectrum-from); measured once, kept in the atlas.",
            completion: .directory)
    var spectrumFrom: String?
    @Flag(help: "Show how far the atlas in --out (or the directory given) is, and its Slurm jobs; render nothing.") var status = false
    @Flag(help: "Only rebuild the web site from what is done.") var site = false
    @OptionGroup var slurm: SlurmOptions
    @OptionGroup var connection: ConnectionOptions

    var directory: String {
        get throws {
            if let out { return out }
            // `fvctl atlas --status DIR`: the directory as the one argument.
            if status || site, layers.count == 1 { return layers[0] }
            throw ValidationError("give the atlas directory with --out DIR")
        }
    }

    func validate() throws {
        _ = try directory
        if let f = filters, FilterList.parse(f) == nil {
            throw ValidationError("--filters takes filter numbers and ranges, comma-separated, e.g. 0-63,100; got \(f)")
        }
        if filters != nil && layers.isEmpty { throw ValidationError("--filters needs the layers named, e.g. fvctl atlas block5_conv3 --filters 0-15 --out DIR") }
        if !(1...256).contains(batch) { throw ValidationError("--batch must be 1-256, got \(batch)") }
        if let d = diversity, !(2...16).contains(d) { throw ValidationError("--diversity must be 2-16 pictures, got \(d)") }
        if seed < 0 || seed > Int(UInt32.max) { throw ValidationError("--seed must be 0-\(UInt32.max), got \(seed)") }
        if status && site { throw ValidationError("--status and --site are separate things; give one") }
        if spectrumFrom != nil && preset != "natural" { throw ValidationError("--spectrum-from gives the natural preset its spectrum; add --preset natural") }
        if let f = images {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: f, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw ValidationError("--images \(f) is not a folder; give a folder of PNG and JPEG pictures")
            }
            if slurm.enabled { throw ValidationError("--images works through the daemon: run the same fvctl atlas command without --slurm once the Slurm jobs are done") }
        }
        try slurm.validate(using: slurm.enabled)
    }

    func run() throws {
        try runReportingFailures {
            do {
                let dir = AtlasDirectory(try directory)
                if status { return try AtlasStatus.show(dir, json: connection.json) }
                if site {
                    guard let m = try dir.manifest() else { throw AtlasError("\(dir.path) holds no atlas.json; make one with fvctl atlas ... --out \(dir.path)") }
                    let (done, total) = try AtlasSite(directory: dir, manifest: m).build()
                    printError("fvctl: \(dir.path)/index.html: \(done) of \(total) units")
                    return print(dir.path + "/index.html")
                }
                if slurm.enabled { return try AtlasSlurm(options: slurm, directory: dir).submit { info in try manifest(info) } }
                try runLocally(dir)
            } catch let e as AtlasError {
                throw Failure(Exit.refused, e.description)
            }
        }
    }

    func manifest(_ info: InfoResult) throws -> AtlasManifest {
        var m = try AtlasManifest.plan(info: info, layers: layers, filters: filters.flatMap(FilterList.parse), preset: preset, size: size, steps: steps,
                                       seed: seed, negative: !noNegative, diversity: diversity ?? 0, batch: batch)
        if let folder = spectrumFrom {
            m.spectrum = try SpectrumFromFolder.spectrum(of: folder, size: m.size) { if !connection.json { printError("fvctl: \($0)") } }
            m.spectrumFrom = URL(fileURLWithPath: folder).standardizedFileURL.path
        }
        return m
    }

    /// Through the daemon, as batch work below everyone's interactive requests.
    func runLocally(_ dir: AtlasDirectory) throws {
        let client = try connection.connect()
        let info = try InfoResult(try client.call(Method.info.rawValue))
        let m = try manifest(info)
        try dir.create()
        let lock = try AtlasLock(dir)
        defer { withExtendedLifetime(lock) {} }
        let whole = try AtlasRun.prepare(dir, m)
        let run = AtlasRun(directory: dir, manifest: whole)
        let display = AtlasProgressDisplay(json: connection.json)
        let missing = run.missing(in: m.chunks)
        let todo = missing.reduce(0) { $0 + $1.count }
        display.say("\(m.units.count - todo) of \(m.units.count) done, rendering \(todo)")
        signal(SIGINT, SIG_IGN)
        let sigint = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        sigint.setEventHandler {
            display.finish()
            // Closing the connection cancels the job in the daemon; the units written stay done.
            printError("fvctl: interrupted; the units done so far are kept: run the same command again to finish")
            Glibc.exit(Exit.interrupted)
        }
        sigint.resume()
        defer { sigint.cancel() }
        let renderer = DaemonAtlasRenderer(client: client, display: display)
        try run.run(missing: missing, of: m.units.count, with: renderer) { display.progress($0) }
        display.finish()
        if let folder = images {
            try DaemonAtlasExamples(client: client, directory: dir, manifest: whole, info: info, display: display).run(folder: folder)
        }
        let (done, total) = try AtlasSite(directory: dir, manifest: whole).build()
        display.say("\(dir.path)/index.html: \(done) of \(total) units")
        if !connection.json { print(dir.path + "/index.html") }
    }
}

/// The daemon renders a chunk as two `grid` requests (the pictures, then the negatives), one
/// row of tiles with no margin, cut into one PNG per unit.
struct DaemonAtlasRenderer: AtlasRenderer {
    let client: RPCClient
    let display: AtlasProgressDisplay

    func render(_ units: [AtlasUnit], _ m: AtlasManifest) throws -> [RenderedUnit] {
        func grid(_ objective: ObjectiveParams?) throws -> GridResult {
            var options = m.renderOptions(objective: objective)
            options.priority = .batch
            let params = GridParams(layer: units[0].layer, filters: units.map(\.filter), columns: units.count, margin: 0, options: options,
                                    display: "clip", labels: false, scale: 1, importance: objective == nil && m.importance)
            let answer: JSON
            do {
                answer = try client.call(Method.grid.rawValue, params.json) { name, p in
                    if name == ServerNotification.progress { display.step(p) }
                }
            } catch let e as RPCError where e.message.contains("too much for one job") {
                throw AtlasError("\(e.message): this atlas sends --batch \(m.batch) filters at once; run the same command with a smaller --batch (it changes no picture)")
            }
            let r = try GridResult(answer)
            guard r.tiles.count == units.count, r.width == m.size * units.count, r.height == m.size else {
                throw AtlasError("the daemon answered a \(r.width)x\(r.height) grid of \(r.tiles.count) tiles for \(units.count) units of \(m.size) px")
            }
            return r
        }
        /// A unit's diverse pictures: one `pattern` of N pictures (they interact: one job per filter).
        func diverse(_ u: AtlasUnit) throws -> (pictures: [[UInt8]], losses: [Float]) {
            var options = m.renderOptions(objective: AtlasDiversity.objective(m))
            options.priority = .batch
            let params = PatternParams(layer: u.layer, filter: u.filter, options: options, display: "clip")
            let r = try PatternResult(try client.call(Method.pattern.rawValue, params.json) { name, p in
                if name == ServerNotification.progress { display.step(p) }
            })
            let strip = try PNGCodec.decode(r.png, maxSide: 1 << 16)
            return (try (0..<m.diversity).map { try PNGCodec.encode(strip.tile($0, side: m.size, margin: AtlasUnit.stripMargin)) }, r.losses)
        }
        let positive = try grid(nil)
        let negative = m.negative ? try grid(AtlasNegative.objective) : nil
        let sheets = try ([positive] + (negative.map { [$0] } ?? [])).map { try PNGCodec.decode($0.png, maxSide: 1 << 16) }
        let importance = try positive.importancePNG.map { try PNGCodec.decode($0, maxSide: 1 << 16) }
        if m.importance && importance == nil { throw AtlasError("the daemon sent no importance map; is it older than this fvctl?") }
        return try units.indices.map { i in
            let d = m.diversity > 0 ? try diverse(units[i]) : nil
            return RenderedUnit(unit: units[i], picture: try PNGCodec.encode(sheets[0].tile(i, side: m.size)),
                                negative: negative == nil ? nil : try PNGCodec.encode(sheets[1].tile(i, side: m.size)), diverse: d?.pictures ?? [],
                                importance: try importance.map { try PNGCodec.encode($0.tile(i, side: m.size)) },
                                record: AtlasRecord(loss: positive.tiles[i].loss, history: positive.tiles[i].history,
                                                    negativeLoss: negative?.tiles[i].loss, negativeHistory: negative?.tiles[i].history,
                                                    diverseLosses: d?.losses))
        }
    }
}

/// Units done / total, the current units and step, the rate and what is left: one line
/// rewritten on a terminal, a line per batch when piped, JSON lines with --json.
final class AtlasProgressDisplay: @unchecked Sendable {
    let json: Bool
    let isTerminal = isatty(2) != 0
    private var last: AtlasProgress?
    private var shown = false

    init(json: Bool) { self.json = json }

    func say(_ text: String) {
        finish()
        if json { printJSON(["message": .string(text)]) } else { printError("fvctl: " + text) }
    }

    func progress(_ p: AtlasProgress) {
        last = p
        if json {
            var o: [String: JSON] = ["done": JSON(p.done), "total": JSON(p.total), "current": .array(p.current.map { .string($0.description) })]
            if let r = p.perHour { o["unitsPerHour"] = JSON(r) }
            if let s = p.secondsLeft { o["secondsLeft"] = JSON(s) }
            return printJSON(.object(o))
        }
        if !isTerminal, !p.current.isEmpty { printError("fvctl: " + line(p, step: nil)) }
    }

    func step(_ params: JSON) {
        guard !json, isTerminal, let p = last, let step = params["step"]?.intValue, let steps = params["steps"]?.intValue else { return }
        FileHandle.standardError.write(Data(("\r" + line(p, step: "step \(step)/\(steps)") + "  ").utf8))
        shown = true
    }

    func line(_ p: AtlasProgress, step: String?) -> String {
        var s = "\(p.done)/\(p.total) done"
        if let first = p.current.first {
            let filters = p.current.map(\.filter)
            s += " · \(first.layer) \(filters.count == 1 ? "\(filters[0])" : "\(filters.first!)…\(filters.last!)")"
        }
        if let step { s += " \(step)" }
        if let r = p.perHour { s += String(format: " · %.0f units/h", r) }
        if let left = p.secondsLeft { s += " · " + Self.duration(left) + " left" }
        return s
    }

    static func duration(_ s: Double) -> String {
        let m = Int(s / 60)
        return m >= 60 ? "\(m / 60)h\(String(format: "%02d", m % 60))m" : m > 0 ? "\(m)m" : "\(Int(s))s"
    }

    func finish() {
        if shown { FileHandle.standardError.write(Data("\n".utf8)) }
        shown = false
    }
}
