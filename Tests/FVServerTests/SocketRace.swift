import FVTransport
import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// The socket-path race, set up for a client to run into: a world-writable sticky directory
/// (`base`, like /tmp) where uid 65534 flips the link `base/link` between its impostor's
/// directory and `good`, a root-owned directory with a real socket (root's, accepting and
/// closing). `Tests/FVServerTests/Python/impostor.py` is the hostile side; it counts the request
/// lines the impostor receives, reported by `finish()`.
final class SocketRace {
    let base: String
    let good: String
    let link: String
    private let real: UnixSocket
    private let flipper = Process()
    private let captured: String

    init(in work: String, seconds: Int) throws {
        base = work + "/race"
        good = work + "/good"
        link = base + "/link/fvd.sock"
        captured = base + "/captured"
        for d in [base, good] { try FileManager.default.createDirectory(atPath: d, withIntermediateDirectories: true) }
        chmod(base, 0o1777)
        chmod(good, 0o755)
        real = try UnixSocket.listen(path: good + "/fvd.sock", mode: 0o666)
        let real = self.real
        Thread { while let c = real.accept() { c.close() } }.start()
        flipper.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        flipper.arguments = ["--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/env", "python3",
                             repoRoot + "/Tests/FVServerTests/Python/impostor.py", base, good, "\(seconds)", captured]
        try flipper.run()
        usleep(500_000)
    }

    /// Waits for the flipper to end; (requests the impostor received, flips made).
    func finish() throws -> (captured: Int, flips: Int) {
        flipper.waitUntilExit()
        real.close()
        let report = try String(contentsOfFile: captured, encoding: .utf8).split(separator: " ")
            .compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        return (report[0], report[1])
    }
}
