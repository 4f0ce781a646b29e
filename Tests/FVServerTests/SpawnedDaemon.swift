import FVProtocol
import FVTransport
import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// The real `fvd` binary in a child process, serving a socket in its own temporary directory
/// (mode 0755, socket 0666, so other uids can connect): for what only a separate process shows
/// (its memory, its exit, signals).
final class SpawnedDaemon {
    let dir: String
    let socketPath: String
    let process = Process()
    /// Its log (stderr) goes to a file: a pipe nobody reads would fill and stall the daemon.
    let logPath: String

    /// - Parameter launcher: a command that runs fvd, as `taskset -c 0` does (its path first), or
    ///   none to run fvd itself.
    init(_ extra: [String] = [], cache: Bool = false, launcher: [String] = []) throws {
        guard let fvd = builtBinary("fvd") else { throw XCTSkip("fvd is not built") }
        dir = NSTemporaryDirectory() + "fvd-spawn-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        chmod(dir, 0o755)
        socketPath = dir + "/fvd.sock"
        process.executableURL = URL(fileURLWithPath: launcher.first ?? fvd)
        process.arguments = (launcher.isEmpty ? [] : launcher.dropFirst() + [fvd]) + ["serve", "--socket", socketPath, "--socket-mode", "666"]
            + (cache ? ["--cache-dir", dir + "/cache"] : ["--no-cache"]) + extra
        logPath = dir + "/fvd.log"
        FileManager.default.createFile(atPath: logPath, contents: nil)
        process.standardError = FileHandle(forWritingAtPath: logPath)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if let c = try? RPCClient(path: socketPath) {
                c.close()
                usleep(100_000)
                return
            }
            usleep(20_000)
        }
        stop()
        throw XCTSkip("fvd did not start")
    }

    var pid: Int32 { process.processIdentifier }

    /// The daemon's resident set, MiB (VmRSS).
    func rssMiB() -> Double { statusMiB("VmRSS:") }

    /// The most the daemon's resident set has been, MiB (VmHWM): catches peaks between samples.
    func peakRSSMiB() -> Double { statusMiB("VmHWM:") }

    private func statusMiB(_ field: String) -> Double {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix(field) }),
              let kb = Double(line.split(separator: " ", omittingEmptySubsequences: true)[1]) else { return -1 }
        return kb / 1024
    }

    /// CPU seconds the daemon has used so far, all threads (utime + stime of /proc/PID/stat).
    func cpuSeconds() -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return -1 }
        // Fields after the command name, which may hold spaces: state is field 3, utime 14, stime 15.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return -1 }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    func client() throws -> RPCClient {
        let c = try RPCClient(path: socketPath)
        c.socket.setReceiveTimeout(seconds: 60)
        return c
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: dir)
    }

    /// Everything the daemon logged so far.
    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }
}

/// Runs `args` as `uid` (setpriv, groups cleared).
func runAs(_ uid: Int, _ program: String, _ args: [String]) throws -> (Int32, String, String) {
    try runProgram("/usr/bin/setpriv", ["--reuid=\(uid)", "--regid=\(uid)", "--clear-groups", program] + args)
}

/// Whether this test process can act as other users.
var canSwitchUsers: Bool { getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") }
