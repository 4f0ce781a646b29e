#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Whether the process behind a socket may be trusted to be fvd, decided on every connection a
/// client makes (fvctl sends images and writes files on the daemon's word):
/// - a daemon of the same user (`SO_PEERCRED`) is trusted: the per-user daemon;
/// - any other daemon only when no one but root could have put the socket there: every directory
///   from `/` to the socket is owned by root (or this user) and not writable by group or others
///   (an ancestor with the sticky bit, like /tmp, is allowed; the socket's own directory is not).
///   That is the system daemon's `/run/fvd`, made by systemd.
public enum SocketTrust {
    public struct Refusal: Error, CustomStringConvertible, Equatable {
        public let description: String
    }

    public static func verify(_ socket: UnixSocket, path: String) throws {
        guard let peer = socket.peerCredentials() else {
            throw Refusal(description: "cannot read the credentials of the process behind \(path); refusing to talk to it")
        }
        if peer.uid == geteuid() { return }
        if let why = writableByOthers(socketPath: path) {
            throw Refusal(description: "refusing the daemon at \(path): it runs as uid \(peer.uid), not you (uid \(geteuid())), and \(why), so anyone could have put it there. Use your own daemon (drop --socket and $FVD_SOCKET) or ask the administrator to fix the directory")
        }
    }

    /// Why a socket at `path` could have been placed by someone other than root or this user,
    /// or nil when it could not.
    static func writableByOthers(socketPath path: String) -> String? {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        var dir = (absolute as NSString).deletingLastPathComponent
        var first = true
        while true {
            var st = stat()
            guard stat(dir, &st) == 0 else { return "its directory \(dir) cannot be inspected" }
            let trustedOwner = st.st_uid == 0 || st.st_uid == geteuid()
            if !trustedOwner { return "\(dir) belongs to uid \(st.st_uid)" }
            let sticky = st.st_mode & S_ISVTX != 0
            if st.st_mode & 0o022 != 0 && (first || !sticky) {
                return "\(dir) is writable by others (mode \(String(st.st_mode & 0o7777, radix: 8)))"
            }
            if dir == "/" || dir.isEmpty { return nil }
            dir = (dir as NSString).deletingLastPathComponent
            first = false
        }
    }
}
