/// What the daemon answers to `status`: itself, its queue, its cache, its clients.
public struct StatusResult: Equatable, Sendable {
    public struct Queue: Equatable, Sendable {
        public var queued: Int
        public var running: Int
        public var mergedRuns: Int
        /// Jobs in progress (taking turns a step at a time) and the memory they hold.
        public var inProgress: Int
        public var workspaceBytes: Int
        public init(queued: Int, running: Int, mergedRuns: Int, inProgress: Int, workspaceBytes: Int) {
            self.queued = queued
            self.running = running
            self.mergedRuns = mergedRuns
            self.inProgress = inProgress
            self.workspaceBytes = workspaceBytes
        }
    }

    public struct Cache: Equatable, Sendable {
        public var directory: String?
        public var entries: Int
        public var bytes: Int
        public var maxBytes: Int
        public var hits: Int
        public var misses: Int
        public var writeFailures: Int
        public init(directory: String?, entries: Int, bytes: Int, maxBytes: Int, hits: Int, misses: Int, writeFailures: Int) {
            self.directory = directory
            self.entries = entries
            self.bytes = bytes
            self.maxBytes = maxBytes
            self.hits = hits
            self.misses = misses
            self.writeFailures = writeFailures
        }
    }

    public var version: String
    public var pid: Int
    public var uptimeSeconds: Double
    public var weightsPath: String
    public var weightsChecksum: String
    public var queue: Queue
    public var cache: Cache
    public var connections: Int
    /// Answers queued for all clients and not yet written: messages, and bytes.
    public var outboxPending: Int
    public var outboxBytes: Int
    public var residentTransformedWeightsBytes: Int

    public init(version: String, pid: Int, uptimeSeconds: Double, weightsPath: String, weightsChecksum: String, queue: Queue, cache: Cache,
                connections: Int, outboxPending: Int, outboxBytes: Int, residentTransformedWeightsBytes: Int) {
        self.version = version
        self.pid = pid
        self.uptimeSeconds = uptimeSeconds
        self.weightsPath = weightsPath
        self.weightsChecksum = weightsChecksum
        self.queue = queue
        self.cache = cache
        self.connections = connections
        self.outboxPending = outboxPending
        self.outboxBytes = outboxBytes
        self.residentTransformedWeightsBytes = residentTransformedWeightsBytes
    }

    public init(_ json: JSON) throws {
        let r = try ResultReader(json, "status result")
        let w = try r.object("weights"), q = try r.object("queue"), c = try r.object("cache")
        self.init(
            version: try r.string("version"), pid: try r.int("pid"), uptimeSeconds: try r.double("uptimeSeconds"),
            weightsPath: try w.string("path"), weightsChecksum: try w.string("checksum"),
            queue: Queue(queued: try q.int("queued"), running: try q.int("running"), mergedRuns: try q.int("mergedRuns"),
                         inProgress: try q.int("inProgress"), workspaceBytes: try q.int("workspaceBytes")),
            cache: Cache(directory: c.optionalString("directory"), entries: try c.int("entries"), bytes: try c.int("bytes"),
                         maxBytes: try c.int("maxBytes"), hits: try c.int("hits"), misses: try c.int("misses"), writeFailures: try c.int("writeFailures")),
            connections: try r.int("connections"), outboxPending: try r.int("outboxPending"), outboxBytes: try r.int("outboxBytes"),
            residentTransformedWeightsBytes: try r.int("residentTransformedWeightsBytes"))
    }

    public var json: JSON {
        [
            "version": .string(version), "pid": JSON(pid), "uptimeSeconds": JSON(uptimeSeconds),
            "weights": ["path": .string(weightsPath), "checksum": .string(weightsChecksum)],
            "queue": ["queued": JSON(queue.queued), "running": JSON(queue.running), "mergedRuns": JSON(queue.mergedRuns),
                      "inProgress": JSON(queue.inProgress), "workspaceBytes": JSON(queue.workspaceBytes)],
            "cache": ["directory": cache.directory.map { .string($0) } ?? .null, "entries": JSON(cache.entries), "bytes": JSON(cache.bytes),
                      "maxBytes": JSON(cache.maxBytes), "hits": JSON(cache.hits), "misses": JSON(cache.misses),
                      "writeFailures": JSON(cache.writeFailures)],
            "connections": JSON(connections), "outboxPending": JSON(outboxPending), "outboxBytes": JSON(outboxBytes),
            "residentTransformedWeightsBytes": JSON(residentTransformedWeightsBytes),
        ]
    }
}
