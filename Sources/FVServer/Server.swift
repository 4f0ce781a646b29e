import CMemory
import FVImage
import FVModel
import FVOptim
import FVProtocol
import FVTransport
import Foundation

/// The daemon: resident weights and engine, the listening socket, connections, the scheduler
/// and the result cache. `run()` serves until `stop(reason:)`.
public final class Server: @unchecked Sendable {
    public static let version = "0.1.0"

    let config: ServerConfig
    let weights: MappedWeights
    let network: VGG16Network
    let scheduler: Scheduler
    let cache: ResultCache
    let started = Date()
    private let lock = NSLock()
    private var connections: [Int: Connection] = [:]
    private var nextConnectionID = 1
    private var nextJobID = 1
    private var stopping = false
    private var listener: UnixSocket?
    private var boundPath: String?

    /// Loads and verifies the weights and prepares the kernels; throws a `WeightsError` that says
    /// what to do when the weights are missing or damaged.
    public init(config: ServerConfig) throws {
        self.config = config
        fvd_limit_allocator_arenas(Int32(2 * max(1, config.concurrentJobs)))
        SystemdNotifier.notify("STATUS=loading weights from \(config.weightsPath)")
        weights = try MappedWeights(path: config.weightsPath)
        network = VGG16Network(weights: weights, backend: .simd)
        scheduler = Scheduler(config: config, engine: GradientAscent(network: network))
        cache = ResultCache(directory: config.cacheDirectory, maxBytes: config.cacheMaxBytes)
    }

    /// Binds (or adopts systemd's socket), serves until stopped, then drains and returns.
    public func run() throws {
        let sock: UnixSocket
        if let fd = SystemdNotifier.inheritedListenFD() {
            sock = UnixSocket(adopting: fd)
            Log.info("listening on the socket systemd passed (fd \(fd))")
        } else {
            let dir = (config.socketPath as NSString).deletingLastPathComponent
            if !dir.isEmpty { try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755]) }
            sock = try UnixSocket.listen(path: config.socketPath, mode: mode_t(config.socketMode))
            boundPath = config.socketPath
            Log.info("listening on \(config.socketPath)")
        }
        lock.lock()
        listener = sock
        lock.unlock()
        scheduler.start()
        let ready = "weights \(weights.checksumHex), \(network.transformedBytes >> 20) MiB of transformed weights resident"
        Log.info("fvd \(Server.version) ready: \(ready)")
        SystemdNotifier.notify("READY=1\nSTATUS=ready: \(ready)")
        startWatchdog()

        var lastBusy = Date()
        while !isStopping {
            let s = scheduler.snapshot
            if connectionCount > 0 || s.queued + s.running > 0 { lastBusy = Date() }
            if let idle = config.idleExit, Date().timeIntervalSince(lastBusy) > idle {
                stop(reason: "idle for \(Int(idle)) s")
                break
            }
            guard sock.waitReadable(timeoutMs: 250) else { continue }
            guard let c = sock.accept() else { continue }
            admit(c)
        }
        drain()
    }

    var isStopping: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopping
    }

    /// Stops accepting, cancels jobs (their clients are told why) and makes `run()` return.
    public func stop(reason: String) {
        lock.lock()
        let first = !stopping
        stopping = true
        lock.unlock()
        if first {
            Log.info("stopping: \(reason)")
            SystemdNotifier.notify("STOPPING=1\nSTATUS=stopping: \(reason)")
        }
    }

    private func drain() {
        scheduler.shutdown(reason: "daemon shutting down")
        lock.lock()
        let open = Array(connections.values)
        listener?.close()
        lock.unlock()
        if let p = boundPath { unlink(p) }
        // Give the writers a moment to deliver the shutdown errors, then close everything.
        let deadline = Date().addingTimeInterval(2)
        while Date() < deadline && open.contains(where: { $0.outbox.pending > 0 }) { Thread.sleep(forTimeInterval: 0.02) }
        for c in open { c.close(reason: "daemon shutting down") }
        Log.info("stopped")
    }

    private func admit(_ socket: UnixSocket) {
        let uid = socket.peerUID() ?? UInt32.max
        lock.lock()
        if connections.count >= config.maxConnections {
            lock.unlock()
            Log.warning("uid=\(uid) refused: \(config.maxConnections) connections open")
            let e = RPCMessage.error(id: .null, RPCError(RPCError.tooManyConnections, "fvd has \(config.maxConnections) connections open, its limit; try again shortly"))
            try? socket.writeAll(Array((JSONCodec.serialize(e) + "\n").utf8))
            socket.close()
            return
        }
        let id = nextConnectionID
        nextConnectionID += 1
        let c = Connection(id: id, socket: socket, uid: uid, server: self)
        connections[id] = c
        lock.unlock()
        c.start()
    }

    func remove(_ c: Connection) {
        lock.lock()
        connections[c.id] = nil
        lock.unlock()
    }

    var connectionCount: Int {
        lock.lock()
        defer { lock.unlock() }
        return connections.count
    }

    /// Messages queued for all clients but not yet written.
    var outboxPending: Int {
        lock.lock()
        let open = Array(connections.values)
        lock.unlock()
        return open.reduce(0) { $0 + $1.outbox.pending }
    }

    func newJobID() -> Int {
        lock.lock()
        defer { lock.unlock() }
        let id = nextJobID
        nextJobID += 1
        return id
    }

    private func startWatchdog() {
        let interval = SystemdNotifier.watchdogInterval()
        let t = Thread { [self] in
            while !isStopping {
                Thread.sleep(forTimeInterval: min(interval ?? 5, 5))
                if interval != nil { SystemdNotifier.notify("WATCHDOG=1") }
                let s = scheduler.snapshot
                if s.running == 0 && s.queued == 0 { _ = fvd_release_free_memory() }
                SystemdNotifier.notify("STATUS=serving: \(s.running) running, \(s.queued) queued, \(connectionCount) connections")
            }
        }
        t.name = "fvd-watchdog"
        t.start()
    }
}
