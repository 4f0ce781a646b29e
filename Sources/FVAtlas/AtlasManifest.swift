import FVProtocol
import Foundation

/// What an atlas directory holds, fixed when it is first made (`DIR/atlas.json`): the weights it
/// was drawn with, every parameter of the renders, the units (every filter of each layer named)
/// and how they are batched. A second run into the same directory must ask for exactly this;
/// any difference is named and refused, so a directory never mixes two atlases.
public struct AtlasManifest: Equatable, Sendable {
    public static let format = "fvd-atlas 1"
    public static let fileName = "atlas.json"

    public struct Layer: Equatable, Sendable {
        public var name: String
        public var filters: [Int]
        public init(name: String, filters: [Int]) {
            self.name = name
            self.filters = filters
        }
    }

    /// The weights' checksum (`fvctl status`, `fvd info`).
    public var weights: String
    public var preset: String
    public var size: Int
    public var steps: Int
    /// One seed for every unit: units then share a batch and still come out byte for byte as a
    /// lone `fvctl pattern ... --seed S` (the lucid transforms are drawn once per batch, from the
    /// batch's seed, so units with seeds of their own could not share one).
    public var seed: Int
    /// Each unit's negative too (the picture the filter is most against).
    public var negative: Bool
    /// Each unit's N diverse pictures too (one render of N images kept apart by Lucid's
    /// diversity penalty); 0 for none.
    public var diversity: Int = 0
    /// Each unit's importance map too (MACO's: where the picture's objective comes from), for the
    /// natural preset, whose display it belongs to.
    public var importance: Bool { preset == "natural" }
    /// The natural preset's measured spectrum (`--spectrum-from`), kept here whole so that every
    /// run and every Slurm task draws with the very same table; nil for 1/f.
    public var spectrum: SpectrumParams?
    /// The folder it was measured from (absolute), for the commands the pages show.
    public var spectrumFrom: String?

    /// Units rendered together, in chunks of this many consecutive filters of a layer (and so
    /// the shards of a Slurm run). It changes no byte (the engine's batches are exact), so a run
    /// may change it: the latest run's is kept.
    public var batch: Int
    public var layers: [Layer]

    public init(weights: String, preset: String, size: Int, steps: Int, seed: Int, negative: Bool, batch: Int, layers: [Layer]) {
        self.weights = weights
        self.preset = preset
        self.size = size
        self.steps = steps
        self.seed = seed
        self.negative = negative
        self.batch = batch
        self.layers = layers
    }

    public var json: JSON {
        var o: [String: JSON] = [
            "format": .string(Self.format), "weights": .string(weights), "preset": .string(preset), "size": JSON(size),
            "steps": JSON(steps), "seed": JSON(seed), "negative": .bool(negative), "diversity": JSON(diversity), "batch": JSON(batch),
            "layers": .array(layers.map { .object(["name": .string($0.name), "filters": .array($0.filters.map { JSON($0) })]) }),
        ]
        if let spectrum { o["spectrum"] = spectrum.json }
        if let spectrumFrom { o["spectrumFrom"] = .string(spectrumFrom) }
        return .object(o)
    }

    /// What a request for this atlas's pictures carries (the daemon's and `fvd atlas-task`'s).
    public func renderOptions(objective: ObjectiveParams?) -> RenderOptions {
        var o = RenderOptions(preset: preset, size: size, steps: steps, seed: seed, objective: objective)
        o.spectrum = spectrum
        return o
    }

    /// Reads a manifest, naming what is wrong with one edited by hand or from another version.
    public init(json j: JSON, path: String) throws {
        func bad(_ why: String) -> AtlasError {
            AtlasError("\(path) is not an atlas manifest fvd can use (\(why)); move it away, or use another --out directory")
        }
        guard case .object = j else { throw bad("not a JSON object") }
        guard j["format"]?.stringValue == Self.format else {
            throw bad("its format is \(j["format"]?.stringValue.map { "\"\($0)\"" } ?? "missing"), this fvd writes \"\(Self.format)\"")
        }
        func string(_ k: String) throws -> String {
            guard let s = j[k]?.stringValue, !s.isEmpty else { throw bad("\"\(k)\" is missing or not a string") }
            return s
        }
        func int(_ k: String, _ range: ClosedRange<Int>) throws -> Int {
            guard let v = j[k]?.intValue, range.contains(Int(v)) else { throw bad("\"\(k)\" is missing or not a number in \(range)") }
            return Int(v)
        }
        weights = try string("weights")
        preset = try string("preset")
        size = try int("size", 1...4096)
        steps = try int("steps", 1...1_000_000)
        seed = try int("seed", 0...Int(UInt32.max))
        guard let n = j["negative"]?.boolValue else { throw bad("\"negative\" is missing or not true/false") }
        negative = n
        diversity = j["diversity"] == nil ? 0 : try int("diversity", 0...16)
        batch = try int("batch", 1...256)
        if let sp = j["spectrum"] {
            do { spectrum = try SpectrumParams(json: sp) } catch let e as RPCError { throw bad("its spectrum: \(e.message)") }
            guard spectrum!.size == size else { throw bad("its spectrum was measured at \(spectrum!.size) px, its pictures are \(size) px") }
        }
        spectrumFrom = j["spectrumFrom"]?.stringValue
        guard let ls = j["layers"]?.arrayValue, !ls.isEmpty else { throw bad("\"layers\" is missing or empty") }
        layers = try ls.map { l in
            guard let name = l["name"]?.stringValue, let fs = l["filters"]?.arrayValue, !fs.isEmpty else { throw bad("a layer lacks its name or filters") }
            let filters = try fs.map { f -> Int in
                guard let v = f.intValue, (0...4095).contains(v) else { throw bad("layer \(name) lists a filter that is not a number from 0") }
                return Int(v)
            }
            guard Set(filters).count == filters.count else { throw bad("layer \(name) lists a filter twice") }
            return Layer(name: name, filters: filters)
        }
        guard Set(layers.map(\.name)).count == layers.count else { throw bad("a layer is listed twice") }
    }

    /// What differs from `other` in how the pictures are drawn, in words a user can act on (empty:
    /// the same atlas; its units may differ: see `merged`).
    public func differences(from other: AtlasManifest) -> [String] {
        var out: [String] = []
        func compare<T: Equatable>(_ name: String, _ a: T, _ b: T) { if a != b { out.append("\(name): \(b) there, \(a) asked") } }
        compare("weights", weights, other.weights)
        compare("preset", preset, other.preset)
        compare("size", size, other.size)
        compare("steps", steps, other.steps)
        compare("seed", seed, other.seed)
        compare("negative", negative, other.negative)
        compare("diversity", diversity, other.diversity)
        if spectrum != other.spectrum {
            func words(_ m: AtlasManifest) -> String { m.spectrumFrom.map { "measured from \($0)" } ?? "1/f" }
            let changed = spectrumFrom != nil && spectrumFrom == other.spectrumFrom ? " (its pictures have changed since)" : ""
            out.append("spectrum: \(words(other)) there, \(words(self)) asked\(changed)")
        }
        // Not the batch size: the engine's batches are exact, so it changes no byte.
        return out
    }

    /// This atlas with `other`'s units added: its layers, with filters of both, then `other`'s new
    /// layers (how an atlas grows by a layer or some filters without redrawing what it has).
    public func merged(with other: AtlasManifest) -> AtlasManifest {
        var m = self
        for l in other.layers {
            if let k = m.layers.firstIndex(where: { $0.name == l.name }) {
                m.layers[k].filters += l.filters.filter { !m.layers[k].filters.contains($0) }
            } else {
                m.layers.append(l)
            }
        }
        m.batch = other.batch
        return m
    }

    /// Every unit, layer by layer, in the manifest's order.
    public var units: [AtlasUnit] { layers.flatMap { l in l.filters.map { AtlasUnit(layer: l.name, filter: $0) } } }

    /// The units in batches: consecutive filters of one layer, `batch` at a time. Batch k is the
    /// same set of units on every run and every node.
    public var chunks: [[AtlasUnit]] {
        layers.flatMap { l in
            stride(from: 0, to: l.filters.count, by: batch).map { start in
                l.filters[start..<min(start + batch, l.filters.count)].map { AtlasUnit(layer: l.name, filter: $0) }
            }
        }
    }

    /// Shard `task` of `tasks`: every `tasks`-th chunk, from `task` (a fixed list of units, so
    /// that tasks share no file).
    public func shard(_ task: Int, of tasks: Int) -> [[AtlasUnit]] {
        chunks.enumerated().filter { $0.offset % tasks == task }.map(\.element)
    }
}

/// An error whose message says what went wrong and what to do.
public struct AtlasError: Error, CustomStringConvertible {
    public let description: String
    public init(_ message: String) { description = message }
}

extension AtlasManifest {
    /// The manifest for a request: `layers` (all when empty) of the network `info` describes
    /// (the daemon's `info`, or `fvd info` on a cluster), `filters` of each layer named (all
    /// when nil), the preset's size and steps unless given.
    public static func plan(info: InfoResult, layers names: [String], filters: [Int]?, preset: String, size: Int?, steps: Int?,
                            seed: Int, negative: Bool, diversity: Int = 0, batch: Int) throws -> AtlasManifest {
        guard let defaults = info.presets[preset] else {
            throw AtlasError("unknown preset \"\(preset)\"; presets: \(info.presets.keys.sorted().joined(separator: ", "))")
        }
        if filters != nil && names.isEmpty { throw AtlasError("--filters needs the layers named (it lists filters of each)") }
        let chosen = try (names.isEmpty ? info.layers.map(\.name) : names).map { name -> Layer in
            guard let l = info.layers.first(where: { $0.name == name }) else {
                throw AtlasError("unknown layer \"\(name)\"; layers: \(info.layers.map(\.name).joined(separator: ", "))")
            }
            if let bad = filters?.first(where: { !(0..<l.filters).contains($0) }) {
                throw AtlasError("filter \(bad) does not exist in \(name); valid filters are 0...\(l.filters - 1)")
            }
            return Layer(name: name, filters: filters ?? Array(0..<l.filters))
        }
        guard Set(chosen.map(\.name)).count == chosen.count else { throw AtlasError("a layer is named twice") }
        guard (1...256).contains(batch) else { throw AtlasError("--batch must be 1-256 units, got \(batch)") }
        guard diversity == 0 || (2...16).contains(diversity) else { throw AtlasError("--diversity must be 2-16 pictures, got \(diversity)") }
        var m = AtlasManifest(weights: info.weights.checksum, preset: preset, size: size ?? defaults.size, steps: steps ?? defaults.steps,
                              seed: seed, negative: negative, batch: batch, layers: chosen)
        m.diversity = diversity
        return m
    }
}
