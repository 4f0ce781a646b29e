#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Where fvd's socket is: the system daemon's (systemd socket unit), or a per-user daemon's under
/// `$XDG_RUNTIME_DIR` (or `/tmp/fvd-UID` without one).
public enum SocketLocator {
    public static let systemSocket = "/run/fvd/fvd.sock"

    public static var userSocket: String {
        if let run = ProcessInfo.processInfo.environment["XDG_RUNTIME_DIR"], !run.isEmpty {
            return run + "/fvd/fvd.sock"
        }
        return "/tmp/fvd-\(getuid())/fvd.sock"
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
