#if canImport(Glibc)
import Glibc
#endif
import FVTransport
import Foundation

/// The systemd protocols fvd speaks, without libsystemd: sd_notify(3) (READY=1, STATUS=,
/// STOPPING=1, WATCHDOG=1 as datagrams to $NOTIFY_SOCKET) and sd_listen_fds(3) (an inherited
/// listening socket at fd 3 when $LISTEN_PID is us).
public enum SystemdNotifier {
    /// Sends `state` to the service manager; a no-op when not run by systemd.
    public static func notify(_ state: String) {
        guard let path = ProcessInfo.processInfo.environment["NOTIFY_SOCKET"], !path.isEmpty else { return }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return }
        defer { close(fd) }
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(path.utf8)
        if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }  // abstract namespace
        guard bytes.count < MemoryLayout.size(ofValue: addr.sun_path) else { return }
        withUnsafeMutableBytes(of: &addr.sun_path) { $0.copyBytes(from: bytes) }
        let len = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count)
        let msg = Array(state.utf8)
        _ = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                msg.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL), sa, len) }
            }
        }
    }

    /// The listening socket systemd passed us (socket activation, sd_listen_fds(3) semantics),
    /// or nil when none was passed: `$LISTEN_PID` must be this process and `$LISTEN_FDS` count
    /// the sockets from fd 3 on. fvd.socket passes exactly one Unix stream socket; anything else
    /// is a unit mistake, refused with what was found rather than served on a guess. The
    /// variables are cleared either way, so no child of fvd mistakes them for its own.
    public static func inheritedListenFD() throws -> Int32? {
        let env = ProcessInfo.processInfo.environment
        guard let pidText = env["LISTEN_PID"], let fdsText = env["LISTEN_FDS"] else { return nil }
        unsetenv("LISTEN_PID")
        unsetenv("LISTEN_FDS")
        unsetenv("LISTEN_FDNAMES")
        guard let pid = Int32(pidText), pid == getpid() else { return nil }  // meant for another process
        guard let n = Int(fdsText), n >= 1 else { return nil }
        let fd: Int32 = 3  // SD_LISTEN_FDS_START
        guard n == 1 else {
            throw SocketError(message: "systemd passed \(n) sockets (LISTEN_FDS=\(n)); fvd serves exactly one: give fvd.socket a single ListenStream=")
        }
        if let why = whyNotAListeningUnixStream(fd) {
            throw SocketError(message: "the socket systemd passed (fd 3) \(why); fvd.socket must have ListenStream=/run/fvd/fvd.sock and Accept=no")
        }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        return fd
    }

    /// What is wrong with `fd` as fvd's listener, or nil when it is a listening Unix stream socket.
    static func whyNotAListeningUnixStream(_ fd: Int32) -> String? {
        func option(_ name: Int32) -> Int32? {
            var value: Int32 = 0
            var len = socklen_t(MemoryLayout<Int32>.size)
            return getsockopt(fd, SOL_SOCKET, name, &value, &len) == 0 ? value : nil
        }
        guard let domain = option(SO_DOMAIN) else { return "is not a socket (\(String(cString: strerror(errno))))" }
        if domain != AF_UNIX { return "is not a Unix socket (address family \(domain))" }
        if option(SO_TYPE) != Int32(SOCK_STREAM.rawValue) { return "is not a stream socket" }
        if option(SO_ACCEPTCONN) != 1 { return "is not listening (Accept=yes passes connections, not the listener)" }
        return nil
    }

    /// Half the watchdog interval systemd asked for, or nil when there is no watchdog.
    public static func watchdogInterval() -> TimeInterval? {
        let env = ProcessInfo.processInfo.environment
        guard let usec = env["WATCHDOG_USEC"].flatMap(Double.init), usec > 0 else { return nil }
        if let pid = env["WATCHDOG_PID"].flatMap(Int32.init), pid != getpid() { return nil }
        return usec / 1_000_000 / 2
    }
}
