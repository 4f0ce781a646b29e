import FVTransport
import Foundation

/// What a connection still has to send, written by its own thread so that a client that reads
/// slowly never blocks a job or another client. Responses are never dropped; progress
/// notifications are, when the client falls behind (only the newest per job is kept). The bytes
/// waiting are counted (`pendingBytes`) so the connection can stop reading requests while its
/// client is behind (`waitForRoom`): a client that pipelines requests and reads slowly then
/// blocks in its own writes instead of growing the daemon.
final class Outbox: @unchecked Sendable {
    private let socket: UnixSocket
    private let lock = NSCondition()
    private var queue: [(line: [UInt8], progressKey: Int?)] = []
    private var closed = false
    private var writing = false
    private var finished = false
    private var queuedBytes = 0
    private let onFailure: () -> Void
    /// Progress lines beyond this many queued messages replace older ones instead of queueing.
    static let progressBacklog = 8

    init(socket: UnixSocket, onFailure: @escaping () -> Void) {
        self.socket = socket
        self.onFailure = onFailure
        let t = Thread { [weak self] in self?.drain() }
        t.name = "fvd-writer"
        t.start()
    }

    /// Queues a message; `progressKey` marks a droppable progress notification for that job.
    func send(_ line: String, progressKey: Int? = nil) {
        let bytes = Array((line + "\n").utf8)
        lock.lock()
        defer { lock.unlock() }
        if closed { return }
        if let key = progressKey, queue.count >= Outbox.progressBacklog {
            if let i = queue.lastIndex(where: { $0.progressKey == key }) {
                queuedBytes += bytes.count - queue[i].line.count
                queue[i].line = bytes
            }
            return  // behind: keep at most one pending progress line per job
        }
        queue.append((bytes, progressKey))
        queuedBytes += bytes.count
        lock.broadcast()
    }

    /// Bytes queued or being written.
    var pendingBytes: Int {
        lock.lock()
        defer { lock.unlock() }
        return queuedBytes
    }

    /// Waits until at most `limit` bytes are pending (true), the outbox closes, or `timeout`
    /// seconds pass (false).
    func waitForRoom(limit: Int, timeout: Double) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        lock.lock()
        defer { lock.unlock() }
        while queuedBytes > limit && !closed {
            if !lock.wait(until: deadline) { return queuedBytes <= limit || closed }
        }
        return true
    }

    var pending: Int {
        lock.lock()
        defer { lock.unlock() }
        return queue.count + (writing ? 1 : 0)
    }

    /// Closes, then waits (at most `timeout` seconds) until everything queued has been written.
    func closeAndFlush(timeout: Double) {
        close()
        let deadline = Date().addingTimeInterval(timeout)
        lock.lock()
        while !finished && lock.wait(until: deadline) {}
        lock.unlock()
    }

    /// Stops after what is queued has been written (or the peer has gone).
    func close() {
        lock.lock()
        closed = true
        lock.broadcast()
        lock.unlock()
    }

    private func drain() {
        while true {
            lock.lock()
            while queue.isEmpty && !closed { lock.wait() }
            if queue.isEmpty && closed {
                finished = true
                lock.broadcast()
                lock.unlock()
                return
            }
            let next = queue.removeFirst()
            writing = true
            lock.unlock()
            do {
                try socket.writeAll(next.line)
                lock.lock()
                writing = false
                queuedBytes -= next.line.count
                lock.broadcast()
                lock.unlock()
            } catch {
                lock.lock()
                queue.removeAll()
                queuedBytes = 0
                closed = true
                writing = false
                finished = true
                lock.broadcast()
                lock.unlock()
                onFailure()
                return
            }
        }
    }
}
