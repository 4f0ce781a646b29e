#if canImport(Glibc)
import Glibc
#endif
import CSpawn
import FVTransport
import Foundation

/// Starts a per-user fvd in the background, as gpg-agent or a build server does: in its own
/// session (so Ctrl-C in this terminal does not reach it), logging next to its socket.
enum DaemonLauncher {
    static func startUserDaemon() throws -> RPCClient {
        let path = SocketLocator.userSocket
        let dir = SocketLocator.userDirectory
        do { try PrivateDirectory.ensure(dir) } catch let e as PrivateDirectory.Refusal {
            throw Failure(Exit.noDaemon, e.description)
        }
        guard let fvd = findDaemonBinary() else {
            throw Failure(Exit.noDaemon, "no fvd answers and no fvd binary was found next to fvctl or on PATH; run scripts/setup.sh")
        }
        let log = dir + "/fvd.log"
        let logFD = try openLog(log)
        defer { close(logFD) }
        printError("fvctl: no fvd running; starting one for you (\(fvd) serve --socket \(path), log \(log))")
        let args = [fvd, "serve", "--socket", path, "--socket-mode", "600", "--idle-exit", "1800"]
        var pid = pid_t()
        var attr = posix_spawnattr_t()
        posix_spawnattr_init(&attr)
        posix_spawnattr_setflags(&attr, posixSpawnSetsid)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, logFD, 1)
        posix_spawn_file_actions_adddup2(&actions, logFD, 2)
        // Nothing else of fvctl's caller: a daemon holding, say, the pipe of a `$(fvctl ...)` or
        // the socket Foundation's Process watches would keep that caller waiting for its life.
        fvd_spawn_close_from(&actions, 3)
        let cargs = args.map { strdup($0) } + [nil]
        defer { cargs.forEach { free($0) } }
        let rc = posix_spawn(&pid, fvd, &actions, &attr, cargs, environ)
        posix_spawn_file_actions_destroy(&actions)
        posix_spawnattr_destroy(&attr)
        guard rc == 0 else { throw Failure(Exit.noDaemon, "could not start \(fvd): \(String(cString: strerror(rc)))") }
        // Wait until it has loaded the weights and listens (or has died).
        let deadline = Date().addingTimeInterval(120)
        while Date() < deadline {
            if let c = try? RPCClient(path: path) { return c }
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                let tail = (try? String(contentsOfFile: log, encoding: .utf8))?.split(separator: "\n").suffix(3).joined(separator: "\n") ?? ""
                throw Failure(Exit.noDaemon, "the fvd it started exited at once; its log \(log) ends:\n\(tail)")
            }
            usleep(50_000)
        }
        throw Failure(Exit.noDaemon, "the fvd it started did not answer within 120 s; see \(log)")
    }

    /// Opens the daemon's log for appending without following a symbolic link (`O_NOFOLLOW`), and
    /// only if it is a regular file of this user's: a link planted there would otherwise make the
    /// daemon append to any file this user can write.
    static func openLog(_ log: String) throws -> Int32 {
        let fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0o600)
        guard fd >= 0 else {
            let e = errno
            let why = e == ELOOP ? "it is a symbolic link" : String(cString: strerror(e))
            throw Failure(Exit.noDaemon, "refusing to log to \(log): \(why); remove it and try again")
        }
        var st = stat()
        guard fstat(fd, &st) == 0, (st.st_mode & S_IFMT) == S_IFREG, st.st_uid == geteuid() else {
            close(fd)
            throw Failure(Exit.noDaemon, "refusing to log to \(log): it is not a regular file of yours; remove it and try again")
        }
        _ = fcntl(fd, F_SETFL, O_WRONLY | O_APPEND)  // blocking again (O_NONBLOCK only kept a FIFO from hanging open)
        return fd
    }

    /// glibc's POSIX_SPAWN_SETSID (0x80, since glibc 2.26), which its Swift module does not export.
    static let posixSpawnSetsid: Int16 = 0x80

    /// fvd next to this fvctl (the build folder, or an install prefix), else on PATH.
    static func findDaemonBinary() -> String? {
        var buf = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buf, buf.count - 1)
        if n > 0 {
            let me = String(decoding: buf[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            let sibling = (me as NSString).deletingLastPathComponent + "/fvd"
            if access(sibling, X_OK) == 0 { return sibling }
        }
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let p = "\(dir)/fvd"
            if access(p, X_OK) == 0 { return p }
        }
        return nil
    }
}
