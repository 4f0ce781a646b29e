import ArgumentParser
import Dispatch
import FVModel
import FVServer
import FVTransport
import Foundation
import SIMDKernels

struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve JSON-RPC 2.0 on a Unix socket (the default). Under systemd, uses the socket it passes.")

    @Option(help: "Socket to bind when systemd passes none (default: \(SocketLocator.systemSocket) for root, else $XDG_RUNTIME_DIR/fvd/fvd.sock).")
    var socket: String?
    @Option(help: "Socket file mode, octal.") var socketMode: String = "660"
    @Option(help: "Weights file (default: $FVD_WEIGHTS, the source tree's weights/, then share/fvd/ beside the installed binary, then \(WeightsLocator.installedPath)).")
    var weights: String?
    @Option(help: "Result cache directory (default: $CACHE_DIRECTORY, else $XDG_CACHE_HOME/fvd or ~/.cache/fvd).")
    var cacheDir: String?
    @Flag(help: "Do not cache results.") var noCache = false
    @Option(help: "Result cache size cap in MiB.") var cacheMaxMb: Int = 256
    @Option(help: "Jobs in progress at once, each of a different user, taking turns a step at a time (each step uses every core).")
    var jobs: Int = 4
    @Option(help: "Seconds a job may run.") var jobTimeLimit: Double = 900
    @Option(help: "Most connections at once, all users together (root may open 8 more).") var maxConnections: Int = 128
    @Option(help: "Most connections one user (uid) may hold.") var maxConnectionsPerUser: Int = 16
    @Option(help: "Seconds a connection may stay open with no request, no job and nothing to send.")
    var idleTimeout: Double = 300
    @Option(help: "MiB of answers a connection may leave unread before fvd stops reading its requests (backpressure).")
    var maxUnreadMb: Int = 8
    @Option(help: "Seconds a connection may stay over --max-unread-mb before it is closed.")
    var slowReaderTimeout: Double = 60
    @Option(help: "Most jobs waiting, per user.") var maxQueuePerUser: Int = 32
    @Option(help: "Longest request line, bytes.") var maxLine: Int = 1 << 20
    @Option(help: "Seconds a client may take to finish a line.") var lineDeadline: Double = 30
    @Flag(help: "Do not merge queued renders of the same layer into one batch.") var noBatching = false
    @Flag(name: .customLong("worker-pool"), help: "Run the kernels' loops on fvd's own threads, which poll 0.5 ms after each loop instead of sleeping: about 5% faster steps on a dedicated machine, at the cost of cycles other users of a shared one could have had (default: DispatchQueue.concurrentPerform; docs/PERFORMANCE.md).")
    var workerPool = false
    @Option(name: .customLong("memory-max"), help: "MiB of memory fvd may use (default: its cgroup's limit, systemd's MemoryMax=, else the machine's). Each user may have a quarter of what the weights leave in answers in flight; a request past that is refused at once (-32001).")
    var memoryMax: Int?
    @Option(help: "Exit after this many idle seconds (no connection, no job); used for per-user daemons fvctl starts.")
    var idleExit: Double?

    func run() throws {
        try requireCPUFeatures()
        if workerPool { Parallel.dispatcher = .workerPool }
        guard let mode = UInt32(socketMode, radix: 8) else { throw ValidationError("--socket-mode \(socketMode) is not an octal mode such as 660") }
        // A socket systemd passed comes first: under the unit (a system user, HOME=/,
        // ProtectHome=) no default path may be worked out, let alone created.
        let inherited: Int32?
        do { inherited = try SystemdNotifier.inheritedListenFD() } catch let e as SocketError {
            Log.error("fvd cannot listen: \(e.description)")
            throw ExitCode(4)
        }
        if inherited == nil && socket == nil && getuid() != 0 {
            // The per-user socket's directory must be this user's alone (see PrivateDirectory).
            do { try PrivateDirectory.ensure(SocketLocator.userDirectory) } catch {
                Log.error("fvd cannot listen: \(error)")
                throw ExitCode(4)
            }
        }
        var config = ServerConfig(
            socketPath: socket ?? SocketLocator.defaultServerSocket,
            weightsPath: weights ?? WeightsLocator.defaultPath(),
            cacheDirectory: noCache ? nil : (cacheDir ?? Serve.defaultCacheDirectory(socketActivated: inherited != nil)))
        config.inheritedListener = inherited
        config.socketMode = mode
        config.cacheMaxBytes = cacheMaxMb << 20
        config.concurrentJobs = jobs
        config.jobTimeLimit = jobTimeLimit
        config.maxConnections = maxConnections
        config.maxConnectionsPerUser = maxConnectionsPerUser
        config.idleTimeout = idleTimeout
        config.maxOutboxBytes = maxUnreadMb << 20
        config.slowReaderTimeout = slowReaderTimeout
        config.maxQueuedPerUser = maxQueuePerUser
        config.maxLineBytes = maxLine
        config.lineDeadline = lineDeadline
        config.batchRequests = !noBatching
        config.idleExit = idleExit
        config.memoryMax = memoryMax.map { $0 << 20 }

        let server: Server
        do {
            server = try Server(config: config)
        } catch let e as WeightsError {
            Log.error("fvd cannot start: \(e.description)")
            throw ExitCode(3)
        } catch let e as Server.StartError {
            Log.error("fvd refuses to serve: \(e.description)")
            throw ExitCode(5)
        }
        // SIGTERM/SIGINT: stop accepting, cancel jobs with a reason, exit 0.
        var sources: [DispatchSourceSignal] = []
        for sig in [SIGTERM, SIGINT] {
            signal(sig, SIG_IGN)
            let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            s.setEventHandler { server.stop(reason: sig == SIGTERM ? "SIGTERM" : "SIGINT") }
            s.resume()
            sources.append(s)
        }
        signal(SIGPIPE, SIG_IGN)
        do {
            try server.run()
        } catch let e as SocketError {
            Log.error("fvd cannot listen: \(e.description)")
            throw ExitCode(4)
        }
        _ = sources
    }

    /// `$CACHE_DIRECTORY` (systemd's CacheDirectory=), else the user's cache directory, except
    /// under socket activation: a service has no home of its own to write, so without
    /// CacheDirectory= (or --cache-dir) it caches nothing and says so.
    static func defaultCacheDirectory(socketActivated: Bool) -> String? {
        let env = ProcessInfo.processInfo.environment
        if let d = env["CACHE_DIRECTORY"], !d.isEmpty { return String(d.split(separator: ":")[0]) }
        if socketActivated {
            Log.warning("no CacheDirectory= in the unit and no --cache-dir: results are not cached")
            return nil
        }
        if let x = env["XDG_CACHE_HOME"], !x.isEmpty { return x + "/fvd" }
        return (env["HOME"] ?? "/tmp") + "/.cache/fvd"
    }
}
