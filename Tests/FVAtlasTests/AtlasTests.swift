import FVAtlas
import FVImage
import FVProtocol
import Foundation
import XCTest

/// The atlas's bookkeeping without a renderer of pixels: the manifest, its chunks and shards,
/// what counts as done, the refusals, and the site's links.
final class AtlasTests: XCTestCase {
    var root: String!

    override func setUp() {
        root = NSTemporaryDirectory() + "fvd-atlas-\(getpid())-\(UUID().uuidString.prefix(8))"
        try? FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: root) }

    static let info = InfoResult(
        layers: [.init(name: "block1_conv1", index: 0, filters: 64, inputChannels: 3, poolAfter: false),
                 .init(name: "block1_conv2", index: 1, filters: 64, inputChannels: 64, poolAfter: true)],
        weights: .init(path: "/w.fvw", checksum: "00112233aabbccdd", sourceSHA256: "", credit: ""),
        presets: ["lucid": .init(size: 128, steps: 512, stepSize: 0.05), "seed": .init(size: 150, steps: 30, stepSize: 1)],
        limits: .init(minSize: 16, maxSize: 1024, maxSteps: 100_000, maxBatch: 256, maxPixels: 1 << 20, jobTimeLimitSeconds: 900, maxLineBytes: 1 << 20))

    func manifest(filters: [Int]? = Array(0..<10), batch: Int = 4, steps: Int? = 3) throws -> AtlasManifest {
        try AtlasManifest.plan(info: Self.info, layers: ["block1_conv1", "block1_conv2"], filters: filters, preset: "lucid", size: 16,
                               steps: steps, seed: 7, negative: true, batch: batch)
    }

    func testPlanTakesThePresetsDefaultsAndNamesBadInput() throws {
        let all = try AtlasManifest.plan(info: Self.info, layers: [], filters: nil, preset: "lucid", size: nil, steps: nil, seed: 0, negative: false, batch: 16)
        XCTAssertEqual(all.units.count, 128)
        XCTAssertEqual([all.size, all.steps], [128, 512])
        XCTAssertEqual(all.weights, "00112233aabbccdd")
        func refusal(_ body: () throws -> AtlasManifest) -> String {
            do { _ = try body(); return "accepted" } catch { return "\(error)" }
        }
        XCTAssertTrue(refusal { try AtlasManifest.plan(info: Self.info, layers: ["block9_conv1"], filters: nil, preset: "lucid", size: nil, steps: nil, seed: 0, negative: true, batch: 16) }
            .contains("unknown layer \"block9_conv1\"; layers: block1_conv1, block1_conv2"))
        XCTAssertTrue(refusal { try AtlasManifest.plan(info: Self.info, layers: ["block1_conv1"], filters: [64], preset: "lucid", size: nil, steps: nil, seed: 0, negative: true, batch: 16) }
            .contains("filter 64 does not exist in block1_conv1; valid filters are 0...63"))
        XCTAssertTrue(refusal { try AtlasManifest.plan(info: Self.info, layers: [], filters: nil, preset: "vivid", size: nil, steps: nil, seed: 0, negative: true, batch: 16) }
            .contains("unknown preset \"vivid\""))
    }

    /// Chunks are fixed runs of consecutive filters of one layer; shards partition them, so
    /// tasks share no unit and together cover every one.
    func testChunksAndShardsPartitionTheUnits() throws {
        let m = try manifest()
        XCTAssertEqual(m.chunks.map(\.count), [4, 4, 2, 4, 4, 2])
        XCTAssertTrue(m.chunks.allSatisfy { Set($0.map(\.layer)).count == 1 })
        for tasks in 1...7 {
            let shards = (0..<tasks).map { m.shard($0, of: tasks).flatMap { $0 } }
            XCTAssertEqual(shards.flatMap { $0 }.count, m.units.count)
            XCTAssertEqual(Set(shards.flatMap { $0 }), Set(m.units), "\(tasks) tasks cover every unit once")
        }
    }

    func testManifestRoundTripsAndAnotherAtlasIsRefusedByName() throws {
        let m = try manifest()
        let dir = AtlasDirectory(root)
        try AtlasRun.prepare(dir, m)
        XCTAssertEqual(try dir.manifest(), m)
        XCTAssertNoThrow(try AtlasRun.prepare(dir, m), "the same atlas again: resumed")
        var rebatched = m
        rebatched.batch = 2
        XCTAssertNoThrow(try AtlasRun.prepare(dir, rebatched), "the batch size changes no byte: a run may change it")
        XCTAssertEqual(try dir.manifest()?.batch, 2)
        try AtlasRun.prepare(dir, m)
        var other = m
        other.steps = 5
        other.seed = 8
        XCTAssertThrowsError(try AtlasRun.prepare(dir, other)) {
            XCTAssertTrue("\($0)".contains("holds another atlas (steps: 3 there, 5 asked; seed: 7 there, 8 asked)"), "\($0)")
        }
        // A manifest edited by hand, or from another version.
        try "{\"format\": \"fvd-atlas 9\"}".write(toFile: root + "/atlas.json", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try AtlasRun.prepare(dir, m)) { XCTAssertTrue("\($0)".contains("its format is \"fvd-atlas 9\", this fvd writes \"fvd-atlas 1\""), "\($0)") }
        try "{\"format\": \"fvd-atlas 1\", \"weights\": \"x\", \"preset\": \"lucid\", \"size\": -3}".write(toFile: root + "/atlas.json", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try AtlasRun.prepare(dir, m)) { XCTAssertTrue("\($0)".contains("\"size\" is missing or not a number"), "\($0)") }
        try "not json".write(toFile: root + "/atlas.json", atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try AtlasRun.prepare(dir, m)) { XCTAssertTrue("\($0)".contains("is not readable JSON"), "\($0)") }
    }

    /// A renderer of flat pictures, counting what it is asked for.
    final class FlatRenderer: AtlasRenderer {
        var asked: [[AtlasUnit]] = []
        var failAfter: Int?

        func render(_ units: [AtlasUnit], _ m: AtlasManifest) throws -> [RenderedUnit] {
            if let n = failAfter, asked.count >= n { throw AtlasError("disk full (simulated)") }
            asked.append(units)
            return try units.map { u in
                let grey = RGBImage(width: m.size, height: m.size, pixels: [UInt8](repeating: UInt8(u.filter * 20 % 256), count: m.size * m.size * 3))
                let png = try PNGCodec.encode(grey)
                return RenderedUnit(unit: u, picture: png, negative: png, record: AtlasRecord(loss: Float(u.filter), history: [0, 1, Float(u.filter)],
                                                                                           negativeLoss: -1, negativeHistory: [0, -1]))
            }
        }
    }

    /// Interrupted after two chunks, a run keeps them; the next renders only the rest. A unit
    /// whose picture is cut short or whose record is missing is not done.
    func testARunResumesWithOnlyWhatIsMissing() throws {
        let m = try manifest()
        let dir = AtlasDirectory(root)
        try AtlasRun.prepare(dir, m)
        let run = AtlasRun(directory: dir, manifest: m)
        let first = FlatRenderer()
        first.failAfter = 2
        XCTAssertThrowsError(try run.run(m.chunks, with: first) { _ in })
        XCTAssertEqual(m.units.filter { dir.done($0, m) != nil }.count, 8)
        // A picture cut short (as by kill -9 before the rename existed) and a lost record.
        let u = m.units[0]
        let whole = try Data(contentsOf: URL(fileURLWithPath: dir.url(u.picture)))
        try whole.prefix(whole.count / 2).write(to: URL(fileURLWithPath: dir.url(u.picture)))
        try FileManager.default.removeItem(atPath: dir.url(m.units[5].record))
        XCTAssertNil(dir.done(u, m))
        let second = FlatRenderer()
        var last: AtlasProgress?
        try run.run(m.chunks, with: second) { last = $0 }
        XCTAssertEqual(second.asked.flatMap { $0 }, [m.units[0], m.units[5]] + Array(m.units[8...]), "only what is missing, in its chunks")
        XCTAssertEqual(last?.done, m.units.count)
        XCTAssertEqual(m.units.filter { dir.done($0, m) != nil }.count, m.units.count)
        let leftovers = try FileManager.default.subpathsOfDirectory(atPath: root).filter { $0.hasSuffix(".tmp") }
        XCTAssertEqual(leftovers, [], "no temporary file is left behind")
    }

    /// Every link and picture of the site names a file that exists; pages of missing units are
    /// not linked; neighbours are marked for the keyboard.
    func testEveryLinkOfTheSiteResolves() throws {
        let m = try manifest()
        let dir = AtlasDirectory(root)
        try AtlasRun.prepare(dir, m)
        let renderer = FlatRenderer()
        renderer.failAfter = 5
        try? AtlasRun(directory: dir, manifest: m).run(m.chunks, with: renderer) { _ in }
        let (done, total) = try AtlasSite(directory: dir, manifest: m).build()
        XCTAssertEqual([done, total], [18, 20])
        let pages = try FileManager.default.subpathsOfDirectory(atPath: root).filter { $0.hasSuffix(".html") }
        XCTAssertEqual(pages.count, 1 + 2 + 18)
        var links = 0
        for page in pages {
            let html = try String(contentsOfFile: root + "/" + page, encoding: .utf8)
            let base = (page as NSString).deletingLastPathComponent
            let regex = try NSRegularExpression(pattern: #"(?:href|src)="([^"]+)""#)
            for match in regex.matches(in: html, range: NSRange(html.startIndex..., in: html)) {
                let target = String(html[Range(match.range(at: 1), in: html)!])
                if target == "data:," { continue }  // the empty icon: no request for /favicon.ico
                XCTAssertFalse(target.contains("://"), "\(page): nothing from the network: \(target)")
                let path = ((root + "/" + base + "/" + target) as NSString).standardizingPath
                XCTAssertTrue(FileManager.default.fileExists(atPath: path), "\(page) links \(target), which does not exist")
                links += 1
            }
        }
        XCTAssertGreaterThan(links, 100)
        let unit = try String(contentsOfFile: root + "/block1_conv1/1.html", encoding: .utf8)
        XCTAssertTrue(unit.contains("rel=\"prev\""))
        XCTAssertTrue(unit.contains("rel=\"next\""))
        XCTAssertTrue(unit.contains("fvctl pattern block1_conv1 1 --preset lucid --size 16 --steps 3 --seed 7 -o 1.png"))
        XCTAssertTrue(unit.contains("--objective=-channel"))
        let layer = try String(contentsOfFile: root + "/block1_conv2/index.html", encoding: .utf8)
        XCTAssertTrue(layer.contains("8: not drawn yet"), "a missing unit is shown as missing")
    }

    func testATileIsCutFromARow() throws {
        var px = [UInt8]()
        for y in 0..<2 { for x in 0..<6 { px += [UInt8(x), UInt8(y), 9] } }
        let row = RGBImage(width: 6, height: 2, pixels: px)
        XCTAssertEqual(row.tile(1, side: 2).pixels, [2, 0, 9, 3, 0, 9, 2, 1, 9, 3, 1, 9])
    }
}
