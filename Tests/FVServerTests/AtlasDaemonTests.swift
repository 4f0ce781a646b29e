import FVAtlas
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
        let args = ["atlas", "block1_conv1", "block2_conv1", "--filters", "0-5", "--size", "32", "--steps", "6", "--batch", "4", "--out", out, "--socket", d.socketPath]
        let (s1, o1, e1) = try runProgram(fvctl, args)
        XCTAssertEqual(s1, 0, e1)
        XCTAssertEqual(o1, out + "/index.html\n")
        XCTAssertTrue(e1.contains("0 of 12 done, rendering 12"), e1)
        XCTAssertTrue(e1.contains("index.html: 12 of 12 units"), e1)
        let first = try files(out)
        XCTAssertEqual(first.keys.filter { $0.hasSuffix(".png") }.count, 24, "a picture and its negative per unit")

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
}
