import FVAtlas
import FVImage
import FVProtocol
import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// `fvctl atlas` (the real binary) against a daemon on a real socket: the site, resuming, the
/// refusals, the same bytes as each page's own command and as `fvd atlas-task` in-process, and
/// batch work that lets its user's interactive request start beside it.
final class AtlasDaemonTests: XCTestCase {
    static var daemon: TestDaemon!

    override class func setUp() { daemon = try? TestDaemon() }
    override class func tearDown() { daemon?.stop() }

    func tools() throws -> (fvctl: String, fvd: String) {
        guard let fvctl = builtBinary("fvctl"), let fvd = builtBinary("fvd") else { throw XCTSkip("fvctl and fvd are not built; run `swift build` first") }
        return (fvctl, fvd)
    }

    func files(_ dir: String) throws -> [String: Data] {
        var out: [String: Data] = [:]
        for f in try FileManager.default.subpathsOfDirectory(atPath: dir) where f.hasSuffix(".png") || f.hasSuffix(".json") || f.hasSuffix(".html") {
            if f.hasPrefix("slurm/") || f == "atlas.json" { continue }
            out[f] = FileManager.default.contents(atPath: dir + "/" + f)
        }
        return out
    }

    func testAnAtlasThroughTheDaemonResumesAndMatchesEveryOtherWayOfRenderingIt() throws {
        let d = try XCTUnwrap(Self.daemon)
        let (fvctl, fvd) = try tools()
        let out = d.dir + "/atlas"
        let args = ["atlas", "block1_conv1", "block2_conv1", "--filters", "0-5", "--size", "32", "--steps", "6", "--batch", "4", "--diversity", "2",
                    "--out", out, "--socket", d.socketPath]
        let (s1, o1, e1) = try runProgram(fvctl, args)
        XCTAssertEqual(s1, 0, e1)
        XCTAssertEqual(o1, out + "/index.html\n")
        XCTAssertTrue(e1.contains("0 of 12 done, rendering 12"), e1)
        XCTAssertTrue(e1.contains("index.html: 12 of 12 units"), e1)
        let first = try files(out)
        XCTAssertEqual(first.keys.filter { $0.hasSuffix(".png") }.count, 48, "a picture, its negative and two diverse pictures per unit")

        // Killed mid-unit: a lost record and a half-written picture. The same command renders those two only.
        try FileManager.default.removeItem(atPath: out + "/block2_conv1/5.json")
        let png = out + "/block1_conv1/2.png"
        try first["block1_conv1/2.png"]!.prefix(100).write(to: URL(fileURLWithPath: png))
        let (s2, _, e2) = try runProgram(fvctl, args)
        XCTAssertEqual(s2, 0, e2)
        XCTAssertTrue(e2.contains("10 of 12 done, rendering 2"), e2)
        XCTAssertEqual(try files(out), first, "the same bytes again")

        // A page's command, alone, gives its picture and its negative byte for byte.
        let page = try String(contentsOfFile: out + "/block2_conv1/3.html", encoding: .utf8)
        let command = "fvctl pattern block2_conv1 3 --preset lucid --size 32 --steps 6 --seed 0"
        XCTAssertTrue(page.contains(command + " -o 3.png"), page)
        let cwd = d.dir + "/alone"
        try FileManager.default.createDirectory(atPath: cwd, withIntermediateDirectories: true)
        let words = command.split(separator: " ").dropFirst().map(String.init)
        _ = try runProgram(fvctl, words + ["-o", "3.png", "--socket", d.socketPath], cwd: cwd)
        _ = try runProgram(fvctl, words + ["--objective=-channel", "-o", "3-negative.png", "--socket", d.socketPath], cwd: cwd)
        XCTAssertEqual(FileManager.default.contents(atPath: cwd + "/3.png"), first["block2_conv1/3.png"])
        XCTAssertEqual(FileManager.default.contents(atPath: cwd + "/3-negative.png"), first["block2_conv1/3-negative.png"])
        XCTAssertTrue(page.contains(command + " --diversity 2 -o 3-diverse.png"), page)
        _ = try runProgram(fvctl, words + ["--diversity", "2", "-o", "3-diverse.png", "--socket", d.socketPath], cwd: cwd)
        let strip = try PNGCodec.decode([UInt8](try XCTUnwrap(FileManager.default.contents(atPath: cwd + "/3-diverse.png"))))
        for k in 0..<2 {
            XCTAssertEqual(Data(try PNGCodec.encode(strip.tile(k, side: 32, margin: AtlasUnit.stripMargin))), first["block2_conv1/3-diverse-\(k).png"])
        }

        // In-process, as a Slurm task renders it, in two shards: the same bytes.
        let copy = d.dir + "/in-process"
        try FileManager.default.createDirectory(atPath: copy, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: out + "/atlas.json", toPath: copy + "/atlas.json")
        for task in ["0", "1"] {
            let (s, _, e) = try runProgram(fvd, ["atlas-task", copy, "--task", task, "--tasks", "2", "--weights", repoRoot + "/weights/vgg16.fvw"])
            XCTAssertEqual(s, 0, e)
        }
        let (s3, o3, e3) = try runProgram(fvd, ["atlas-site", copy])
        XCTAssertEqual(s3, 0, e3)
        XCTAssertTrue(o3.contains("12 of 12 units"), o3)
        XCTAssertEqual(try files(copy), first, "fvd atlas-task gives the daemon's bytes")

        // Another atlas into the same directory is refused, naming the difference.
        var other = args
        other[other.firstIndex(of: "6")!] = "7"
        let (s4, _, e4) = try runProgram(fvctl, other)
        XCTAssertEqual(s4, 1)
        XCTAssertTrue(e4.contains("holds another atlas (steps: 6 there, 7 asked)"), e4)
        // --status, and its JSON.
        let (s5, o5, _) = try runProgram(fvctl, ["atlas", "--status", out, "--json"])
        XCTAssertEqual(s5, 0)
        let status = try JSONCodec.parse(o5.trimmingCharacters(in: .whitespacesAndNewlines))
        XCTAssertEqual(status["done"], 12)
        XCTAssertEqual(status["total"], 12)
    }

    func testMistakesAreNamedBeforeAnythingIsRendered() throws {
        let d = try XCTUnwrap(Self.daemon)
        let (fvctl, _) = try tools()
        let out = d.dir + "/refused"
        for (args, code, message) in [
            (["atlas", "block9_conv1", "--out", out], Int32(1), "unknown layer \"block9_conv1\""),
            (["atlas", "block1_conv1", "--filters", "0-64", "--out", out], 1, "filter 64 does not exist in block1_conv1; valid filters are 0...63"),
            (["atlas", "--filters", "0-3", "--out", out], 64, "--filters needs the layers named"),
            (["atlas", "block1_conv1"], 64, "give the atlas directory with --out DIR"),
            (["atlas", "block1_conv1", "--out", out, "--tasks", "3"], 64, "go with --slurm"),
            (["atlas", "block1_conv1", "--out", "/proc/nope/atlas", "--size", "32", "--steps", "2"], 1, "/proc/nope"),
        ] {
            let (s, _, e) = try runProgram(fvctl, args + ["--socket", d.socketPath])
            XCTAssertEqual(s, code, "\(args): \(e)")
            XCTAssertTrue(e.contains(message), "\(args): \(e)")
        }
        XCTAssertFalse(FileManager.default.fileExists(atPath: out + "/atlas.json"), "nothing made for a refused request")
    }

    /// Two `fvctl atlas` into one directory at once: the second is refused while the first runs,
    /// and the first finishes unharmed.
    func testASecondRunIntoTheSameDirectoryIsRefusedWhileTheFirstRuns() throws {
        let d = try XCTUnwrap(Self.daemon)
        let (fvctl, _) = try tools()
        let out = d.dir + "/locked"
        let args = ["atlas", "block1_conv1", "--filters", "0-3", "--size", "32", "--steps", "400", "--batch", "1", "--no-negative", "--out", out, "--socket", d.socketPath]
        let first = Process()
        first.executableURL = URL(fileURLWithPath: fvctl)
        first.arguments = args
        first.standardError = FileHandle.nullDevice
        first.standardOutput = FileHandle.nullDevice
        try first.run()
        let deadline = Date().addingTimeInterval(30)
        while !FileManager.default.fileExists(atPath: out + "/atlas.json") && Date() < deadline { usleep(50_000) }
        let (s, _, e) = try runProgram(fvctl, args)
        XCTAssertEqual(s, 1, e)
        XCTAssertTrue(e.contains("another fvctl atlas is writing \(out) now"), e)
        first.waitUntilExit()
        XCTAssertEqual(first.terminationStatus, 0)
        let (s2, _, e2) = try runProgram(fvctl, ["atlas", "--status", out])
        XCTAssertEqual(s2, 0, e2)
    }

    /// Atlas work is batch work: the same user's interactive render starts beside it, within a
    /// step, instead of waiting for the atlas's batch to end (it waited for all of it before).
    func testAnInteractiveRenderStartsBesideTheUsersAtlasWork() throws {
        let d = try XCTUnwrap(Self.daemon)
        let atlas = try d.client()
        let long: JSON = ["layer": "block2_conv1", "filters": [0, 1, 2, 3], "preset": "lucid", "size": 64, "steps": 3000, "columns": 4,
                          "margin": 0, "priority": "batch", "fresh": true, "progress": true]
        let started = DispatchSemaphore(value: 0)
        let finished = DispatchSemaphore(value: 0)
        let once = NSLock()
        var told = false
        Thread {
            _ = try? atlas.call("grid", long) { name, _ in
                once.lock()
                defer { once.unlock() }
                if name == "progress" && !told { told = true; started.signal() }
            }
            finished.signal()
        }.start()
        XCTAssertEqual(started.wait(timeout: .now() + 60), .success, "the batch job started")
        let interactive = try d.client()
        let t0 = Date()
        var firstStep: TimeInterval?
        _ = try interactive.call("pattern", ["layer": "block1_conv1", "filter": 3, "size": 32, "steps": 3, "fresh": true, "progress": true]) { name, _ in
            if name == "progress" && firstStep == nil { firstStep = Date().timeIntervalSince(t0) }
        }
        let done = Date().timeIntervalSince(t0)
        XCTAssertNotNil(firstStep)
        XCTAssertEqual(finished.wait(timeout: .now()), .timedOut, "the atlas's batch is still running: the pattern did not wait for it")
        print("interactive pattern beside batch work: first step after \(String(format: "%.2f", firstStep ?? -1)) s, done after \(String(format: "%.2f", done)) s")
        atlas.close()  // a disconnect cancels the batch job
        XCTAssertEqual(finished.wait(timeout: .now() + 30), .success)
    }

    /// A folder of pictures for dataset examples: a ramp, a checkerboard and noise of other sizes
    /// (one larger than the examples' side), a text file named .jpg, and a file that is not a picture.
    static func pictureFolder(_ dir: String) throws -> String {
        let folder = dir + "/pictures"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        func write(_ name: String, _ w: Int, _ h: Int, _ pixel: (Int, Int) -> (UInt8, UInt8, UInt8)) throws {
            var px = [UInt8]()
            for y in 0..<h { for x in 0..<w { let p = pixel(x, y); px += [p.0, p.1, p.2] } }
            try Data(try PNGCodec.encode(RGBImage(width: w, height: h, pixels: px))).write(to: URL(fileURLWithPath: folder + "/" + name))
        }
        try write("ramp.png", 96, 64) { x, y in (UInt8(x * 2), UInt8(y * 3), 128) }
        try write("checker.png", 600, 400) { x, y in (x / 25 + y / 25) % 2 == 0 ? (250, 250, 250) : (10, 10, 10) }
        var r: UInt64 = 7
        try write("noise.png", 80, 80) { _, _ in
            r = r &* 6364136223846793005 &+ 1442695040888963407
            return (UInt8(truncatingIfNeeded: r >> 33), UInt8(truncatingIfNeeded: r >> 41), UInt8(truncatingIfNeeded: r >> 49))
        }
        try "not a picture".write(toFile: folder + "/broken.jpg", atomically: true, encoding: .utf8)
        try "notes".write(toFile: folder + "/notes.txt", atomically: true, encoding: .utf8)
        return folder
    }

    /// --images: each filter's page shows the folder's pictures that drive it hardest, strongest
    /// first, with their crops and heat maps; a corrupt picture is skipped with its name; adding a
    /// layer later computes only that layer's activations.
    func testDatasetExamplesAreChosenByEachFiltersMaximumAndCachedPerLayer() throws {
        let d = try XCTUnwrap(Self.daemon)
        let (fvctl, _) = try tools()
        let folder = try Self.pictureFolder(d.dir)
        let out = d.dir + "/examples-atlas"
        let common = ["--size", "32", "--steps", "3", "--no-negative", "--images", folder, "--out", out, "--socket", d.socketPath]
        let (s1, _, e1) = try runProgram(fvctl, ["atlas", "block1_conv1", "--filters", "0-3"] + common)
        XCTAssertEqual(s1, 0, e1)
        XCTAssertTrue(e1.contains("--images: skipping broken.jpg"), e1)
        XCTAssertFalse(e1.contains("notes.txt"), "files that are not pictures by name are not looked at: \(e1)")
        XCTAssertTrue(e1.contains("block1_conv1: the activations of 3 of 3 pictures"), e1)
        let cache = try XCTUnwrap(AtlasDirectory(out).readJSON("examples/block1_conv1.json")?["pictures"]?.objectValue)
        XCTAssertEqual(cache.count, 3)
        for f in 0..<4 {
            let record = try XCTUnwrap(AtlasDirectory(out).readJSON("block1_conv1/\(f)-examples.json"))
            let list = try XCTUnwrap(record["examples"]?.arrayValue)
            let maxima = list.compactMap { $0["max"]?.doubleValue }
            XCTAssertEqual(maxima, maxima.sorted(by: >), "strongest first")
            // The same order as the cached maxima give.
            let expected = cache.values.compactMap { v -> (String, Double)? in
                guard let m = v["maxima"]?.arrayValue?[f].doubleValue, m > 0 else { return nil }
                return (v["name"]!.stringValue!, m)
            }.sorted { $0.1 > $1.1 }.map(\.0)
            XCTAssertEqual(list.compactMap { $0["name"]?.stringValue }, expected, "filter \(f)")
            for k in list.indices {
                for heat in [false, true] {
                    let file = out + "/" + AtlasUnit(layer: "block1_conv1", filter: f).example(k, heat: heat)
                    let png = try XCTUnwrap(FileManager.default.contents(atPath: file), file)
                    let image = try PNGCodec.decode([UInt8](png))
                    XCTAssertLessThanOrEqual(max(image.width, image.height), heat ? 160 : 128)
                }
            }
        }
        let page = try String(contentsOfFile: out + "/block1_conv1/0.html", encoding: .utf8)
        XCTAssertTrue(page.contains("Dataset examples"), page)
        // A layer added later: only its activations are computed.
        let (s2, _, e2) = try runProgram(fvctl, ["atlas", "block2_conv1", "--filters", "0-1"] + common)
        XCTAssertEqual(s2, 0, e2)
        XCTAssertTrue(e2.contains("block2_conv1: the activations of 3 of 3 pictures"), e2)
        XCTAssertFalse(e2.contains("block1_conv1: the activations"), e2)
        XCTAssertFalse(e2.contains("block1_conv1: dataset examples"), "block1_conv1's examples stand: \(e2)")
        let manifest = try XCTUnwrap(try AtlasDirectory(out).manifest())
        XCTAssertEqual(manifest.layers.map(\.name), ["block1_conv1", "block2_conv1"], "the atlas grew by a layer")
    }

    /// A full disk mid-atlas: the error names the file and says what to do; no temporary file is
    /// left; every unit counted done reads back whole; with room again the same command finishes.
    func testAFullDiskLosesNothingDone() throws {
        let d = try XCTUnwrap(Self.daemon)
        let (fvctl, _) = try tools()
        guard getuid() == 0 else { throw XCTSkip("needs root to mount a small tmpfs") }
        let mountPoint = d.dir + "/small"
        try FileManager.default.createDirectory(atPath: mountPoint, withIntermediateDirectories: true)
        let (m, _, me) = try runProgram("/bin/mount", ["-t", "tmpfs", "-o", "size=96k", "tmpfs", mountPoint])
        guard m == 0 else { throw XCTSkip("cannot mount a tmpfs here: \(me)") }
        defer { _ = try? runProgram("/bin/umount", [mountPoint]) }
        let out = mountPoint + "/atlas"
        let args = ["atlas", "block1_conv1", "--filters", "0-15", "--size", "64", "--steps", "2", "--batch", "4", "--out", out, "--socket", d.socketPath]
        let (s1, _, e1) = try runProgram(fvctl, args)
        XCTAssertEqual(s1, 1, e1)
        XCTAssertTrue(e1.contains("No space left on device"), e1)
        XCTAssertTrue(e1.contains("run the same command again: nothing done is lost"), e1)
        let files = try FileManager.default.subpathsOfDirectory(atPath: out)
        XCTAssertEqual(files.filter { $0.hasSuffix(".tmp") }, [], "no temporary file left behind")
        let manifest = try XCTUnwrap(try AtlasDirectory(out).manifest())
        let done = manifest.units.filter { AtlasDirectory(out).done($0, manifest) != nil }
        XCTAssertLessThan(done.count, 16, "the disk filled before the end")
        // Room again: move the atlas to a roomy disk and finish it there.
        let roomy = d.dir + "/roomy"
        try FileManager.default.copyItem(atPath: out, toPath: roomy)
        var again = args
        again[again.firstIndex(of: out)!] = roomy
        let (s2, _, e2) = try runProgram(fvctl, again)
        XCTAssertEqual(s2, 0, e2)
        XCTAssertTrue(e2.contains("\(done.count) of 16 done, rendering \(16 - done.count)"), e2)
    }

    func testMissingSbatchIsNamed() throws {
        let d = try XCTUnwrap(Self.daemon)
        let (fvctl, fvd) = try tools()
        let (s, _, e) = try runProgram(fvctl, ["atlas", "block1_conv1", "--filters", "0-1", "--size", "32", "--steps", "2", "--out", d.dir + "/nosbatch",
                                               "--slurm", "--fvd", fvd, "--weights", repoRoot + "/weights/vgg16.fvw"], env: ["PATH": "/nonexistent"])
        XCTAssertEqual(s, 1, e)
        XCTAssertTrue(e.contains("sbatch is not on PATH") || e.contains("cannot run sbatch"), e)
        XCTAssertFalse(FileManager.default.fileExists(atPath: d.dir + "/nosbatch/slurm/jobs.json"))
    }

    /// The files of the atlas `out`'s manifest rendered as a Slurm node does: `fvd atlas-task`
    /// from a copy of atlas.json alone, then `fvd atlas-site`.
    func renderedInProcess(_ out: String, into copy: String, fvd: String) throws -> [String: Data] {
        try FileManager.default.createDirectory(atPath: copy, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: out + "/atlas.json", toPath: copy + "/atlas.json")
        let (s, _, e) = try runProgram(fvd, ["atlas-task", copy, "--weights", repoRoot + "/weights/vgg16.fvw"])
        XCTAssertEqual(s, 0, e)
        _ = try runProgram(fvd, ["atlas-site", copy])
        return try files(copy)
    }

    /// The natural preset's atlas also keeps each unit's importance map: the daemon's tiles and
    /// fvd atlas-task's in-process renders are the same bytes, and it counts toward done.
    func testANaturalAtlasKeepsImportanceMapsWithTheSameBytesInProcess() throws {
        let d = try XCTUnwrap(Self.daemon)
        let (fvctl, fvd) = try tools()
        let out = d.dir + "/natural"
        let (s, _, e) = try runProgram(fvctl, ["atlas", "block1_conv1", "--filters", "0-3", "--preset", "natural", "--size", "32", "--steps", "4",
                                               "--no-negative", "--out", out, "--socket", d.socketPath])
        XCTAssertEqual(s, 0, e)
        let first = try files(out)
        XCTAssertEqual(first.keys.filter { $0.hasSuffix("-importance.png") }.count, 4)
        let page = try String(contentsOfFile: out + "/block1_conv1/2.html", encoding: .utf8)
        XCTAssertTrue(page.contains("importance-toggle"), page)
        XCTAssertEqual(try renderedInProcess(out, into: d.dir + "/natural-in-process", fvd: fvd), first)
        // An importance map lost: that unit is not done.
        try FileManager.default.removeItem(atPath: out + "/block1_conv1/1-importance.png")
        let (s3, _, e3) = try runProgram(fvctl, ["atlas", "block1_conv1", "--filters", "0-3", "--preset", "natural", "--size", "32", "--steps", "4",
                                                 "--no-negative", "--out", out, "--socket", d.socketPath])
        XCTAssertEqual(s3, 0, e3)
        XCTAssertTrue(e3.contains("3 of 4 done, rendering 1"), e3)
    }

    /// `--spectrum-from` in an atlas: the table is measured once and kept in atlas.json, so the
    /// daemon's tiles, `fvd atlas-task` (a Slurm node, which never sees the folder) and the
    /// page's own `fvctl pattern ... --spectrum-from` command give the same bytes; the same
    /// command with the folder changed is refused, naming the spectrum.
    func testANaturalAtlasDrawsWithTheUsersSpectrumEverywhere() throws {
        let d = try XCTUnwrap(Self.daemon)
        let (fvctl, fvd) = try tools()
        let work = d.dir + "/spectrum-atlas", photos = work + "/photos"
        try FileManager.default.createDirectory(atPath: photos, withIntermediateDirectories: true)
        for k in 0..<3 {
            var px = [UInt8](repeating: 0, count: 40 * 40 * 3)
            for i in px.indices { px[i] = UInt8((i * (7 + k) + (i / 120) * 31) % 256) }
            try Data(try PNGCodec.encode(RGBImage(width: 40, height: 40, pixels: px))).write(to: URL(fileURLWithPath: photos + "/\(k).png"))
        }
        let env = ["XDG_CACHE_HOME": work + "/cache"]
        let out = work + "/atlas"
        let args = ["atlas", "block1_conv1", "--filters", "0-2", "--preset", "natural", "--size", "32", "--steps", "4", "--no-negative",
                    "--spectrum-from", photos, "--out", out, "--socket", d.socketPath]
        let (s, _, e) = try runProgram(fvctl, args, env: env)
        XCTAssertEqual(s, 0, e)
        XCTAssertTrue(e.contains("measured from 3 pictures"), e)
        let manifest = try JSONCodec.parse(try String(contentsOfFile: out + "/atlas.json", encoding: .utf8))
        XCTAssertEqual(manifest["spectrum"]?["size"], 32)
        XCTAssertEqual(manifest["spectrumFrom"]?.stringValue, photos)
        let first = try files(out)
        // A Slurm node's way: fvd atlas-task from atlas.json alone.
        XCTAssertEqual(try renderedInProcess(out, into: work + "/in-process", fvd: fvd), first)
        // The page's command, run alone, gives the page's picture.
        let page = try String(contentsOfFile: out + "/block1_conv1/1.html", encoding: .utf8)
        XCTAssertTrue(page.contains("--spectrum-from \(photos)"), page)
        let (s3, _, e3) = try runProgram(fvctl, ["pattern", "block1_conv1", "1", "--preset", "natural", "--size", "32", "--steps", "4", "--seed", "0",
                                                 "--spectrum-from", photos, "-o", work + "/alone.png", "--socket", d.socketPath], env: env)
        XCTAssertEqual(s3, 0, e3)
        XCTAssertEqual(FileManager.default.contents(atPath: work + "/alone.png"), first["block1_conv1/1.png"])
        // Another picture in the folder: another spectrum, so another atlas.
        try FileManager.default.copyItem(atPath: photos + "/0.png", toPath: photos + "/3.png")
        let (s4, _, e4) = try runProgram(fvctl, args, env: env)
        XCTAssertEqual(s4, 1, e4)
        XCTAssertTrue(e4.contains("spectrum: measured from \(photos) there, measured from \(photos) asked (its pictures have changed since)"), e4)
    }
}
