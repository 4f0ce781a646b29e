import FVProtocol
import FVTransport
import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// The Python client as careful as fvctl (second pass, item 2): it trusts a daemon only by
/// fvctl's rules (an impostor of a second real uid is refused), checks and connects in one act
/// (the flipping-symlink race never hands a request to the impostor), and starts a per-user
/// daemon when none answers.
final class PythonTrustTests: XCTestCase {
    func testThePythonClientTrustsConnectsAndStartsAsFvctlDoes() throws {
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") else {
            throw XCTSkip("needs root and setpriv to act as the hostile user")
        }
        guard let fvd = builtBinary("fvd") else { throw XCTSkip("fvd is not built") }
        let work = NSTemporaryDirectory() + "fvd-pytrust-\(UUID().uuidString.prefix(6))"
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }
        chmod(work, 0o755)
        // An impostor of uid 65534 in its own directory.
        let theirs = work + "/theirs"
        try FileManager.default.createDirectory(atPath: theirs, withIntermediateDirectories: true)
        chown(theirs, 65534, 65534)
        let impostorSocket = theirs + "/fvd.sock"
        let impostor = Process()
        impostor.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        impostor.arguments = ["--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/env", "python3", "-c",
                              "import socket,time;s=socket.socket(socket.AF_UNIX);s.bind('\(impostorSocket)');s.listen(64);time.sleep(60)"]
        try impostor.run()
        defer { impostor.terminate() }
        let race = try SocketRace(in: work, seconds: 7)
        let runtime = work + "/runtime"
        try FileManager.default.createDirectory(atPath: runtime, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let (s, out, err) = try runProgram("/usr/bin/env", ["python3", repoRoot + "/Tests/FVServerTests/Python/check_trust.py",
                                                            impostorSocket, race.base, race.good, "5", fvd, runtime],
                                           env: ["PYTHONPATH": repoRoot + "/clients/python"])
        let report = try race.finish()
        XCTAssertEqual(s, 0, err)
        let j = try JSONCodec.parse(out.trimmingCharacters(in: .whitespacesAndNewlines))
        XCTAssertTrue(j["impostor"]?.stringValue?.contains("runs as uid 65534") ?? false, "\(j["impostor"] ?? .null)")
        XCTAssertTrue(j["impostor"]?.stringValue?.contains("belongs to uid 65534") ?? false, "\(j["impostor"] ?? .null)")
        let tries = try XCTUnwrap(j["race"]?.arrayValue?.compactMap(\.intValue))
        print("python socket-path race: tries, connected, refused = \(tries); the impostor captured \(report.captured) requests in \(report.flips) flips")
        XCTAssertGreaterThan(tries[2], 0, "the impostor was reached and refused")
        XCTAssertEqual(report.captured, 0, "the impostor never received a request")
        XCTAssertEqual(j["started"], [.string(runtime + "/fvd/fvd.sock"), true], "a per-user daemon was started and answered")
        XCTAssertTrue(j["no_binary"]?.stringValue?.contains("no fvd binary was found") ?? false, "\(j["no_binary"] ?? .null)")
    }
}
