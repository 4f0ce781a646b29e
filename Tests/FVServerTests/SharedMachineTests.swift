import FVProtocol
import FVTransport
import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// Greedy and slow clients, other users, and what one user may see of another's work.
final class SharedMachineTests: XCTestCase {
    func testAClientThatNeverReadsProgressCannotGrowTheDaemon() throws {
        let d = try TestDaemon { $0.progressInterval = 0 }  // a notification every step
        defer { d.stop() }
        let greedy = try d.client()
        // Tiny steps, thousands of notifications; this client never reads one.
        try greedy.send(line: JSONCodec.serialize(RPCRequest(id: 1, method: "pattern", params: smallPattern(1, steps: 50_000, size: 16, layer: "block1_conv1")).json))
        let watcher = try d.client()
        var worst = 0
        var lastStep: Int64 = 0
        // Until the job has sent well past what the socket buffers hold (bounded in time, for
        // slow runs under sanitizers).
        let deadline = Date().addingTimeInterval(60)
        while lastStep <= 5000 && Date() < deadline {
            usleep(100_000)
            let s = try watcher.call("status")
            worst = max(worst, Int(s["outboxPending"]?.intValue ?? 0))
            lastStep = (try watcher.call("jobs")["jobs"]?.arrayValue?.first?["step"]?.intValue) ?? lastStep
        }
        XCTAssertGreaterThan(lastStep, 5000, "the job kept running (and sending) meanwhile")
        print("never-reading client: \(lastStep) steps sent, at most \(worst) messages queued")
        XCTAssertGreaterThan(worst, 0, "the socket buffer filled and the outbox had to hold messages")
        XCTAssertLessThanOrEqual(worst, 10, "queued messages stay bounded: at most the backlog of 8 plus the one being written")
    }

    func testAJobPastItsTimeLimitIsStoppedWithAClearError() throws {
        let d = try TestDaemon { $0.jobTimeLimit = 0.5 }
        defer { d.stop() }
        let t0 = Date()
        XCTAssertThrowsError(try d.client().call("pattern", smallPattern(1, steps: 100_000, size: 48))) {
            let e = $0 as? RPCError
            XCTAssertEqual(e?.code, RPCError.timeLimit)
            XCTAssertTrue(e?.message.contains("ask for fewer steps or a smaller size") ?? false, "\($0)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(t0), 3)
        XCTAssertNotNil(try d.client().call("pattern", smallPattern(2, steps: 2))["png"], "the next job runs normally")
    }

    func testPastTheConnectionLimitAClientGetsAnErrorAndIsClosed() throws {
        let d = try TestDaemon {
            $0.maxConnections = 3
            $0.rootReserve = 0
        }
        defer { d.stop() }
        let open = try (0..<3).map { _ in try d.client() }
        for c in open { XCTAssertNotNil(try c.call("status")["version"]) }
        let extra = try d.client()
        let r = try extra.readMessage()
        XCTAssertEqual(r["error"]?["code"], .int(Int64(RPCError.tooManyConnections)))
        XCTAssertThrowsError(try extra.readMessage())
        open[0].close()
        usleep(300_000)
        XCTAssertNotNil(try d.client().call("status")["version"], "a freed slot is usable again")
    }

    /// Root queues many jobs; user `nobody` (a second real uid) submits one. Round-robin serves
    /// nobody's job next, so it waits at most for the one running job, not for root's queue.
    func testAnotherUsersJobIsNotHeldUpByALongQueue() throws {
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else {
            throw XCTSkip("needs root and setpriv to act as a second user")
        }
        let d = try TestDaemon {
            $0.socketMode = 0o666
            $0.batchRequests = false
            $0.progressInterval = 1
        }
        defer { d.stop() }
        chmod(d.dir, 0o755)
        let root = try d.client()
        let queued = 12
        for i in 0..<queued {
            try root.send(line: JSONCodec.serialize(RPCRequest(id: .int(Int64(i)), method: "pattern", params: smallPattern(i, steps: 20, size: 48, seed: i, layer: "block3_conv1")).json))
        }
        // One job's length, measured on this machine now: root's first job.
        usleep(200_000)
        let script = repoRoot + "/examples/fvd_client.py"
        func asNobody(_ args: [String]) throws -> (Int32, String, String) {
            try runProgram("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/env", "python3", script, "--socket", d.socketPath] + args)
        }
        // nobody sees none of root's jobs and cannot cancel them.
        let (s1, jobs, e1) = try asNobody(["jobs"])
        XCTAssertEqual(s1, 0, e1)
        XCTAssertEqual(jobs.trimmingCharacters(in: .whitespacesAndNewlines), "[]")
        let rootJobs = try XCTUnwrap(try d.client().call("jobs")["jobs"]?.arrayValue)
        XCTAssertGreaterThan(rootJobs.count, 5, "root (uid 0) sees its own queue")
        let victim = try XCTUnwrap(rootJobs.last?["id"]?.intValue)
        let (s2, _, e2) = try asNobody(["cancel", "\(victim)"])
        XCTAssertEqual(s2, 1)
        XCTAssertTrue(e2.contains("no job \(victim) among your jobs"), e2)

        let t0 = Date()
        let (s3, out, e3) = try asNobody(["pattern", "block3_conv1", "99", "--size", "48", "--steps", "20", "-o", "/dev/null"])
        let nobodyWait = Date().timeIntervalSince(t0)
        XCTAssertEqual(s3, 0, e3 + out)
        // How long root's whole queue takes, for comparison.
        var done = 0
        let t1 = Date()
        while done < queued { if try root.readMessage()["id"] != nil { done += 1 } }
        let rootRest = Date().timeIntervalSince(t1)
        let perJob = rootRest / Double(queued)
        print("fairness: nobody's job took \(nobodyWait) s; root's remaining queue took \(rootRest) s more (\(perJob) s a job)")
        XCTAssertLessThan(nobodyWait, 3 * perJob + 1.0, "nobody waited for more than one running job")
        XCTAssertGreaterThan(rootRest, nobodyWait, "root's queue was still there when nobody's job finished")
    }

    func testSocketModeIsWhatWasAskedAndTheUnitsSayGroupFvd0660() throws {
        let d = try TestDaemon { $0.socketMode = 0o660 }
        defer { d.stop() }
        var st = stat()
        XCTAssertEqual(lstat(d.socketPath, &st), 0)
        XCTAssertEqual(st.st_mode & 0o777, 0o660)
        XCTAssertEqual(st.st_mode & S_IFMT, S_IFSOCK)
        let unit = try String(contentsOfFile: repoRoot + "/systemd/fvd.socket", encoding: .utf8)
        XCTAssertTrue(unit.contains("SocketMode=0660"))
        XCTAssertTrue(unit.contains("SocketGroup=fvd"))
        XCTAssertTrue(unit.contains("ListenStream=/run/fvd/fvd.sock"))
    }

    func testCacheDirectoryThatIsFullOrUnwritableStillServesJobs() throws {
        // Unwritable: the cache path runs through a regular file, which no one (not even root) can mkdir under.
        let blocker = NSTemporaryDirectory() + "fvd-blocker-\(getpid())"
        XCTAssertTrue(FileManager.default.createFile(atPath: blocker, contents: Data("x".utf8)))
        defer { try? FileManager.default.removeItem(atPath: blocker) }
        let d = try TestDaemon { $0.cacheDirectory = blocker + "/cache" }
        defer { d.stop() }
        let r = try d.client().call("pattern", smallPattern(3, steps: 2))
        XCTAssertNotNil(r["png"])
        XCTAssertGreaterThanOrEqual(try d.client().call("status")["cache"]?["writeFailures"]?.intValue ?? 0, 1)

        // Full: a 16 KiB tmpfs (needs root and mount; skipped elsewhere).
        let full = NSTemporaryDirectory() + "fvd-full-\(getpid())"
        try FileManager.default.createDirectory(atPath: full, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: full) }
        guard getuid() == 0, (try? runProgram("/bin/mount", ["-t", "tmpfs", "-o", "size=16k", "tmpfs", full]))?.0 == 0 else {
            throw XCTSkip("cannot mount a tiny tmpfs here to fill the cache")
        }
        defer { _ = try? runProgram("/bin/umount", [full]) }
        let f = try TestDaemon { $0.cacheDirectory = full }
        defer { f.stop() }
        let g = try f.client().call("grid", GridParams(layer: "block1_conv2", filters: [0, 1, 2, 3], options: RenderOptions(size: 64, steps: 2)).json)
        XCTAssertNotNil(g["png"], "the job succeeds although its result cannot be cached")
        XCTAssertGreaterThanOrEqual(try f.client().call("status")["cache"]?["writeFailures"]?.intValue ?? 0, 1)
    }

    /// Root's 512 px render (many minutes of work) is in progress; user nobody's 16 px, 1-step render
    /// finishes in seconds, because jobs of different users take turns a step at a time. It used
    /// to wait for the whole render (up to the 900 s time limit).
    func testASmallJobIsNotHeldUpByAnotherUsersBigOne() throws {
        guard canSwitchUsers else { throw XCTSkip("needs root and setpriv to act as a second user") }
        let d = try SpawnedDaemon()
        defer { d.stop() }
        let big = try d.client()
        try big.send(line: JSONCodec.serialize(RPCRequest(id: 1, method: "pattern", params: smallPattern(1, steps: 2000, size: 512, layer: "block3_conv1")).json))
        _ = try big.readMessage()  // its first step is done: it is in progress
        let watcher = try d.client()
        let t0 = Date()
        let (s, out, e) = try runAs(65534, "/usr/bin/env", ["python3", repoRoot + "/examples/fvd_client.py", "--socket", d.socketPath,
                                                              "pattern", "block1_conv1", "2", "--size", "16", "--steps", "1", "-o", "/dev/null"])
        let waited = Date().timeIntervalSince(t0)
        XCTAssertEqual(s, 0, out + e)
        let status = try watcher.call("status")
        let step = try watcher.call("jobs")["jobs"]?.arrayValue?.first?["step"]?.intValue ?? 0
        let inProgressBytes = status["queue"]?["workspaceBytes"]?.intValue ?? 0
        print("small job of another user while a 512 px render runs: \(waited) s; the render is at step \(step) of 2000, holding \(inProgressBytes >> 20) MiB of workspace")
        XCTAssertLessThan(waited, 20, "the small job waited at most a step or two of the big one")
        XCTAssertLessThan(step, 2000, "the big job was still in progress")
        XCTAssertEqual(status["queue"]?["inProgress"], 1, "the big job is the one in progress now")
        XCTAssertGreaterThan(inProgressBytes, 100 << 20, "the big job's workspace is reported")
    }

    /// A render that has to wait says so (fvctl: "waiting: 1 job ahead") instead of leaving a
    /// blank terminal, and then runs.
    func testAWaitingRenderSaysHowManyJobsAreAhead() throws {
        guard let fvctl = builtBinary("fvctl") else { throw XCTSkip("fvctl is not built") }
        let d = try SpawnedDaemon()
        defer { d.stop() }
        let first = try d.client()
        try first.send(line: JSONCodec.serialize(RPCRequest(id: 1, method: "pattern", params: smallPattern(1, steps: 100_000, size: 32)).json))
        _ = try first.readMessage()  // it runs
        let waiter = Process()
        waiter.executableURL = URL(fileURLWithPath: fvctl)
        waiter.arguments = ["pattern", "block1_conv1", "2", "--size", "16", "--steps", "1", "--socket", d.socketPath, "-o", d.dir + "/second.png"]
        let err = Pipe()
        waiter.standardError = err
        waiter.standardOutput = FileHandle.nullDevice
        try waiter.run()
        usleep(1_500_000)
        XCTAssertTrue(waiter.isRunning, "the second render waits behind the first (same user)")
        let jobs = try JobsResult(try d.client().call("jobs")).jobs
        let running = try XCTUnwrap(jobs.first { $0.state == "running" })
        try d.client().call("cancel", CancelParams(job: running.id).json)
        waiter.waitUntilExit()
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertEqual(waiter.terminationStatus, 0, text)
        XCTAssertTrue(text.contains("waiting: 1 job ahead"), text)
    }

    /// Red team round 3, item 3: two users' big jobs fill the pixel budget; a third user's 16 px,
    /// 1-step render used to wait until one of them ended (not started after 70 s). Small runs
    /// have a reserve past the budget now: it starts within a few seconds.
    func testASmallJobDoesNotWaitBehindTheBudgetOthersHold() throws {
        guard canSwitchUsers, let fvctl = builtBinary("fvctl") else { throw XCTSkip("needs root, setpriv and fvctl") }
        let d = try TestDaemon {
            $0.socketMode = 0o666
            $0.batchRequests = false
            $0.cacheDirectory = nil
            $0.activePixelBudget = 97_000  // a 256 px and a 176 px seed render fill it
            $0.smallRunPixels = 1024
            $0.smallRunReserve = 2048
        }
        defer { d.stop() }
        chmod(d.dir, 0o755)
        let root = try d.client()
        let big = PatternParams(layer: "block1_conv2", filter: 1, options: RenderOptions(size: 256, steps: 100_000, stepSize: 1)).json
        try root.send(line: JSONCodec.serialize(RPCRequest(id: 1, method: "pattern", params: big).json))
        let second = Process()
        second.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        second.arguments = ["--reuid=65534", "--regid=65534", "--clear-groups", fvctl, "pattern", "block1_conv2", "2", "--size", "176",
                            "--steps", "100000", "--step-size", "1", "-o", "/dev/null", "--socket", d.socketPath]
        second.standardOutput = FileHandle.nullDevice
        second.standardError = FileHandle.nullDevice
        try second.run()
        defer { if second.isRunning { second.terminate() } }
        // Both big jobs in progress: the budget is full.
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline, (try d.client().call("status")["queue"]?["inProgress"]?.intValue ?? 0) < 2 { usleep(50_000) }
        XCTAssertEqual(try d.client().call("status")["queue"]?["inProgress"]?.intValue, 2, "two budget-filling jobs in progress")
        let t0 = Date()
        let (s, out, err) = try runProgram("/usr/bin/timeout", ["30", "/usr/bin/setpriv", "--reuid=65533", "--regid=65533", "--clear-groups", fvctl,
                                                                "pattern", "block1_conv1", "0", "--size", "16", "--steps", "1", "-o", "/dev/null",
                                                                "--socket", d.socketPath])
        let wait = Date().timeIntervalSince(t0)
        print("a third user's 16 px render beside two budget-filling jobs: \(String(format: "%.2f", wait)) s")
        XCTAssertEqual(s, 0, out + err)
        XCTAssertLessThan(wait, 5, "its first step came within a few seconds")
        for j in try XCTUnwrap(try d.client().call("jobs")["jobs"]?.arrayValue) {
            if let id = j["id"]?.intValue { _ = try? d.client().call("cancel", CancelParams(job: Int(id)).json) }
        }
        second.waitUntilExit()
    }
}
