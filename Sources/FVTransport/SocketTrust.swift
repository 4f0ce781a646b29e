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
///
/// Checking and connecting are one act: the socket's directory is resolved once (realpath), walked
/// from `/` with `O_PATH | O_NOFOLLOW` descriptors whose `fstat` is what the check reads, and the
/// connect goes through the last one (`/proc/self/fd/N/NAME`). Checking the path by name after
/// connecting by name let a symlink that flips between the two (in a world-writable directory)
/// pass an impostor's socket off as one in a root-owned directory.
public enum SocketTrust {
    public struct Refusal: Error, CustomStringConvertible, Equatable {
        public let description: String
    }

    /// Connects to the socket at `path` and, unless `verifyPeer` is false, checks the process
    /// behind it. Throws `SocketError` when nothing can be reached there, `Refusal` when what
    /// answers cannot be trusted.
    public static func connect(path: String, verifyPeer: Bool = true) throws -> UnixSocket {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        let name = (absolute as NSString).lastPathComponent
        let dir = (absolute as NSString).deletingLastPathComponent
        guard let real = realpath(dir.isEmpty ? "/" : dir, nil) else { throw SocketError("cannot connect to \(path)") }
        let resolved = String(cString: real)
        free(real)
        let walk = try DirectoryWalk(resolved)
        defer { walk.close() }
        let socket: UnixSocket
        do {
            socket = try UnixSocket.connect(path: walk.viaProc.map { $0 + "/" + name } ?? (resolved + "/" + name))
        } catch let e as SocketError {
            throw SocketError("cannot connect to \(path)", e.errno)
        }
        guard verifyPeer else { return socket }
        do {
            try verify(socket, path: path, whyUntrusted: walk.whyUntrusted)
        } catch {
            socket.close()
            throw error
        }
        return socket
    }

    static func verify(_ socket: UnixSocket, path: String, whyUntrusted: String?) throws {
        guard let peer = socket.peerCredentials() else {
            throw Refusal(description: "cannot read the credentials of the process behind \(path); refusing to talk to it")
        }
        if peer.uid == geteuid() { return }
        if let why = whyUntrusted {
            throw Refusal(description: "refusing the daemon at \(path): it runs as uid \(peer.uid), not you (uid \(geteuid())), and \(why), so anyone could have put it there. Use your own daemon (drop --socket and $FVD_SOCKET) or ask the administrator to fix the directory")
        }
    }

    /// The directories from `/` to a resolved directory, each opened `O_PATH | O_NOFOLLOW` from
    /// its parent's descriptor (a symbolic link swapped in meanwhile fails the walk instead of
    /// being followed), with why one of them could let someone else place a socket.
    final class DirectoryWalk {
        /// Linux's O_PATH (octal 010000000), which Swift's Glibc module hides without _GNU_SOURCE.
        static let openPath: Int32 = 0o10000000
        private var fds: [Int32] = []
        private(set) var whyUntrusted: String?

        init(_ resolved: String) throws {
            let parts = resolved.split(separator: "/").map(String.init)
            var here = "/"
            var fd = open("/", DirectoryWalk.openPath | O_DIRECTORY | O_CLOEXEC)
            guard fd >= 0 else { throw SocketError("cannot open /") }
            fds.append(fd)
            inspect(fd, here, last: parts.isEmpty)
            for (i, part) in parts.enumerated() {
                fd = openat(fd, part, DirectoryWalk.openPath | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                here = here == "/" ? "/" + part : here + "/" + part
                guard fd >= 0 else {
                    let e = errno
                    close()
                    throw SocketError("cannot connect to a socket in \(resolved): \(here) changed while it was checked", e)
                }
                fds.append(fd)
                inspect(fd, here, last: i == parts.count - 1)
            }
        }

        /// The last directory as a path through this process's descriptor, where /proc is there.
        var viaProc: String? {
            guard let last = fds.last, access("/proc/self/fd", F_OK) == 0 else { return nil }
            return "/proc/self/fd/\(last)"
        }

        private func inspect(_ fd: Int32, _ path: String, last: Bool) {
            guard whyUntrusted == nil else { return }
            var st = stat()
            guard fstat(fd, &st) == 0 else {
                whyUntrusted = "\(path) cannot be inspected"
                return
            }
            if st.st_uid != 0 && st.st_uid != geteuid() {
                whyUntrusted = "\(path) belongs to uid \(st.st_uid)"
            } else if st.st_mode & 0o022 != 0 && (last || st.st_mode & S_ISVTX == 0) {
                whyUntrusted = "\(path) is writable by others (mode \(String(st.st_mode & 0o7777, radix: 8)))"
            }
        }

        func close() {
            for fd in fds { Glibc.close(fd) }
            fds = []
        }
    }
}
