import CMemory
import FVModel
import FVOptim
import FVProtocol
import FVTransport
import Foundation
import SIMDKernels

/// The daemon: resident weights and engine, the listening socket, connections, the scheduler
/// and the result cache. `run()` serves until `stop(reason:)`.
public final class Server: ConnectionHandler, @unchecked Sendable {
    public static let version = fvdVersion

    let config: ServerConfig
    let weights: ResidentWeights
    let network: VGG16Network
    let scheduler: Scheduler
    let cache: ResultCache
    let parseGate = ParseGate()
    private(set) var renders: RenderService!
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
        if let why = UserNamespace.whyClientsLookAlike() { throw StartError(description: "fvd cannot tell its clients apart: \(why)") }
        // One job computes at a time (FairTurnstile), so two arenas suffice; more only keep freed
        // memory apart. Large blocks (workspaces) are mapped, so a finished job gives them back.
        fvd_limit_allocator_arenas(2)
        fvd_map_large_blocks(1 << 20)
        SystemdNotifier.notify("STATUS=loading weights from \(config.weightsPath)")
        weights = try ResidentWeights(path: config.weightsPath)
        network = VGG16Network(weights: weights, backend: .simd)
        // The memory limit shared out: answers in flight per user (AnswerLedger), and the pixels
        // of the runs in progress, whose workspaces take up to ~2 KiB a pixel (a 1024 px render
        // at block3_conv1 holds 1.76 GiB), within what the weights and two users' answers leave.
        let memoryMax = config.memoryMax ?? AnswerLedger.defaultMemoryMax()
        let share = AnswerLedger.share(memoryMax: memoryMax, residentBytes: network.transformedBytes)
        var config = config
        config.memoryMax = memoryMax
        let forWorkspaces = max(0, memoryMax - network.transformedBytes - 2 * share)
        config.activePixelBudget = min(config.activePixelBudget, max(64 * 64, forWorkspaces / 2048))
        self.config = config
        scheduler = Scheduler(config: config, engine: GradientAscent(network: network))
        cache = ResultCache(directory: config.cacheDirectory, maxBytes: config.cacheMaxBytes)
        renders = RenderService(config: config, weightsChecksum: weights.checksumHex, cache: cache, scheduler: scheduler) { [unowned self] in newJobID() }
        scheduler.ledger = AnswerLedger(memoryMax: memoryMax, residentBytes: network.transformedBytes) { [unowned self] uid in
            unreadBytes(of: uid)
        }
    }

    /// Why the daemon cannot serve at all (other than its weights).
    public struct StartError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Binds (or adopts systemd's socket), serves until stopped, then drains and returns.
    public func run() throws {
        let sock: UnixSocket
        if let fd = config.inheritedListener {
            sock = UnixSocket(adopting: fd)
            Log.info("listening on the socket systemd passed (fd \(fd))")
        } else {
            let dir = (config.socketPath as NSString).deletingLastPathComponent
            // A directory fvd makes is private, except the system daemon's (clients in group fvd
            // reach the socket through it; the socket's own mode limits who may connect).
            let mode: Int16 = config.socketPath == SocketLocator.systemSocket ? 0o755 : 0o700
            if !dir.isEmpty { try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: mode]) }
            sock = try UnixSocket.listen(path: config.socketPath, mode: mode_t(config.socketMode))
            boundPath = config.socketPath
            Log.info("listening on \(config.socketPath)")
        }
        lock.lock()
        listener = sock
        lock.unlock()
        scheduler.start()
        let cores = Parallel.coreCount
        let ready = "weights \(weights.checksumHex), \(network.transformedBytes >> 20) MiB of transformed weights resident, "
            + "\(cores) \(cores == 1 ? "core" : "cores")"
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
            Log.flushThrottled()
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
        scheduler.shutdown()
        lock.lock()
        let open = Array(connections.values)
        listener?.close()
        lock.unlock()
        // Only the file this daemon bound: a newer daemon may own the path now.
        if let p = boundPath { listener?.unlinkBoundFile(at: p) }
        // Give the writers a moment to deliver the shutdown errors, then close everything.
        let deadline = Date().addingTimeInterval(2)
        while Date() < deadline && open.contains(where: { $0.outbox.pending > 0 }) { Thread.sleep(forTimeInterval: 0.02) }
        for c in open { c.close(reason: .shutdown) }
        Log.info("stopped")
    }

    /// Takes a new connection unless its user, or everyone together, is at the limit: one uid may
    /// hold `maxConnectionsPerUser`, all together `maxConnections`, and root `rootReserve` more
    /// so that an administrator can always get in. A refused client is told why.
    private func admit(_ socket: UnixSocket) {
        guard let uid = socket.peerCredentials()?.uid else {
            return refuse(socket, uid: nil, RPCError(RPCError.tooManyConnections, "fvd cannot tell who you are (SO_PEERCRED failed); connect over the Unix socket directly"))
        }
        lock.lock()
        let mine = connections.values.reduce(0) { $0 + ($1.uid == uid ? 1 : 0) }
        let limit = config.maxConnections + (uid == 0 ? config.rootReserve : 0)
        if mine >= config.maxConnectionsPerUser && uid != 0 {
            lock.unlock()
            return refuse(socket, uid: uid, RPCError(RPCError.tooManyConnections, "you (uid \(uid)) have \(mine) connections open to fvd, the most one user may; close some (idle ones close after \(Int(config.idleTimeout)) s) and try again"))
        }
        if connections.count >= limit {
            lock.unlock()
            return refuse(socket, uid: uid, RPCError(RPCError.tooManyConnections, "fvd has \(connections.count) connections open, its limit; try again shortly"))
        }
        let id = nextConnectionID
        nextConnectionID += 1
        let c = Connection(id: id, socket: socket, uid: uid, limits: config.connectionLimits, handler: self)
        connections[id] = c
        lock.unlock()
        c.start()
    }

    private func refuse(_ socket: UnixSocket, uid: UInt32?, _ error: RPCError) {
        Log.throttled(.warning, key: "refused \(uid.map(String.init) ?? "?")", "uid=\(uid.map(String.init) ?? "?") refused: \(error.message)")
        socket.setSendTimeout(seconds: 1)
        try? socket.writeAll(Array((JSONCodec.serialize(RPCMessage.error(id: .null, error)) + "\n").utf8))
        socket.close()
    }

    func connectionClosed(_ c: Connection, unfinished jobs: [Job], reason: StopReason) {
        scheduler.cancel(jobs: jobs, reason: reason)
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

    /// Bytes of answers queued for `uid`'s connections but not yet written.
    func unreadBytes(of uid: UInt32) -> Int {
        lock.lock()
        let mine = connections.values.filter { $0.uid == uid }
        lock.unlock()
        return mine.reduce(0) { $0 + $1.outbox.pendingBytes }
    }

    /// Bytes of answers queued for all clients but not yet written.
    var outboxBytes: Int {
        lock.lock()
        let open = Array(connections.values)
        lock.unlock()
        return open.reduce(0) { $0 + $1.outbox.pendingBytes }
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
                // Idle: give freed memory back (the one place that does). glibc keeps what jobs
                // and connections freed in its heaps otherwise.
                if s.running == 0 && s.queued == 0 { _ = fvd_release_free_memory() }
                SystemdNotifier.notify("STATUS=serving: \(s.running) running, \(s.queued) queued, \(connectionCount) connections")
            }
        }
        t.name = "fvd-watchdog"
        t.start()
    }
}
