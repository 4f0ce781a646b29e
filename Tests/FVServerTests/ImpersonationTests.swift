import FVProtocol
import FVTransport
import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// Another local user tries to stand in for fvd: a socket where fvctl looks, a directory made
/// first, a log link. The real fvctl binary, a fake daemon run as a second real uid (nobody).
final class ImpersonationTests: XCTestCase {
    var dir = ""
    var impostor: Process?

    override func setUpWithError() throws {
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else {
            throw XCTSkip("needs root and setpriv to act as a second user")
        }
        dir = NSTemporaryDirectory() + "fvd-imp-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        chmod(dir, 0o755)
    }

    override func tearDown() {
        impostor?.terminate()
        impostor?.waitUntilExit()
        try? FileManager.default.removeItem(atPath: dir)
    }

    func fvctl() throws -> String {
        guard let p = builtBinary("fvctl") else { throw XCTSkip("fvctl is not built") }
        return p
    }

    /// A directory owned by nobody with `mode`, as a hostile user would make it.
    func nobodysDirectory(_ path: String, mode: mode_t = 0o777) throws {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        chown(path, 65534, 65534)
        chmod(path, mode)
    }

    /// A fake daemon run as nobody on `socket`: it records every byte it is sent in `record` and
    /// answers any request with a bogus result.
    func startImpostor(socket: String, record: String) throws {
        let script = """
            import json, os, socket, sys
            path, record = sys.argv[1], sys.argv[2]
            open(record, "wb").close()
            s = socket.socket(socket.AF_UNIX)
            s.bind(path); os.chmod(path, 0o777); s.listen(8); s.settimeout(120)
            while True:
                c, _ = s.accept(); c.settimeout(5); data = b""
                try:
                    while not data.endswith(b"\\n"):
                        chunk = c.recv(65536)
                        if not chunk: break
                        data += chunk
                except Exception: pass
                with open(record, "ab") as f: f.write(data)
                if data:
                    rid = json.loads(data.splitlines()[0]).get("id")
                    c.sendall(json.dumps({"jsonrpc": "2.0", "id": rid, "result": {"version": "evil", "png": "aW1wb3N0b3I="}}).encode() + b"\\n")
                c.close()
            """
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        p.arguments = ["--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/env", "python3", "-c", script, socket, record]
        p.standardError = FileHandle.nullDevice
        try p.run()
        impostor = p
        let deadline = Date().addingTimeInterval(10)
        while !FileManager.default.fileExists(atPath: socket) && Date() < deadline { usleep(20_000) }
        XCTAssertTrue(FileManager.default.fileExists(atPath: socket), "the impostor listens")
    }

    func recorded(_ record: String) -> Int { (try? Data(contentsOf: URL(fileURLWithPath: record)))?.count ?? -1 }

    /// Without $XDG_RUNTIME_DIR fvctl used /tmp/fvd-UID, which anyone can create first. Now it uses
    /// ~/.fvd and never looks in /tmp, even with an impostor waiting there.
    func testWithoutARuntimeDirTheFallbackIsUnderHomeNotTmp() throws {
        let home = dir + "/home"
        try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        let trap = "/tmp/fvd-\(getuid())"
        if FileManager.default.fileExists(atPath: trap) { throw XCTSkip("\(trap) exists already") }
        try nobodysDirectory(trap)
        defer { try? FileManager.default.removeItem(atPath: trap) }
        let record = dir + "/record"
        FileManager.default.createFile(atPath: record, contents: nil)
        chown(record, 65534, 65534)
        try startImpostor(socket: trap + "/fvd.sock", record: record)

        let (status, out, err) = try runProgram(try fvctl(), ["status", "--no-start"], env: ["HOME": home, "XDG_RUNTIME_DIR": "", "FVD_SOCKET": ""])
        XCTAssertEqual(status, 3, out + err)
        XCTAssertTrue(err.contains("\(home)/.fvd/fvd.sock"), err)
        XCTAssertFalse(out.contains("evil"), "fvctl never talked to the impostor")
        XCTAssertEqual(recorded(record), 0, "the impostor received nothing")
    }

    /// A per-user directory someone else made (here under $XDG_RUNTIME_DIR) is refused, with the reason.
    func testAPerUserDirectoryThatIsNotYoursIsRefused() throws {
        let run = dir + "/run"
        try FileManager.default.createDirectory(atPath: run, withIntermediateDirectories: true)
        try nobodysDirectory(run + "/fvd")
        let record = run + "/fvd/record"
        try startImpostor(socket: run + "/fvd/fvd.sock", record: record)
        let out = dir + "/out.png"
        let (status, stdout, err) = try runProgram(try fvctl(), ["pattern", "block1_conv1", "1", "-o", out], env: ["XDG_RUNTIME_DIR": run, "FVD_SOCKET": ""])
        XCTAssertEqual(status, 3, stdout + err)
        XCTAssertTrue(err.contains("refusing \(run)/fvd: it belongs to uid 65534"), err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out), "nothing written on an impostor's word")
        XCTAssertEqual(recorded(record), 0)

        // Ours, but open to others: refused too, with the chmod that fixes it.
        let open = dir + "/run2"
        try FileManager.default.createDirectory(atPath: open + "/fvd", withIntermediateDirectories: true)
        chmod(open + "/fvd", 0o777)
        let (s2, _, e2) = try runProgram(try fvctl(), ["status"], env: ["XDG_RUNTIME_DIR": open, "FVD_SOCKET": ""])
        XCTAssertEqual(s2, 3)
        XCTAssertTrue(e2.contains("chmod 700 \(open)/fvd"), e2)
    }

    /// A socket named outright whose daemon is another user's, in a directory that user controls:
    /// fvctl checks the peer's credentials and refuses before sending anything.
    func testAnotherUsersDaemonIsRefusedByItsCredentials() throws {
        let theirs = dir + "/theirs"
        try nobodysDirectory(theirs, mode: 0o755)
        let record = theirs + "/record"
        try startImpostor(socket: theirs + "/fvd.sock", record: record)
        let out = dir + "/x.png"
        let (status, stdout, err) = try runProgram(try fvctl(), ["pattern", "block1_conv1", "1", "--socket", theirs + "/fvd.sock", "-o", out])
        XCTAssertEqual(status, 3, stdout + err)
        XCTAssertTrue(err.contains("refusing the daemon at \(theirs)/fvd.sock: it runs as uid 65534"), err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out))
        XCTAssertEqual(recorded(record), 0, "not even the request was sent")
    }

    /// A planted `fvd.log` link must not make the daemon fvctl starts append to the link's target.
    func testALogLinkIsNotFollowed() throws {
        let run = dir + "/run"
        try FileManager.default.createDirectory(atPath: run + "/fvd", withIntermediateDirectories: true)
        chmod(run + "/fvd", 0o700)
        let victim = dir + "/victim.txt"
        try "precious\n".write(toFile: victim, atomically: false, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: run + "/fvd/fvd.log", withDestinationPath: victim)
        let (status, out, err) = try runProgram(try fvctl(), ["status"], env: ["XDG_RUNTIME_DIR": run, "FVD_SOCKET": ""])
        XCTAssertEqual(status, 3, out + err)
        XCTAssertTrue(err.contains("refusing to log to \(run)/fvd/fvd.log: it is a symbolic link"), err)
        XCTAssertEqual(try String(contentsOfFile: victim, encoding: .utf8), "precious\n")
    }

    /// The socket-path race (second pass, item 2): a hostile user flips a symlink on the socket's
    /// path, in a world-writable sticky directory, between an impostor's socket and a root-owned
    /// directory. A client that connects by name and then checks the path by name can be made
    /// to talk to the impostor after checking the root-owned directory. Thousands of tries; the
    /// impostor must never receive a request.
    func testAFlippingSymlinkNeverPassesAnImpostorOff() throws {
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else {
            throw XCTSkip("needs root and setpriv to act as the hostile user")
        }
        let work = NSTemporaryDirectory() + "fvd-race-\(UUID().uuidString.prefix(6))"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        chmod(work, 0o755)
        let race = try SocketRace(in: work, seconds: 8)
        var tries = 0, connected = 0, refused = 0
        let deadline = Date().addingTimeInterval(6)
        while Date() < deadline {
            tries += 1
            do {
                let c = try RPCClient(path: race.link)
                try? c.send(line: "{\"secret\": \"a request meant for fvd\"}")
                c.close()
                connected += 1
            } catch is SocketTrust.Refusal {
                refused += 1
            } catch {}
        }
        let report = try race.finish()
        print("socket-path race: \(tries) tries, \(connected) connected to the real socket, \(refused) impostors refused, \(report.flips) flips; the impostor captured \(report.captured) requests")
        XCTAssertGreaterThan(refused, 0, "the race was run: the impostor was reached and refused")
        XCTAssertGreaterThan(connected, 0, "and the real socket too")
        XCTAssertEqual(report.captured, 0, "the impostor never received a request")
    }
}
