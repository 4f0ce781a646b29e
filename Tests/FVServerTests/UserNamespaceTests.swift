import FVProtocol
import FVTransport
import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// fvd tells users apart by SO_PEERCRED, which reports uids as fvd's user namespace sees them.
/// The unit used to set PrivateUsers=yes, under which every user but root reads as 65534 and
/// all users shared one queue. The real fvd binary, in user namespaces like the unit's.
final class UserNamespaceTests: XCTestCase {
    var dir = ""

    override func setUpWithError() throws {
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare"),
              FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else {
            throw XCTSkip("needs root, unshare and setpriv")
        }
        guard (try? runProgram("/usr/bin/unshare", ["--user", "--map-root-user", "true"]))?.0 == 0 else {
            throw XCTSkip("user namespaces are not available here")
        }
        dir = NSTemporaryDirectory() + "fvd-userns-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        chmod(dir, 0o755)
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: dir) }

    func fvd() throws -> String {
        guard let p = builtBinary("fvd") else { throw XCTSkip("fvd is not built") }
        return p
    }

    func testTheShippedUnitKeepsRealUids() throws {
        let unit = try String(contentsOfFile: repoRoot + "/systemd/fvd.service", encoding: .utf8)
        XCTAssertFalse(unit.split(separator: "\n").contains { $0.hasPrefix("PrivateUsers=") && !$0.hasSuffix("=no") },
                       "PrivateUsers= would make every client uid 65534")
    }

    /// A namespace that maps only root (as PrivateUsers= maps only a few uids): fvd refuses to
    /// serve, with a log line that says why, instead of mixing users up.
    func testInANamespaceThatMapsFewUidsFvdRefusesToServe() throws {
        let (status, _, err) = try runProgram("/usr/bin/unshare", ["--user", "--map-root-user", try fvd(), "serve", "--socket", dir + "/fvd.sock", "--no-cache"])
        XCTAssertEqual(status, 5, err)
        XCTAssertTrue(err.contains("fvd refuses to serve: fvd cannot tell its clients apart"), err)
        XCTAssertTrue(err.contains("PrivateUsers="), err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: dir + "/fvd.sock"), "nothing listens")
    }

    /// A namespace that maps every uid (what the unit gives now, in effect): two ordinary users
    /// each see and cancel only their own jobs.
    func testInAFullyMappedNamespaceTwoUsersStayApart() throws {
        let sock = dir + "/fvd.sock"
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
        // Wait for the uid map before starting fvd (it checks the map at start).
        p.arguments = ["--user", "/bin/sh", "-c", "read go; exec \"$0\" serve --socket \"$1\" --socket-mode 666 --no-cache", try fvd(), sock]
        let input = Pipe()
        p.standardInput = input
        p.standardError = FileHandle.nullDevice
        try p.run()
        defer {
            p.terminate()
            p.waitUntilExit()
        }
        let pid = p.processIdentifier
        let mine = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/user")
        let entered = Date().addingTimeInterval(10)
        while (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/ns/user")) == mine && Date() < entered { usleep(10_000) }
        for map in ["uid_map", "gid_map"] {
            try "0 0 4294967295\n".write(toFile: "/proc/\(pid)/\(map)", atomically: false, encoding: .utf8)
        }
        input.fileHandleForWriting.write(Data("go\n".utf8))
        let deadline = Date().addingTimeInterval(30)
        while (try? RPCClient(path: sock)) == nil && Date() < deadline { usleep(50_000) }

        let script = repoRoot + "/examples/fvd_client.py"
        func run(as uid: Int, _ args: [String]) throws -> (Int32, String, String) {
            try runProgram("/usr/bin/setpriv", ["--reuid=\(uid)", "--regid=\(uid)", "--clear-groups", "/usr/bin/env", "python3", script, "--socket", sock] + args)
        }
        // User 1234 starts a long job.
        let long = Process()
        long.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        long.arguments = ["--reuid=1234", "--regid=1234", "--clear-groups", "/usr/bin/env", "python3", script, "--socket", sock,
                          "pattern", "block2_conv1", "1", "--size", "32", "--steps", "100000", "-o", "/dev/null"]
        long.standardError = FileHandle.nullDevice
        long.standardOutput = FileHandle.nullDevice
        try long.run()
        defer {
            long.terminate()
            long.waitUntilExit()
        }
        var jobs: [JSON] = []
        let t0 = Date()
        while jobs.isEmpty && Date().timeIntervalSince(t0) < 20 {
            usleep(100_000)
            let (_, out, _) = try run(as: 1234, ["jobs"])
            jobs = (try? JSONCodec.parse(out))?.arrayValue ?? []
        }
        XCTAssertEqual(jobs.count, 1, "user 1234 sees its own job")
        XCTAssertEqual(jobs.first?["uid"], 1234, "and fvd sees its real uid, not 65534")
        let id = try XCTUnwrap(jobs.first?["id"]?.intValue)

        let (s1, theirs, e1) = try run(as: 1235, ["jobs"])
        XCTAssertEqual(s1, 0, e1)
        XCTAssertEqual(theirs.trimmingCharacters(in: .whitespacesAndNewlines), "[]", "user 1235 sees none of 1234's jobs")
        let (s2, _, e2) = try run(as: 1235, ["cancel", "\(id)"])
        XCTAssertEqual(s2, 1, "user 1235 cannot cancel 1234's job")
        XCTAssertTrue(e2.contains("no job \(id) among your jobs"), e2)
        let (_, still, _) = try run(as: 1234, ["jobs"])
        XCTAssertEqual((try? JSONCodec.parse(still))?.arrayValue?.count, 1, "the job still runs")
    }
}
