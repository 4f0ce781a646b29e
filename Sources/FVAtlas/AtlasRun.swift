import FVImage
import FVProtocol
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// One unit as a renderer hands it over: its PNGs and its record.
public struct RenderedUnit: Sendable {
    public var unit: AtlasUnit
    public var picture: [UInt8]
    public var negative: [UInt8]?
    public var diverse: [[UInt8]]
    public var importance: [UInt8]?
    public var record: AtlasRecord

    public init(unit: AtlasUnit, picture: [UInt8], negative: [UInt8]?, diverse: [[UInt8]] = [], importance: [UInt8]? = nil, record: AtlasRecord) {
        self.diverse = diverse
        self.importance = importance
        self.unit = unit
        self.picture = picture
        self.negative = negative
        self.record = record
    }
}

/// Where the pictures come from: the daemon (fvctl) or the engine in this process (`fvd
/// atlas-task` on a cluster node). Both batch a chunk's missing units as one job, and the
/// engine's batches are exact, so both give the same bytes.
public protocol AtlasRenderer {
    func render(_ units: [AtlasUnit], _ manifest: AtlasManifest) throws -> [RenderedUnit]
}

/// What the diverse pictures of a unit ask for: its channel objective, N pictures kept apart.
public enum AtlasDiversity {
    public static func objective(_ m: AtlasManifest) -> ObjectiveParams {
        ObjectiveParams(terms: [.init(type: .channel)], diversity: m.diversity)
    }
}

/// How far a run is.
public struct AtlasProgress: Sendable {
    public var done: Int
    public var total: Int
    /// Units rendered by this run so far, and the seconds it has taken.
    public var rendered: Int
    public var seconds: Double
    /// The units being rendered now (empty when finished).
    public var current: [AtlasUnit]

    /// Units per hour of this run, and the seconds left at that rate.
    public var perHour: Double? { rendered > 0 && seconds > 0 ? Double(rendered) / seconds * 3600 : nil }
    public var secondsLeft: Double? { perHour.map { Double(total - done) / $0 * 3600 } }
}

/// Renders the units of `chunks` that are not done, a chunk at a time: pictures first, the
/// record last (what marks a unit done), each through a temporary name and a rename.
public struct AtlasRun {
    public let directory: AtlasDirectory
    public let manifest: AtlasManifest

    public init(directory: AtlasDirectory, manifest: AtlasManifest) {
        self.directory = directory
        self.manifest = manifest
    }

    /// Makes the directory an atlas of `manifest`, or checks it already is one drawn the same way:
    /// a directory drawn another way is refused with the differences named. New units (another
    /// layer, more filters) are added to the manifest there. Returns the manifest now in DIR.
    @discardableResult
    public static func prepare(_ directory: AtlasDirectory, _ manifest: AtlasManifest) throws -> AtlasManifest {
        if let there = try directory.manifest() {
            let differences = manifest.differences(from: there)
            guard differences.isEmpty else {
                throw AtlasError("\(directory.path) holds another atlas (\(differences.joined(separator: "; "))); run with its parameters to finish it, or choose another --out directory")
            }
            let merged = there.merged(with: manifest)
            if merged != there { try directory.writeJSON(merged.json, to: AtlasManifest.fileName) }
            return merged
        }
        try directory.writeJSON(manifest.json, to: AtlasManifest.fileName)
        return manifest
    }

    /// The units of `chunks` not done, chunk by chunk (empty chunks left out).
    public func missing(in chunks: [[AtlasUnit]]) -> [[AtlasUnit]] {
        chunks.map { $0.filter { directory.done($0, manifest) == nil } }.filter { !$0.isEmpty }
    }

    public func run(_ chunks: [[AtlasUnit]], with renderer: AtlasRenderer, progress: (AtlasProgress) -> Void) throws {
        try run(missing: missing(in: chunks), of: chunks.reduce(0) { $0 + $1.count }, with: renderer, progress: progress)
    }

    /// Renders `todo` (what `missing(in:)` gave: reading every unit back is not free), of `total` units.
    public func run(missing todo: [[AtlasUnit]], of total: Int, with renderer: AtlasRenderer, progress: (AtlasProgress) -> Void) throws {
        var done = total - todo.reduce(0) { $0 + $1.count }
        let started = Date()
        var rendered = 0
        for units in todo {
            progress(AtlasProgress(done: done, total: total, rendered: rendered, seconds: Date().timeIntervalSince(started), current: units))
            let results = try renderer.render(units, manifest)
            for r in results {
                try directory.write(r.picture, to: r.unit.picture)
                if let n = r.negative { try directory.write(n, to: r.unit.negativePicture) }
                for (k, d) in r.diverse.enumerated() { try directory.write(d, to: r.unit.diversePicture(k)) }
                if let i = r.importance { try directory.write(i, to: r.unit.importancePicture) }
                try directory.writeJSON(r.record.json(r.unit, manifest), to: r.unit.record)
            }
            done += results.count
            rendered += results.count
        }
        progress(AtlasProgress(done: done, total: total, rendered: rendered, seconds: Date().timeIntervalSince(started), current: []))
    }
}

/// One writer at a time per directory on one machine: a second `fvctl atlas` into the same DIR
/// is refused while the first runs (the lock goes with the process, also on `kill -9`).
public final class AtlasLock {
    private let fd: Int32

    public init(_ directory: AtlasDirectory) throws {
        let path = directory.url(".atlas.lock")
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw AtlasError("cannot open \(path): \(String(cString: strerror(errno))); check the --out directory is writable") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            close(fd)
            throw AtlasError("another fvctl atlas is writing \(directory.path) now; wait for it to finish (or stop it), then run this again: it renders only what is missing")
        }
    }

    deinit { close(fd) }
}

extension RGBImage {
    /// Tile `index` of a row of `side`-pixel tiles `margin` pixels apart (a grid of one row).
    public func tile(_ index: Int, side: Int, margin: Int = 0) -> RGBImage {
        let x0 = index * (side + margin)
        precondition(height == side && width >= x0 + side, "no tile \(index) of \(side) px in a \(width)x\(height) picture")
        var px = [UInt8]()
        px.reserveCapacity(side * side * 3)
        for y in 0..<side {
            let start = (y * width + x0) * 3
            px += pixels[start..<(start + side * 3)]
        }
        return RGBImage(width: side, height: side, pixels: px)
    }
}
