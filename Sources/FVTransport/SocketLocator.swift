#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Where fvd's socket is: the system daemon's (systemd socket unit), or a per-user daemon's in a
/// directory only that user can use: `$XDG_RUNTIME_DIR/fvd/`, or without a login session
/// (su, sudo -u, cron, ssh without a login manager) `~/.fvd/`, as gpg-agent keeps `~/.gnupg`.
/// Never a guessable name in /tmp, which another user could create first.
public enum SocketLocator {
    public static let systemSocket = "/run/fvd/fvd.sock"

    /// The per-user daemon's directory (socket and log).
    public static var userDirectory: String {
        let env = ProcessInfo.processInfo.environment
        if let run = env["XDG_RUNTIME_DIR"], !run.isEmpty { return run + "/fvd" }
        return homeDirectory + "/.fvd"
    }

    public static var userSocket: String { userDirectory + "/fvd.sock" }

    /// `$HOME`, else the password database's entry for this user.
    static var homeDirectory: String {
        if let h = ProcessInfo.processInfo.environment["HOME"], !h.isEmpty { return h }
        if let pw = getpwuid(geteuid()), let dir = pw.pointee.pw_dir { return String(cString: dir) }
        return "/"
    }

    /// The sockets a client tries, in order: `--socket`, then `$FVD_SOCKET`, then the system
    /// socket, then the per-user one.
    public static func candidates(explicit: String?) -> [String] {
        if let e = explicit { return [e] }
        if let env = ProcessInfo.processInfo.environment["FVD_SOCKET"], !env.isEmpty { return [env] }
        return [systemSocket, userSocket]
    }

    /// The socket a daemon binds when systemd passes none: the system path for root, else the user's.
    public static var defaultServerSocket: String { getuid() == 0 ? systemSocket : userSocket }
}
