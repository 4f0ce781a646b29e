import FVOptim

/// Everything an operator can set about the daemon, with the defaults fvd ships.
public struct ServerConfig: Sendable {
    /// Where to bind when systemd did not pass a socket.
    public var socketPath: String
    /// The listening socket systemd passed (socket activation): when set, fvd serves it and
    /// neither binds `socketPath` nor creates any directory for it.
    public var inheritedListener: Int32?
    public var socketMode: UInt32 = 0o660
    public var weightsPath: String
    /// nil: no cache.
    public var cacheDirectory: String?
    public var cacheMaxBytes = 256 << 20
    /// Longest line a client may send.
    public var maxLineBytes = 1 << 20
    /// A client that starts a line must finish it within this many seconds.
    public var lineDeadline: Double = 30
    public var maxConnections = 128
    /// Connections one uid may hold, well under `maxConnections` so that no one user can lock
    /// the others out; root may go `rootReserve` past the global limit to look and cancel.
    public var maxConnectionsPerUser = 16
    public var rootReserve = 8
    /// A connection with no request for this many seconds, and nothing running or to send, is closed.
    public var idleTimeout: Double = 300
    /// Answers a connection may have waiting unread before fvd stops reading its requests
    /// (backpressure); one that stays over it for `slowReaderTimeout` seconds is closed.
    public var maxOutboxBytes = 8 << 20
    public var slowReaderTimeout: Double = 60
    /// Jobs waiting, in all and per user.
    public var maxQueued = 256
    public var maxQueuedPerUser = 32
    /// Jobs in progress at once, each of a different user, taking turns a step at a time (each
    /// step uses every core): a small job is not held up by another user's long one.
    public var concurrentJobs = 4
    /// Cap on the pixels (images x side^2) of all jobs in progress together, which bounds the
    /// memory their workspaces hold while they wait for their turns; a job that would pass it
    /// waits in the queue, unless nothing else is in progress.
    public var activePixelBudget = 3 * 256 * 256 * 16 / 2
    /// A run of at most this many pixels per step (one 256 px picture) is small: small runs may
    /// go past the budget by `smallRunReserve` pixels together, so that two users' budget-filling
    /// jobs cannot keep a third user's 16 px render waiting for minutes.
    public var smallRunPixels = 256 * 256
    /// `activations` of pictures up to this many pixels run in the quick lane, beside renders;
    /// larger ones queue with the renders, inside the budget.
    public var quickLanePixels = 512 * 512
    public var smallRunReserve = 2 * 256 * 256
    /// The memory fvd may use, bytes (nil: its cgroup's limit, else the machine's): each user may
    /// have a quarter of what the weights leave in answers in flight (`AnswerLedger`).
    public var memoryMax: Int?
    /// Seconds a job may run before it is stopped.
    public var jobTimeLimit: Double = 900
    /// Merge queued renders of the same layer and settings into one batched optimisation.
    public var batchRequests = true
    public var limits = AscentJob.Limits()
    /// Exit after this many seconds with no connection and no job (a per-user daemon that
    /// fvctl started); nil: serve until stopped.
    public var idleExit: Double?
    /// Least seconds between two progress notifications of one job (the last step always goes).
    public var progressInterval: Double = 0.1

    public init(socketPath: String, weightsPath: String, cacheDirectory: String?) {
        self.socketPath = socketPath
        self.weightsPath = weightsPath
        self.cacheDirectory = cacheDirectory
    }

    var connectionLimits: ConnectionLimits {
        ConnectionLimits(maxLineBytes: maxLineBytes, lineDeadline: lineDeadline, idleTimeout: idleTimeout,
                         maxOutboxBytes: maxOutboxBytes, slowReaderTimeout: slowReaderTimeout)
    }
}
