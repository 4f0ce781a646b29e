import FVAtlas
import FVProtocol
import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// `fvctl atlas --slurm` on a real Slurm cluster: the one-machine cluster of
/// `scripts/slurm-local.sh`, started here and stopped again, pass or fail. A sharded run gives
/// the local run's bytes; a cancelled task's units are rendered by the next submission and no
/// other; weights the nodes cannot load and a job sbatch refuses are reported before anything runs.
final class SlurmAtlasTests: XCTestCase {
    static var started = false
    static var startFailure: String?
    static var daemon: TestDaemon?

    override class func setUp() {
        guard getuid() == 0 else { startFailure = "needs root to start a one-machine Slurm cluster"; return }
        do {
            let (s, o, e) = try runProgram(repoRoot + "/scripts/slurm-local.sh", ["start"])
            if s == 0 { started = true } else { startFailure = "scripts/slurm-local.sh start failed: \(o)\(e)" }
        } catch { startFailure = "\(error)" }
        daemon = try? TestDaemon()
    }

    override class func tearDown() {
        daemon?.stop()
        if started { _ = try? runProgram(repoRoot + "/scripts/slurm-local.sh", ["stop"]) }
    }

    func cluster() throws -> (fvctl: String, fvd: String) {
        if let why = Self.startFailure {
            if ProcessInfo.processInfo.environment["CI"] != nil { XCTFail(why) }
            throw XCTSkip(why)
        }
        guard let fvctl = builtBinary("fvctl"), let fvd = builtBinary("fvd") else { throw XCTSkip("fvctl and fvd are not built") }
        return (fvctl, fvd)
    }

    var weights: String { repoRoot + "/weights/vgg16.fvw" }

    /// Waits until none of `jobs` is in the queue.
    func waitForJobs(_ jobs: [String], timeout: TimeInterval = 300) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let (_, out, _) = try runProgram("/usr/bin/squeue", ["-h", "-o", "%i"])
            let queued = out.split(separator: "\n").map(String.init)
            if !queued.contains(where: { q in jobs.contains { q == $0 || q.hasPrefix($0 + "_") } }) { return }
            usleep(300_000)
        }
        XCTFail("Slurm jobs \(jobs) still queued after \(timeout) s")
    }

    func jobs(_ dir: String) throws -> [String] {
        let j = try JSONCodec.parse(try String(contentsOfFile: dir + "/slurm/jobs.json", encoding: .utf8))
        return [j["array"]?.stringValue, j["site"]?.stringValue].compactMap { $0 }
    }

    func files(_ dir: String) throws -> [String: Data] {
        var out: [String: Data] = [:]
        for f in try FileManager.default.subpathsOfDirectory(atPath: dir) where (f.hasSuffix(".png") || f.hasSuffix(".json") || f.hasSuffix(".html")) && !f.hasPrefix("slurm/") {
            out[f] = FileManager.default.contents(atPath: dir + "/" + f)
        }
        return out
    }

    func testASlurmRunEqualsTheLocalRunByteForByte() throws {
        let (fvctl, fvd) = try cluster()
        let d = try XCTUnwrap(Self.daemon)
        let common = ["block1_conv1", "block2_conv1", "--filters", "0-7", "--size", "32", "--steps", "8", "--batch", "4"]
        let sharded = d.dir + "/sharded", local = d.dir + "/local"
        let (s, o, e) = try runProgram(fvctl, ["atlas"] + common + ["--out", sharded, "--slurm", "--tasks", "3", "--fvd", fvd, "--weights", weights])
        XCTAssertEqual(s, 0, e)
        XCTAssertTrue(e.contains("submitted array job \(o.trimmingCharacters(in: .whitespacesAndNewlines)) (3 tasks for 16 units)"), e)
        let script = try String(contentsOfFile: sharded + "/slurm/atlas-task.sbatch", encoding: .utf8)
        XCTAssertTrue(script.contains("#SBATCH --array=0-2"), script)
        try waitForJobs(try jobs(sharded))
        let (sl, _, el) = try runProgram(fvctl, ["atlas"] + common + ["--out", local, "--socket", d.socketPath])
        XCTAssertEqual(sl, 0, el)
        let a = try files(sharded), b = try files(local)
        XCTAssertEqual(a.count, 16 * 4 + 2 + 1 + 1, "pictures, negatives, records and pages; two layer pages; the index; the manifest")
        XCTAssertEqual(Set(a.keys), Set(b.keys))
        for (k, v) in b where k != "atlas.json" { XCTAssertEqual(a[k], v, "\(k) differs between the Slurm run and the local run") }
        let site = try String(contentsOfFile: sharded + "/slurm/" + (try FileManager.default.contentsOfDirectory(atPath: sharded + "/slurm").first { $0.hasPrefix("site-") }!), encoding: .utf8)
        XCTAssertTrue(site.contains("16 of 16 units"), site)
    }

    /// scancel of one array task mid-run: its units are missing, the rest are done; submitting
    /// the same command again renders exactly the missing ones (the done ones keep their files).
    func testACancelledTaskIsFinishedByTheNextSubmissionWithNothingRenderedTwice() throws {
        let (fvctl, fvd) = try cluster()
        let d = try XCTUnwrap(Self.daemon)
        let dir = d.dir + "/cancelled"
        let args = ["atlas", "block1_conv1", "--filters", "0-5", "--size", "32", "--steps", "150", "--batch", "1", "--no-negative",
                    "--out", dir, "--slurm", "--tasks", "2", "--fvd", fvd, "--weights", weights]
        let (s, o, e) = try runProgram(fvctl, args)
        XCTAssertEqual(s, 0, e)
        let array = o.trimmingCharacters(in: .whitespacesAndNewlines)
        // Cancel task 1 once it has started.
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            let (_, q, _) = try runProgram("/usr/bin/squeue", ["-h", "-o", "%i %T"])
            if q.contains("\(array)_1 RUNNING") { break }
            usleep(100_000)
        }
        let (sc, _, ec) = try runProgram("/usr/bin/scancel", ["\(array)_1"])
        XCTAssertEqual(sc, 0, ec)
        try waitForJobs(try jobs(dir))
        let manifest = try XCTUnwrap(try AtlasDirectory(dir).manifest())
        let doneBefore = manifest.units.filter { AtlasDirectory(dir).done($0, manifest) != nil }
        XCTAssertLessThan(doneBefore.count, 6, "task 1 was cancelled before it finished its shard")
        XCTAssertTrue(manifest.shard(0, of: 2).flatMap { $0 }.allSatisfy { doneBefore.contains($0) }, "task 0 finished its shard")
        var stamps: [String: Date] = [:]
        for u in doneBefore { stamps[u.record] = try FileManager.default.attributesOfItem(atPath: dir + "/" + u.record)[.modificationDate] as? Date }
        let (st, so, _) = try runProgram(fvctl, ["atlas", "--status", dir])
        XCTAssertEqual(st, 0)
        XCTAssertTrue(so.contains("\(doneBefore.count) of 6 units done"), so)

        let (s2, _, e2) = try runProgram(fvctl, args)
        XCTAssertEqual(s2, 0, e2)
        XCTAssertTrue(e2.contains("\(doneBefore.count) of 6 done; submitted"), e2)
        try waitForJobs(try jobs(dir))
        XCTAssertEqual(manifest.units.filter { AtlasDirectory(dir).done($0, manifest) != nil }.count, 6)
        for u in doneBefore {
            let now = try FileManager.default.attributesOfItem(atPath: dir + "/" + u.record)[.modificationDate] as? Date
            XCTAssertEqual(now, stamps[u.record], "\(u) was done before and was not rendered again")
        }
        let (s3, _, e3) = try runProgram(fvctl, args)
        XCTAssertEqual(s3, 0, e3)
        XCTAssertTrue(e3.contains("all 6 of 6 units are done; nothing to submit"), e3)
    }

    func testWhatSlurmCannotRunIsRefusedBeforeSubmission() throws {
        let (fvctl, fvd) = try cluster()
        let d = try XCTUnwrap(Self.daemon)
        let dir = d.dir + "/refused"
        let base = ["atlas", "block1_conv1", "--filters", "0-1", "--size", "32", "--steps", "2", "--out", dir, "--slurm", "--fvd", fvd]
        let (s1, _, e1) = try runProgram(fvctl, base + ["--weights", d.dir + "/nowhere.fvw"])
        XCTAssertEqual(s1, 1)
        XCTAssertTrue(e1.contains("the weights the nodes would load cannot be loaded"), e1)
        XCTAssertTrue(e1.contains("nothing was submitted"), e1)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/slurm/jobs.json"))
        let (s2, _, e2) = try runProgram(fvctl, base + ["--weights", weights, "--partition", "nosuchpartition"])
        XCTAssertEqual(s2, 1)
        XCTAssertTrue(e2.contains("sbatch refused the job"), e2)
        XCTAssertTrue(e2.lowercased().contains("partition"), e2)
    }
}
