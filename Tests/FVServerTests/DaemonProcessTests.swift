import FVProtocol
import FVTransport
import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// Faults, against the real `fvd` binary in a child process: signals, a stale socket after
/// SIGKILL, bad weights at start, a client killed mid-job.
final class DaemonProcessTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "fvd-proc-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func fvd() throws -> String {
        guard let p = builtBinary("fvd") else {
            XCTFail("fvd is not built")
            throw XCTSkip("no fvd")
        }
        return p
    }

    /// Starts `fvd serve` and waits until it answers.
    func start(_ extra: [String] = []) throws -> (Process, Pipe, String) {
        let sock = dir + "/fvd.sock"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try fvd())
        p.arguments = ["serve", "--socket", sock, "--no-cache"] + extra
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if let c = try? RPCClient(path: sock) {
                c.close()
                return (p, err, sock)
            }
            usleep(20_000)
        }
        p.terminate()
        throw XCTSkip("fvd did not start")
    }

    /// The daemon fvctl starts for a user keeps none of fvctl's caller's descriptors. Before,
    /// it kept every one: the pipe of a `$(fvctl status)` or a test harness's, and the caller
    /// waited on it until the daemon's idle exit, half an hour later.
    func testTheDaemonFvctlStartsKeepsNoneOfItsCallersDescriptors() throws {
        guard let fvctl = builtBinary("fvctl") else { throw XCTSkip("fvctl is not built") }
        let run = dir + "/run"
        try FileManager.default.createDirectory(atPath: run, withIntermediateDirectories: true)
        chmod(run, 0o700)
        defer { _ = try? runProgram("/usr/bin/pkill", ["-f", "serve --socket \(run)/fvd/fvd.sock"]) }
        var p: [Int32] = [0, 0]
        XCTAssertEqual(pipe(&p), 0)
        _ = fcntl(p[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(p[1], F_SETFD, FD_CLOEXEC)
        // fvctl gets the pipe's writing end as its descriptor 3, as a caller's would be.
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, p[1], 3)
        var env = ProcessInfo.processInfo.environment
        env["XDG_RUNTIME_DIR"] = run
        env["FVD_SOCKET"] = ""
        let argv: [UnsafeMutablePointer<CChar>?] = [strdup(fvctl), strdup("status"), nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (argv + envp).forEach { free($0) } }
        var pid = pid_t()
        XCTAssertEqual(posix_spawn(&pid, fvctl, &actions, nil, argv, envp), 0)
        close(p[1])
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        XCTAssertEqual((status >> 8) & 0xff, 0, "fvctl status started a daemon and asked it")
        XCTAssertEqual(try runProgram("/usr/bin/pgrep", ["-f", "serve --socket \(run)/fvd/fvd.sock"]).0, 0, "the daemon runs")
        // fvctl has exited: if the daemon kept descriptor 3, the pipe stays open.
        var fds = [pollfd(fd: p[0], events: Int16(POLLIN), revents: 0)]
        defer { close(p[0]) }
        guard poll(&fds, 1, 3000) == 1 else { return XCTFail("the pipe is still open: the daemon kept fvctl's descriptor 3") }
        var byte: UInt8 = 0
        XCTAssertEqual(read(p[0], &byte, 1), 0, "end of file: no one holds the pipe")
    }

    func testSIGTERMDuringAJobTellsTheClientAndExitsZero() throws {
        let (p, err, sock) = try start()
        let c = try RPCClient(path: sock)
        try c.send(line: JSONCodec.serialize(RPCRequest(id: 1, method: "pattern", params: smallPattern(1, steps: 100_000, size: 64)).json))
        _ = try c.readMessage()  // progress: it runs
        kill(p.processIdentifier, SIGTERM)
        var reply: JSON = .null
        while true {
            let m = try c.readMessage()
            if m["id"] != nil {
                reply = m
                break
            }
        }
        XCTAssertEqual(reply["error"]?["code"], .int(Int64(RPCError.shuttingDown)))
        XCTAssertTrue(reply["error"]?["message"]?.stringValue?.contains("shutting down") ?? false)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: sock), "the socket file is removed")
        let log = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertTrue(log.contains(" info: stopping: SIGTERM"), log)
    }

    func testAfterSIGKILLTheStaleSocketIsReplacedOnRestart() throws {
        let (p, _, sock) = try start()
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        XCTAssertTrue(FileManager.default.fileExists(atPath: sock), "SIGKILL leaves the socket file behind")
        let (q, _, _) = try start()
        defer {
            q.terminate()
            q.waitUntilExit()
        }
        XCTAssertNotNil(try RPCClient(path: sock).call("status")["version"])
        // A second daemon on a live socket is refused, not allowed to steal it.
        let (status, _, e) = try runProgram(try fvd(), ["serve", "--socket", sock, "--no-cache"])
        XCTAssertEqual(status, 4)
        XCTAssertTrue(e.contains("another fvd is already listening on \(sock)"), e)
    }

    func testMissingOrCorruptedWeightsAreRefusedClearly() throws {
        let (s1, _, e1) = try runProgram(try fvd(), ["serve", "--socket", dir + "/a.sock", "--weights", dir + "/none.fvw"])
        XCTAssertEqual(s1, 3)
        XCTAssertTrue(e1.contains("weights file \(dir)/none.fvw does not exist") && e1.contains("scripts/setup.sh"), e1)
        let bad = dir + "/bad.fvw"
        let good = try Data(contentsOf: URL(fileURLWithPath: repoRoot + "/weights/vgg16.fvw"))
        try good.prefix(1_000_000).write(to: URL(fileURLWithPath: bad))
        let (s2, _, e2) = try runProgram(try fvd(), ["serve", "--socket", dir + "/b.sock", "--weights", bad])
        XCTAssertEqual(s2, 3)
        XCTAssertTrue(e2.contains("is truncated"), e2)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/b.sock"), "nothing listens")
    }

    /// A daemon pinned to one CPU (taskset, a container's cpuset, systemd's CPUAffinity=) counts
    /// one core: its kernels start no polling worker to take turns with the computing thread on
    /// that CPU, says so when ready, and still computes.
    func testADaemonPinnedToOneCPUCountsOneCore() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/taskset") else { throw XCTSkip("no taskset") }
        guard sysconf(Int32(_SC_NPROCESSORS_ONLN)) > 1 else { throw XCTSkip("one CPU online: nothing to pin") }
        let d = try SpawnedDaemon(launcher: ["/usr/bin/taskset", "-c", "0"])
        defer { d.stop() }
        // The ready line comes just after the socket starts listening.
        let deadline = Date().addingTimeInterval(10)
        while !d.log.contains(" ready: ") && Date() < deadline { usleep(20_000) }
        XCTAssertTrue(d.log.contains("resident, 1 core"), d.log)
        let r = try d.client().call("pattern", smallPattern(2, steps: 8, size: 64))
        XCTAssertNotNil(r["png"]?.stringValue, "a job still computes")
    }

    func testAClientKilledMidJobFreesTheCoresWithinASecond() throws {
        let (p, _, sock) = try start()
        defer {
            p.terminate()
            p.waitUntilExit()
        }
        let client = Process()
        client.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        client.arguments = ["python3", repoRoot + "/examples/fvd_client.py", "--socket", sock, "pattern", "block2_conv1", "1", "--size", "64", "--steps", "100000", "-o", dir + "/x.png"]
        client.standardError = FileHandle.nullDevice
        try client.run()
        let watcher = try RPCClient(path: sock)
        func running() throws -> Int64 { try watcher.call("status")["queue"]?["running"]?.intValue ?? -1 }
        let deadline = Date().addingTimeInterval(10)
        while try running() == 0 && Date() < deadline { usleep(20_000) }
        XCTAssertEqual(try running(), 1, "the client's job runs")
        kill(client.processIdentifier, SIGKILL)
        let t0 = Date()
        while try running() != 0 && Date().timeIntervalSince(t0) < 2 { usleep(10_000) }
        let freed = Date().timeIntervalSince(t0)
        XCTAssertLessThan(freed, 1.0, "job still running \(freed) s after its client died")
    }

    /// The weights file truncated and overwritten in place while fvd serves: jobs go on (fvd read
    /// it once at start-up), where the mapping used to end the daemon with SIGBUS.
    func testRewritingTheWeightsFileInPlaceDoesNotKillTheDaemon() throws {
        // A copy of the bytes (never copyItem: weights/vgg16.fvw may be a link, and the test
        // would then damage the real file).
        let copy = dir + "/vgg16.fvw"
        try Data(contentsOf: URL(fileURLWithPath: repoRoot + "/weights/vgg16.fvw")).write(to: URL(fileURLWithPath: copy))
        let (p, _, sock) = try start(["--weights", copy])
        defer {
            p.terminate()
            p.waitUntilExit()
        }
        XCTAssertNotNil(try RPCClient(path: sock).call("pattern", smallPattern(1, steps: 2))["png"])
        XCTAssertEqual(truncate(copy, 4096), 0)
        let h = try XCTUnwrap(FileHandle(forWritingAtPath: copy))
        h.write(Data(repeating: 0xAB, count: 1 << 20))
        h.closeFile()
        // A different layer and filter: a new channel head is packed from the weights.
        let r = try RPCClient(path: sock).call("pattern", smallPattern(7, steps: 2, layer: "block4_conv2"))
        XCTAssertNotNil(r["png"])
        XCTAssertTrue(p.isRunning, "the daemon survived")
    }

    /// `make install` replaces the weights (and binaries) by rename, never in place.
    func testMakeInstallReplacesFilesAtomically() throws {
        guard FileManager.default.isExecutableFile(atPath: repoRoot + "/.build/release/fvd"),
              FileManager.default.isExecutableFile(atPath: "/usr/bin/make") else { throw XCTSkip("needs make and a release build (scripts/setup.sh)") }
        let dest = dir + "/root"
        func install() throws {
            let (s, o, e) = try runProgram("/usr/bin/make", ["-s", "install", "DESTDIR=\(dest)", "PREFIX=/usr"], cwd: repoRoot)
            XCTAssertEqual(s, 0, o + e)
        }
        try install()
        let installed = dest + "/usr/share/fvd/vgg16.fvw"
        let held = open(installed, O_RDONLY)
        defer { close(held) }
        var a = stat(), b = stat()
        fstat(held, &a)
        try install()
        stat(installed, &b)
        XCTAssertNotEqual(a.st_ino, b.st_ino, "a new file took the name; the one a daemon may hold is untouched")
        XCTAssertEqual(a.st_size, b.st_size)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dest + "/usr/share/fvd").filter { $0.hasSuffix(".new") }
        XCTAssertEqual(leftovers, [])
    }

    /// A daemon that exits removes only the socket file it bound: when a newer daemon owns the
    /// path by then, that one stays reachable.
    func testAnExitingDaemonLeavesANewerDaemonsSocketAlone() throws {
        let (old, _, sock) = try start()
        unlink(sock)  // e.g. removed by hand, or a tmp cleaner
        let (new, _, _) = try start()
        defer {
            new.terminate()
            new.waitUntilExit()
        }
        old.terminate()
        old.waitUntilExit()
        XCTAssertTrue(FileManager.default.fileExists(atPath: sock), "the newer daemon's socket is still there")
        let pid = try RPCClient(path: sock).call("status")["pid"]?.intValue
        XCTAssertEqual(pid, Int64(new.processIdentifier), "and it answers")
    }

    /// `make install DESTDIR=... PREFIX=/usr`: the installed fvd finds its weights beside itself
    /// (../share/fvd), with no source tree to fall back on; the units and docs follow the prefix;
    /// `make uninstall` leaves nothing behind.
    func testAnInstalledTreeWorksWithoutTheSourceTree() throws {
        guard FileManager.default.isExecutableFile(atPath: repoRoot + "/.build/release/fvd"),
              FileManager.default.isExecutableFile(atPath: "/usr/bin/make") else { throw XCTSkip("needs make and a release build (scripts/setup.sh)") }
        let dest = dir + "/root"
        let (s1, o1, e1) = try runProgram("/usr/bin/make", ["-s", "install", "DESTDIR=\(dest)", "PREFIX=/usr"], cwd: repoRoot)
        XCTAssertEqual(s1, 0, o1 + e1)
        let unit = try String(contentsOfFile: dest + "/usr/lib/systemd/system/fvd.service", encoding: .utf8)
        XCTAssertTrue(unit.contains("ExecStart=/usr/bin/fvd serve --weights /usr/share/fvd/vgg16.fvw"), unit)
        XCTAssertTrue(unit.contains("Documentation=file:///usr/share/doc/fvd/PROTOCOL.md"))
        let socketUnit = try String(contentsOfFile: dest + "/usr/lib/systemd/system/fvd.socket", encoding: .utf8)
        XCTAssertTrue(socketUnit.contains("Documentation=file:///usr/share/doc/fvd/PROTOCOL.md"), socketUnit)
        XCTAssertTrue(unit.contains("EnvironmentFile=-/etc/default/fvd") && unit.contains("$FVD_OPTIONS"), "limits are set in /etc/default/fvd")
        if FileManager.default.fileExists(atPath: repoRoot + "/.build/man/fvctl.1") {
            let man = try String(contentsOfFile: dest + "/usr/share/man/man1/fvctl.1", encoding: .utf8)
            XCTAssertTrue(man.contains("Ask the fvd daemon what VGG16 filters respond to"), "the man page, from the --help text")
            XCTAssertTrue(FileManager.default.fileExists(atPath: dest + "/usr/share/man/man1/fvd.1"))
        }
        let completion = try String(contentsOfFile: dest + "/usr/share/bash-completion/completions/fvctl", encoding: .utf8)
        XCTAssertTrue(completion.contains("block3_conv1"), "completion knows the layer names")
        for f in ["/usr/share/doc/fvd/README.md", "/usr/share/doc/fvd/WEIGHTS.md", "/usr/lib/sysusers.d/fvd.conf", "/usr/bin/fvctl",
                  "/usr/share/fvd/fvd.default", "/usr/share/zsh/site-functions/_fvctl"] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: dest + f), f)
        }
        // GNU and systemd conventions: everything under DESTDIR/PREFIX, nothing left in the tree.
        let outside = try FileManager.default.contentsOfDirectory(atPath: dest)
        XCTAssertEqual(outside, ["usr"], "make install writes only under the prefix (no /etc, no /var)")
        let strays = try FileManager.default.contentsOfDirectory(atPath: repoRoot).filter { $0.hasSuffix(".tmp") || $0.hasSuffix(".new") }
        XCTAssertEqual(strays, [], "no temporary files in the source tree")

        // The installed binary, run from /, with no hint where the weights are.
        let sock = dir + "/installed.sock"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: dest + "/usr/bin/fvd")
        p.arguments = ["serve", "--socket", sock, "--no-cache"]
        p.currentDirectoryURL = URL(fileURLWithPath: "/")
        var env = ProcessInfo.processInfo.environment
        env["FVD_WEIGHTS"] = nil
        p.environment = env
        p.standardError = FileHandle.nullDevice
        try p.run()
        defer {
            p.terminate()
            p.waitUntilExit()
        }
        let deadline = Date().addingTimeInterval(30)
        while (try? RPCClient(path: sock)) == nil && Date() < deadline && p.isRunning { usleep(50_000) }
        let status = try StatusResult(try RPCClient(path: sock).call("status"))
        XCTAssertEqual(status.weightsPath, dest + "/usr/share/fvd/vgg16.fvw", "found beside the installed binary")

        let (s2, o2, e2) = try runProgram("/usr/bin/make", ["-s", "uninstall", "DESTDIR=\(dest)", "PREFIX=/usr"], cwd: repoRoot)
        XCTAssertEqual(s2, 0, o2 + e2)
        let left = FileManager.default.enumerator(atPath: dest)?.compactMap { $0 as? String }.filter {
            var isDir: ObjCBool = false
            FileManager.default.fileExists(atPath: dest + "/" + $0, isDirectory: &isDir)
            return !isDir.boolValue
        } ?? []
        XCTAssertEqual(left, [], "make uninstall removes every file make install made")
    }
}
