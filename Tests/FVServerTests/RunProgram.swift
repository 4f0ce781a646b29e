import CSpawn
import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// Runs a program to its end, returning (exit status, stdout, stderr); a signal's death gives the
/// signal's number, as Foundation's `Process` does.
///
/// Not `Process`: on Linux it learns that a child has exited from a socket the child inherits,
/// so when the child starts a daemon that keeps its descriptors (munged, started by
/// scripts/slurm-local.sh), `waitUntilExit` never returns (swift-corelibs-foundation #4795).
/// That hung CI for its whole 90 minutes. Here the child gets stdin from /dev/null, two pipes,
/// and nothing else (posix_spawn's closefrom), is reaped with waitpid, and past `timeout`
/// seconds it is killed and the test fails saying so.
func runProgram(_ path: String, _ args: [String], cwd: String? = nil, env: [String: String] = [:],
                timeout: TimeInterval = 600) throws -> (Int32, String, String) {
    var environment = ProcessInfo.processInfo.environment
    for (k, v) in env { environment[k] = v }
    var out: [Int32] = [0, 0], err: [Int32] = [0, 0]
    guard pipe(&out) == 0, pipe(&err) == 0 else { throw POSIXError(.EMFILE) }
    for fd in out + err { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }  // not into children spawned meanwhile
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_adddup2(&actions, out[1], 1)
    posix_spawn_file_actions_adddup2(&actions, err[1], 2)
    fvd_spawn_close_from(&actions, 3)
    if let cwd { fvd_spawn_chdir(&actions, cwd) }
    let argv = ([path] + args).map { strdup($0) } + [nil]
    let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer { (argv + envp).forEach { free($0) } }
    var pid = pid_t()
    let rc = posix_spawn(&pid, path, &actions, nil, argv, envp)
    close(out[1])
    close(err[1])
    defer {
        close(out[0])
        close(err[0])
    }
    guard rc == 0 else { throw NSError(domain: NSPOSIXErrorDomain, code: Int(rc), userInfo: [NSLocalizedDescriptionKey: "cannot start \(path)"]) }

    var collected: [[UInt8]] = [[], []]
    var open = [true, true]
    var status: Int32 = 0, exited = false, exitTime = Date.distantFuture
    let deadline = Date().addingTimeInterval(timeout)
    // Read both pipes until they close; once the child is gone, a descendant that kept them
    // gets two seconds more, not forever.
    while open.contains(true) && Date() < deadline && Date() < exitTime.addingTimeInterval(2) {
        var fds = [pollfd(fd: out[0], events: Int16(POLLIN), revents: 0), pollfd(fd: err[0], events: Int16(POLLIN), revents: 0)]
        for i in 0..<2 where !open[i] { fds[i].fd = -1 }
        _ = poll(&fds, 2, 100)
        for i in 0..<2 where open[i] && fds[i].revents != 0 {
            var buffer = [UInt8](repeating: 0, count: 65536)
            let n = read(fds[i].fd, &buffer, buffer.count)
            if n > 0 { collected[i] += buffer[0..<n] } else if n == 0 || errno != EINTR { open[i] = false }
        }
        if !exited && waitpid(pid, &status, WNOHANG) == pid {
            exited = true
            exitTime = Date()
        }
    }
    var killed = false
    while !exited {
        if waitpid(pid, &status, WNOHANG) == pid {
            exited = true
        } else if Date() >= deadline {
            kill(pid, SIGKILL)
            killed = true
            while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
            exited = true
        } else {
            usleep(10_000)
        }
    }
    let text = collected.map { String(decoding: $0, as: UTF8.self) }
    if killed || open.contains(true) && Date() >= deadline {
        XCTFail("\(path) \(args.joined(separator: " ")) did not finish within \(Int(timeout)) s and was killed; it printed:\n\(text[0])\(text[1])")
    }
    let exitCode = (status & 0x7f) == 0 ? (status >> 8) & 0xff : status & 0x7f
    return (exitCode, text[0], text[1])
}
