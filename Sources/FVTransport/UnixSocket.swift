#if canImport(Glibc)
import Glibc
#endif

public struct SocketError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public let errno: Int32

    init(_ what: String, _ e: Int32 = Glibc.errno) {
        description = "\(what): \(String(cString: strerror(e)))"
        errno = e
    }

    public init(message: String) {
        description = message
        errno = 0
    }
}

/// A Unix stream socket: a thin typed wrapper over the POSIX calls (each method names the call it
/// makes), retrying EINTR and turning errno into a thrown `SocketError`.
public final class UnixSocket: @unchecked Sendable {
    public let fd: Int32
    private var closed = false

    public init(adopting fd: Int32) { self.fd = fd }

    deinit { if !closed { Glibc.close(fd) } }

    /// `close(2)`, once.
    public func close() {
        if !closed {
            closed = true
            Glibc.close(fd)
        }
    }

    /// `shutdown(2)` both ways: wakes a thread blocked reading this socket.
    public func shutdown() { _ = Glibc.shutdown(fd, Int32(SHUT_RDWR)) }

    static func address(_ path: String) throws -> (sockaddr_un, socklen_t) {
        var addr = sockaddr_un()
        addr.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        let capacity = MemoryLayout.size(ofValue: addr.sun_path)
        guard !bytes.isEmpty, bytes.count < capacity else {
            throw SocketError(message: "socket path \(path) is empty or longer than \(capacity - 1) bytes; choose a shorter path")
        }
        withUnsafeMutableBytes(of: &addr.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        return (addr, socklen_t(MemoryLayout<sockaddr_un>.size))
    }

    static func newStreamSocket() throws -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SocketError("socket") }
        return fd
    }

    /// `connect(2)` to a listening socket at `path`.
    public static func connect(path: String) throws -> UnixSocket {
        var (addr, len) = try address(path)
        let fd = try newStreamSocket()
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, len) } }
        guard rc == 0 else {
            let e = errno
            Glibc.close(fd)
            throw SocketError("cannot connect to \(path)", e)
        }
        return UnixSocket(adopting: fd)
    }

    /// The longest accept queue the system allows (`net.core.somaxconn`; listen(2) caps any larger
    /// value to it): a burst of connects waits there instead of failing with EAGAIN while the
    /// daemon is busy. systemd's sockets get the same by default (Backlog=SOMAXCONN).
    public static let maximumBacklog: Int32 = {
        let fd = Glibc.open("/proc/sys/net/core/somaxconn", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return 4096 }
        defer { Glibc.close(fd) }
        var buf = [UInt8](repeating: 0, count: 16)
        let n = Glibc.read(fd, &buf, buf.count)
        let text = n > 0 ? String(decoding: buf[0..<n].filter { $0 >= 0x30 && $0 <= 0x39 }, as: UTF8.self) : ""
        return Int32(text).flatMap { $0 > 0 ? $0 : nil } ?? 4096
    }()

    /// `bind(2)` + `listen(2)` at `path` with `chmod(2)` to `mode`. A socket file left by a dead
    /// process (connect is refused) is replaced; a live one, or any other kind of file, is an error.
    public static func listen(path: String, mode: mode_t = 0o660, backlog: Int32 = UnixSocket.maximumBacklog) throws -> UnixSocket {
        var st = stat()
        if lstat(path, &st) == 0 {
            guard (st.st_mode & S_IFMT) == S_IFSOCK else {
                throw SocketError(message: "\(path) exists and is not a socket; remove it or choose another --socket path")
            }
            if let live = try? connect(path: path) {
                live.close()
                throw SocketError(message: "another fvd is already listening on \(path); stop it or choose another --socket path")
            }
            unlink(path)  // stale: its daemon is gone
        }
        var (addr, len) = try address(path)
        let fd = try newStreamSocket()
        let s = UnixSocket(adopting: fd)
        let rc = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        guard rc == 0 else { throw SocketError("cannot bind \(path)") }
        guard chmod(path, mode) == 0 else { throw SocketError("cannot chmod \(path)") }
        guard Glibc.listen(fd, backlog) == 0 else { throw SocketError("cannot listen on \(path)") }
        var bound = stat()
        if lstat(path, &bound) == 0 { s.boundFile = (UInt64(bound.st_dev), UInt64(bound.st_ino)) }
        return s
    }

    /// The device and inode of the socket file `listen` created, to remove it later only if it is
    /// still that file (a newer daemon may have bound the same path since).
    public private(set) var boundFile: (device: UInt64, inode: UInt64)?

    /// `unlink(2)` of `path`, only if it is still the socket file this socket bound.
    public func unlinkBoundFile(at path: String) {
        guard let mine = boundFile else { return }
        var st = stat()
        guard lstat(path, &st) == 0, UInt64(st.st_dev) == mine.device, UInt64(st.st_ino) == mine.inode else { return }
        unlink(path)
    }

    /// `accept(2)` then FD_CLOEXEC via `fcntl(2)` (Glibc's module does not export accept4);
    /// nil when interrupted by `shutdown` or a signal.
    public func accept() -> UnixSocket? {
        let c = Glibc.accept(fd, nil, nil)
        guard c >= 0 else { return nil }
        _ = fcntl(c, F_SETFD, FD_CLOEXEC)
        return UnixSocket(adopting: c)
    }

    /// `poll(2)` for readability; false on timeout.
    public func waitReadable(timeoutMs: Int32) -> Bool {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let rc = poll(&p, 1, timeoutMs)
        return rc > 0
    }

    /// `poll(2)` for POLLHUP/POLLERR only: true once the peer has closed its end entirely
    /// (a peer that only shut down writing, like `socat` after its input ends, still reads).
    public func waitHangUp(timeoutMs: Int32) -> Bool {
        var p = pollfd(fd: fd, events: 0, revents: 0)
        return poll(&p, 1, timeoutMs) > 0 && (p.revents & Int16(POLLHUP | POLLERR)) != 0
    }

    /// `read(2)`: bytes read, 0 at end of stream. Retries EINTR.
    public func read(into buf: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            let n = Glibc.read(fd, buf.baseAddress, buf.count)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            throw SocketError("read")
        }
    }

    /// `send(2)` until every byte is written (MSG_NOSIGNAL: a closed peer is an error, not SIGPIPE).
    public func writeAll(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { raw in
            var off = 0
            while off < raw.count {
                let n = send(fd, raw.baseAddress! + off, raw.count - off, Int32(MSG_NOSIGNAL))
                if n < 0 {
                    if errno == EINTR { continue }
                    throw SocketError("send")
                }
                off += n
            }
        }
    }

    /// `setsockopt(SO_RCVTIMEO)`: a read blocked longer than this fails (EAGAIN).
    public func setReceiveTimeout(seconds: Int) {
        var tv = timeval(tv_sec: seconds, tv_usec: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    /// `setsockopt(SO_SNDTIMEO)`: a send blocked longer than this fails.
    public func setSendTimeout(seconds: Int) {
        var tv = timeval(tv_sec: seconds, tv_usec: 0)
        _ = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    /// `getsockopt(SO_PEERCRED)`: the peer process's pid, uid and gid, as the kernel saw them when
    /// it connected (or listened), mapped into this process's user namespace.
    public func peerCredentials() -> (pid: Int32, uid: UInt32, gid: UInt32)? {
        // struct ucred { pid_t pid; uid_t uid; gid_t gid; }
        var cred = (Int32(0), UInt32(0), UInt32(0))
        var len = socklen_t(MemoryLayout.size(ofValue: cred))
        guard getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0 else { return nil }
        return (cred.0, cred.1, cred.2)
    }
}
