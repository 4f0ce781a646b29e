import FVImage
import FVProtocol
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// One filter of one layer: its picture, its negative, and its record, each a file of its own
/// under `DIR/LAYER/`. The record is written last: a unit is done when its record and every
/// picture it names exist and decode, so a unit cut short by Ctrl-C, `kill -9`, a full disk or a
/// reboot is simply not done, and is rendered again.
public struct AtlasUnit: Hashable, Sendable, CustomStringConvertible {
    public let layer: String
    public let filter: Int

    public init(layer: String, filter: Int) {
        self.layer = layer
        self.filter = filter
    }

    public var description: String { "\(layer) \(filter)" }

    public var picture: String { "\(layer)/\(filter).png" }
    public var negativePicture: String { "\(layer)/\(filter)-negative.png" }
    /// Where the picture's objective comes from, over it (the natural preset's importance map).
    public var importancePicture: String { "\(layer)/\(filter)-importance.png" }
    /// Diverse picture k (with the atlas's --diversity).
    public func diversePicture(_ k: Int) -> String { "\(layer)/\(filter)-diverse-\(k).png" }
    public var record: String { "\(layer)/\(filter).json" }
    public var page: String { "\(layer)/\(filter).html" }
    /// Its dataset examples (`--images`): the record, and each example's crop and heat map.
    public var examples: String { "\(layer)/\(filter)-examples.json" }
    public func example(_ k: Int, heat: Bool = false) -> String { "\(layer)/examples/\(filter)-\(k)\(heat ? "-heat" : "").png" }

    /// The command that renders this unit's picture alone, byte for byte (the negative's with
    /// `negative`).
    public func command(_ m: AtlasManifest, negative: Bool = false) -> String {
        "fvctl pattern \(layer) \(filter) --preset \(m.preset) --size \(m.size) --steps \(m.steps) --seed \(m.seed)" + Self.spectrumWords(m)
            + (negative ? " --objective=-channel -o \(filter)-negative.png" : " -o \(filter).png")
    }

    /// The command that renders its diverse pictures alone, as one strip of them.
    public func diversityCommand(_ m: AtlasManifest) -> String {
        "fvctl pattern \(layer) \(filter) --preset \(m.preset) --size \(m.size) --steps \(m.steps) --seed \(m.seed)" + Self.spectrumWords(m)
            + " --diversity \(m.diversity) -o \(filter)-diverse.png"
    }

    /// ` --spectrum-from FOLDER`, quoted for a shell where it needs to be.
    static func spectrumWords(_ m: AtlasManifest) -> String {
        m.spectrumFrom.map { " --spectrum-from " + ShellWord.word($0) } ?? ""
    }

    /// The margin between the pictures of a diversity strip (what `pattern` draws).
    public static let stripMargin = 5
}

/// What a render gave for one unit: its final objective and the objective per step, for the
/// picture and (with negatives) its negative.
public struct AtlasRecord: Equatable, Sendable {
    public var loss: Float
    public var history: [Float]
    public var negativeLoss: Float?
    public var negativeHistory: [Float]?
    /// The diverse pictures' objectives (with the atlas's --diversity).
    public var diverseLosses: [Float]?

    public init(loss: Float, history: [Float], negativeLoss: Float? = nil, negativeHistory: [Float]? = nil, diverseLosses: [Float]? = nil) {
        self.diverseLosses = diverseLosses
        self.loss = loss
        self.history = history
        self.negativeLoss = negativeLoss
        self.negativeHistory = negativeHistory
    }

    /// The record as written: floats as their exact doubles, so that one written from the
    /// daemon's answer and one written in-process are the same bytes.
    public func json(_ unit: AtlasUnit, _ m: AtlasManifest) -> JSON {
        var o: [String: JSON] = [
            "layer": .string(unit.layer), "filter": JSON(unit.filter), "loss": .double(Double(loss)),
            "history": .array(history.map { .double(Double($0)) }), "command": .string(unit.command(m)),
        ]
        if let negativeLoss, let negativeHistory {
            o["negativeLoss"] = .double(Double(negativeLoss))
            o["negativeHistory"] = .array(negativeHistory.map { .double(Double($0)) })
            o["negativeCommand"] = .string(unit.command(m, negative: true))
        }
        if let diverseLosses {
            o["diverseLosses"] = .array(diverseLosses.map { .double(Double($0)) })
            o["diversityCommand"] = .string(unit.diversityCommand(m))
        }
        return .object(o)
    }

    init?(json j: JSON, unit: AtlasUnit, negative: Bool, diversity: Int) {
        guard j["layer"]?.stringValue == unit.layer, j["filter"]?.intValue == Int64(unit.filter),
              let loss = j["loss"]?.doubleValue, let h = j["history"]?.arrayValue else { return nil }
        let history = h.compactMap { $0.doubleValue.map(Float.init) }
        guard history.count == h.count else { return nil }
        self.loss = Float(loss)
        self.history = history
        if negative {
            guard let nl = j["negativeLoss"]?.doubleValue, let nh = j["negativeHistory"]?.arrayValue else { return nil }
            negativeLoss = Float(nl)
            negativeHistory = nh.compactMap { $0.doubleValue.map(Float.init) }
        }
        if diversity > 0 {
            guard let d = j["diverseLosses"]?.arrayValue, d.count == diversity else { return nil }
            diverseLosses = d.compactMap { $0.doubleValue.map(Float.init) }
        }
    }
}

/// The files of an atlas directory: atomic writes, and what is done.
public struct AtlasDirectory: Sendable {
    public let path: String

    public init(_ path: String) { self.path = path }

    public func url(_ relative: String) -> String { path + "/" + relative }

    /// Makes the directory (and its parents) if missing.
    public func create() throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw AtlasError("cannot create \(path): \(error.localizedDescription); choose an --out directory you can write")
        }
    }

    /// Writes `bytes` to `relative` through a temporary name in the same directory and a rename,
    /// so a reader (or a later run) sees the whole file or none of it.
    public func write(_ bytes: [UInt8], to relative: String) throws {
        let target = url(relative)
        let dir = (target as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        } catch {
            throw AtlasError("cannot create \(dir): \(error.localizedDescription); check the --out directory is yours and writable")
        }
        let temporary = dir + "/.\((target as NSString).lastPathComponent).\(getpid()).tmp"
        func failure(_ why: String) -> AtlasError {
            unlink(temporary)
            return AtlasError("cannot write \(target): \(why); free space or fix it, then run the same command again: nothing done is lost")
        }
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure(String(cString: strerror(errno))) }
        var written = 0
        while written < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, bytes.count - written) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                let why = String(cString: strerror(errno))
                close(fd)
                throw failure(why)
            }
            written += n
        }
        // On the disk before the rename: after a power cut the name holds the whole file or none.
        guard fsync(fd) == 0 else {
            let why = String(cString: strerror(errno))
            close(fd)
            throw failure(why)
        }
        guard close(fd) == 0 else { throw failure(String(cString: strerror(errno))) }
        guard rename(temporary, target) == 0 else { throw failure(String(cString: strerror(errno))) }
    }

    public func writeJSON(_ j: JSON, to relative: String) throws {
        try write(Array((JSONCodec.serialize(j) + "\n").utf8), to: relative)
    }

    public func readJSON(_ relative: String) -> JSON? {
        guard let data = FileManager.default.contents(atPath: url(relative)), data.count < 16 << 20,
              let text = String(data: data, encoding: .utf8) else { return nil }
        return try? JSONCodec.parse(text)
    }

    /// The unit's record, when the unit is done: its record reads back and names it, and each
    /// of its pictures decodes at the atlas's size.
    public func done(_ unit: AtlasUnit, _ m: AtlasManifest) -> AtlasRecord? {
        guard let j = readJSON(unit.record), let record = AtlasRecord(json: j, unit: unit, negative: m.negative, diversity: m.diversity) else { return nil }
        for picture in [unit.picture] + (m.negative ? [unit.negativePicture] : []) + (m.importance ? [unit.importancePicture] : [])
            + (0..<m.diversity).map(unit.diversePicture) {
            guard let data = FileManager.default.contents(atPath: url(picture)),
                  let image = try? PNGCodec.decode([UInt8](data)), image.width == m.size, image.height == m.size else { return nil }
        }
        return record
    }

    /// The manifest there, if any.
    public func manifest() throws -> AtlasManifest? {
        let file = url(AtlasManifest.fileName)
        guard FileManager.default.fileExists(atPath: file) else { return nil }
        guard let j = readJSON(AtlasManifest.fileName) else {
            throw AtlasError("\(file) is not readable JSON; move it away, or use another --out directory")
        }
        return try AtlasManifest(json: j, path: file)
    }
}

/// A unit's negative: its channel objective, minimised (what `--objective=-channel` sends), so
/// that the page's command renders it alone, byte for byte.
public enum AtlasNegative {
    public static let objective = ObjectiveParams(terms: [.init(type: .channel, weight: -1)])
}
