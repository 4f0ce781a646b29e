import FVProtocol
import FVTransport
import Foundation

/// What a connection holds a client to.
struct ConnectionLimits: Sendable {
    var maxLineBytes: Int
    var lineDeadline: Double
    var idleTimeout: Double
    var maxOutboxBytes: Int
    var slowReaderTimeout: Double
}

/// Who a connection hands its lines to, and tells when it closes.
protocol ConnectionHandler: AnyObject {
    /// One complete line from the client (called on the connection's reading thread, in order).
    func handle(line: [UInt8], from connection: Connection)
    /// The connection closed for `reason`; `jobs` are its jobs not yet answered.
    func connectionClosed(_ connection: Connection, unfinished jobs: [Job], reason: StopReason)
}

/// One client connection: a thread that reads and frames lines, hands each to its handler, and
/// an `Outbox` that writes replies. When the client goes away its jobs are cancelled.
final class Connection: @unchecked Sendable {
    let id: Int
    let socket: UnixSocket
    let uid: UInt32
    let limits: ConnectionLimits
    private(set) var outbox: Outbox!
    private weak var handler: ConnectionHandler?
    private let lock = NSLock()
    private var jobs: [Job] = []
    private var closed = false
    /// When the last request line arrived (or the connection opened); read by the reader thread only.
    private var lastActivity = Date()

    init(id: Int, socket: UnixSocket, uid: UInt32, limits: ConnectionLimits, handler: ConnectionHandler) {
        self.id = id
        self.socket = socket
        self.uid = uid
        self.limits = limits
        self.handler = handler
        socket.setSendTimeout(seconds: 60)
        outbox = Outbox(socket: socket) { [weak self] in self?.close(reason: .clientStoppedReading) }
    }

    func start() {
        let t = Thread { [self] in readLoop() }
        t.name = "fvd-conn-\(id)"
        t.start()
    }

    func send(_ message: JSON, progressKey: Int? = nil) {
        outbox.send(JSONCodec.serialize(message), progressKey: progressKey)
    }

    /// Remembers a job so that it is cancelled if the client goes; call before submitting it, so
    /// that a disconnect in between cannot leave it running for nobody. Returns false (and does
    /// not track) when the connection has closed already.
    func track(_ job: Job) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if closed { return false }
        jobs.removeAll { $0.isCompleted }
        jobs.append(job)
        return true
    }

    /// Forgets a job that could not be submitted.
    func untrack(_ job: Job) {
        lock.lock()
        jobs.removeAll { $0 === job }
        lock.unlock()
    }

    private func readLoop() {
        var framer = LineFramer(maxLine: limits.maxLineBytes)
        var buf = [UInt8](repeating: 0, count: 65536)
        var partialSince: Date?
        var endOfInput = false
        loop: while !isClosed {
            if !socket.waitReadable(timeoutMs: 500) {
                if let t = partialSince, Date().timeIntervalSince(t) > limits.lineDeadline {
                    send(RPCMessage.error(id: .null, RPCError(RPCError.lineTimeout, "no newline within \(Int(limits.lineDeadline)) s; end every message with a newline")))
                    break
                }
                // Idle: nothing started, nothing running, nothing to send, for the whole timeout
                // (a job's run counts as activity). Its slot goes back.
                if partialSince != nil || hasLiveJobs || outbox.pendingBytes > 0 {
                    lastActivity = Date()
                } else if Date().timeIntervalSince(lastActivity) > limits.idleTimeout {
                    send(RPCMessage.error(id: .null, RPCError(RPCError.idleTimeout, "closed after \(Int(limits.idleTimeout)) s without a request; connect again when you need fvd")))
                    break
                }
                continue
            }
            let n: Int
            do { n = try buf.withUnsafeMutableBytes { try socket.read(into: $0) } } catch { break }
            if n == 0 {
                endOfInput = true
                break
            }
            for out in buf.withUnsafeBytes({ framer.feed(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }) {
                switch out {
                case .line(let line):
                    // Backpressure: while this client's answers pile up unread, take no more of
                    // its requests (it blocks in its own writes); close it if it stays behind.
                    let cap = limits.maxOutboxBytes
                    if outbox.pendingBytes > cap && !outbox.waitForRoom(limit: cap, timeout: limits.slowReaderTimeout) {
                        Log.warning("uid=\(uid) closed: more than \(cap) bytes of answers unread for \(Int(limits.slowReaderTimeout)) s")
                        break loop
                    }
                    lastActivity = Date()
                    handler?.handle(line: line, from: self)
                case .tooLong:
                    send(RPCMessage.error(id: .null, RPCError(RPCError.lineTooLong, "message longer than \(limits.maxLineBytes) bytes; send smaller messages (one per line)")))
                    break loop
                }
            }
            if framer.pendingCount == 0 {
                partialSince = nil
            } else if partialSince == nil {
                partialSince = Date()
            }
        }
        if endOfInput { awaitAnswersAfterHalfClose() }
        close(reason: .clientDisconnected)
    }

    /// The client stopped sending (end of input) but may still be reading, as `socat` and
    /// `nc -N` do: finish its jobs and deliver the answers, unless it hangs up entirely.
    private func awaitAnswersAfterHalfClose() {
        while !isClosed {
            if !hasLiveJobs && outbox.pending == 0 { return }
            if socket.waitHangUp(timeoutMs: 100) { return }
        }
    }

    /// Whether any job of this connection is still queued or running.
    var hasLiveJobs: Bool {
        lock.lock()
        defer { lock.unlock() }
        jobs.removeAll { $0.isCompleted }
        return !jobs.isEmpty
    }

    var isClosed: Bool {
        lock.lock()
        defer { lock.unlock() }
        return closed
    }

    /// Cancels this connection's jobs, lets the outbox flush, and releases the socket.
    func close(reason: StopReason) {
        lock.lock()
        if closed {
            lock.unlock()
            return
        }
        closed = true
        let mine = jobs
        jobs.removeAll()
        lock.unlock()
        handler?.connectionClosed(self, unfinished: mine.filter { !$0.isCompleted }, reason: reason)
        outbox.closeAndFlush(timeout: 2)
        socket.shutdown()
    }
}
