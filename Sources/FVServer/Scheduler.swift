import FVOptim
import FVProtocol
import Foundation

/// The job queue: bounded in all and per user, served round-robin over the users (uids) that
/// have work waiting. Up to `concurrentJobs` jobs are in progress at once, at most one per user
/// (and one more of the user's batch work, below everyone's interactive work),
/// and they share the engine a step at a time (`FairTurnstile`): another user's small job
/// waits at most one step of a long one, never its whole run. Renders waiting with the same
/// layer and settings are merged into one batched optimisation (the engine's batches are
/// exact: each image comes out as it would alone).
///
/// Quick work (`activations` of pictures up to `quickLanePixels`: a decode and one forward pass)
/// has a lane of its own, round-robin over users too, served by one runner beside the render
/// runners: a user's heat map does not wait for that user's own 300-step render, and its
/// forward pass takes a turn like any step. Larger pictures (a 1024 px forward pass holds about
/// 900 MiB) queue with the renders, inside the pixel budget.
final class Scheduler: @unchecked Sendable {
    let config: ServerConfig
    let engine: GradientAscent
    private let cond = NSCondition()
    private var queues: [UInt32: [Job]] = [:]
    private var lastServed: UInt32?
    /// The quick lane's queues, and the user it served last.
    private var quickQueues: [UInt32: [Job]] = [:]
    private var lastQuickServed: UInt32?
    private var running: [Job] = []
    /// A run in progress (a merged batch is one run): its owner, its pixels (what the budget
    /// counts), whether it started in the small runs' reserve, and the working memory it reported.
    private struct ActiveRun {
        let uid: UInt32
        let pixels: Int
        var inReserve = false
        var workspaceBytes = 0
        /// Batch work: the user's lane for it is apart from their interactive lane.
        var batch = false
    }
    /// Runs in progress, by the id of their first job.
    private var activeRuns: [Int: ActiveRun] = [:]
    private let turnstile = FairTurnstile()
    private var stopping = false
    private var threads: [Thread] = []
    private(set) var mergedRuns = 0

    /// Set by the server before the first job: each job's answer is reserved against its user's
    /// share while it is in flight.
    var ledger: AnswerLedger?

    init(config: ServerConfig, engine: GradientAscent) {
        self.config = config
        self.engine = engine
    }

    func start() {
        for i in 0..<max(1, config.concurrentJobs) {
            let t = Thread { [self] in runLoop() }
            t.name = "fvd-runner-\(i)"
            t.start()
            threads.append(t)
        }
        let quick = Thread { [self] in quickLoop() }
        quick.name = "fvd-quick"
        quick.start()
        threads.append(quick)
    }

    // MARK: queue

    func submit(_ job: Job) throws {
        cond.lock()
        defer { cond.unlock() }
        if stopping { throw RPCError(RPCError.shuttingDown, "fvd is shutting down; send the request again when it is back") }
        let total = queuedCount
        guard total < config.maxQueued else {
            throw RPCError(RPCError.queueFull, "the queue is full (\(total) jobs waiting); try again later")
        }
        guard queues[job.uid, default: []].count + quickQueues[job.uid, default: []].count < config.maxQueuedPerUser else {
            throw RPCError(RPCError.queueFull, "you have \(config.maxQueuedPerUser) jobs waiting, the most one user may; wait for some to finish or cancel some (fvctl jobs, fvctl cancel)")
        }
        if job.isQuick(upTo: config.quickLanePixels) {
            quickQueues[job.uid, default: []].append(job)
            cond.broadcast()
            return
        }
        queues[job.uid, default: []].append(job)
        tellQueuePositions()
        cond.broadcast()  // the render runners and the quick runner wait on one condition
    }

    /// Jobs waiting in both lanes. Under the lock.
    private var queuedCount: Int {
        queues.values.reduce(0) { $0 + $1.count } + quickQueues.values.reduce(0) { $0 + $1.count }
    }

    /// Tells each waiting job that asked (`onQueued`) how many jobs must finish before it can
    /// start, when that number changed: its user's job in progress and those queued before it,
    /// and, when every slot for jobs in progress is taken, those in progress. Under the lock.
    private func tellQueuePositions() {
        let full = activeRuns.count >= max(1, config.concurrentJobs)
        for (uid, q) in queues {
            let mine = activeRuns.values.filter { $0.uid == uid }.count
            for (i, j) in q.enumerated() where j.onQueued != nil {
                let ahead = full ? activeRuns.count + i : mine + i
                // 0 means it starts at once: not worth a message.
                if ahead > 0 && ahead != j.toldAhead {
                    j.toldAhead = ahead
                    j.onQueued?(ahead)
                }
            }
        }
    }

    /// Submits `job` on behalf of `conn`, tracked by the connection first: a disconnect at any
    /// moment then cancels it, never leaving it to run for nobody.
    func submitTracked(_ job: Job, by conn: Connection) throws {
        guard conn.track(job) else { throw StopReason.clientDisconnected.error }
        do {
            try ledger?.reserve(uid: job.uid, bytes: job.answerBytes)
        } catch {
            conn.untrack(job)
            throw error
        }
        do { try submit(job) } catch {
            ledger?.release(uid: job.uid, bytes: job.answerBytes)
            conn.untrack(job)
            throw error
        }
        // Its answer moves to the connection's outbox, where the ledger counts it from then on.
        job.whenComplete { [ledger] _ in ledger?.release(uid: job.uid, bytes: job.answerBytes) }
    }

    /// Cancels job `id` if `uid` owns it (root owns all). Queued jobs are answered at once;
    /// running ones stop within a step. Returns the job, whose outcome (`whenComplete`) says
    /// whether it ended cancelled or had finished first.
    @discardableResult
    func cancel(id: Int, uid: UInt32, reason: StopReason) throws -> Job {
        cond.lock()
        defer { cond.unlock() }
        // A job that has been answered is over, even if its batch is still winding down.
        if let r = running.first(where: { $0.id == id && !$0.isCompleted && (uid == 0 || $0.uid == uid) }) {
            r.stop(reason)
            return r
        }
        if let job = Scheduler.take(id, of: uid, from: &queues) ?? Scheduler.take(id, of: uid, from: &quickQueues) {
            job.stop(reason)
            job.completeStopped(reason)
            return job
        }
        throw RPCError(RPCError.noSuchJob, "no job \(id) among your jobs; `fvctl jobs` lists them")
    }

    /// Removes queued job `id` from `lanes` if `uid` owns it (root owns all).
    private static func take(_ id: Int, of uid: UInt32, from lanes: inout [UInt32: [Job]]) -> Job? {
        for (owner, q) in lanes where uid == 0 || owner == uid {
            if let i = q.firstIndex(where: { $0.id == id }) { return lanes[owner]!.remove(at: i) }
        }
        return nil
    }

    /// Cancels a set of jobs (a closed connection's), silently skipping finished ones.
    func cancel(jobs: [Job], reason: StopReason) {
        for j in jobs where !j.isCompleted { _ = try? cancel(id: j.id, uid: 0, reason: reason) }
    }

    /// Stops taking work, cancels everything queued and running; returns when runners are idle.
    func shutdown() {
        cond.lock()
        stopping = true
        let queued = queues.values.flatMap { $0 } + quickQueues.values.flatMap { $0 }
        queues.removeAll()
        quickQueues.removeAll()
        for r in running { r.stop(.shutdown) }
        cond.broadcast()
        cond.unlock()
        for j in queued {
            j.stop(.shutdown)
            j.completeStopped(.shutdown)
        }
        // Wait (bounded) for running jobs to see their tokens.
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            cond.lock()
            let busy = !running.isEmpty
            cond.unlock()
            if !busy { break }
            Thread.sleep(forTimeInterval: 0.02)
        }
    }

    struct Snapshot {
        let queued: Int
        let running: Int
        let mergedRuns: Int
        /// Runs in progress (each between or in its steps) and the working memory they hold.
        let inProgress: Int
        let workspaceBytes: Int
    }

    var snapshot: Snapshot {
        cond.lock()
        defer { cond.unlock() }
        return Snapshot(queued: queuedCount, running: running.count, mergedRuns: mergedRuns,
                        inProgress: activeRuns.count, workspaceBytes: activeRuns.values.reduce(0) { $0 + $1.workspaceBytes })
    }

    /// The jobs `uid` may see (root: all), running first.
    func list(uid: UInt32) -> [JobsResult.Job] {
        cond.lock()
        defer { cond.unlock() }
        let all = running + quickQueues.keys.sorted().flatMap { quickQueues[$0]! } + queues.keys.sorted().flatMap { queues[$0]! }
        return all.filter { !$0.isCompleted && (uid == 0 || $0.uid == uid) }.map { j in
            JobsResult.Job(id: j.id, uid: Int(j.uid), method: j.method, summary: j.summary, state: j.state.rawValue, step: j.step,
                           steps: j.steps, waitedSeconds: (j.started ?? Date()).timeIntervalSince(j.submitted),
                           runSeconds: j.started.map { Date().timeIntervalSince($0) } ?? 0)
        }
    }

    // MARK: running

    /// Round-robin over the users with work waiting and no run in progress: the first after the
    /// one served last whose next job fits the pixel budget (anything fits when nothing runs).
    private func takeNext() -> [Job]? {
        cond.lock()
        defer { cond.unlock() }
        while true {
            if stopping { return nil }
            if let batch = nextBatch() { return batch }
            cond.wait()
        }
    }

    private func nextBatch() -> [Job]? {
        // Each user has two lanes, one run in progress in each: interactive requests, and batch
        // work (an atlas), which starts only when no interactive job that could start waits. A
        // user's `pattern` sent during their atlas then starts at once, beside it, and takes
        // every other step of the cores with it (`FairTurnstile`).
        let busy = Set(activeRuns.values.map { "\($0.uid)/\($0.batch)" })
        let used = activeRuns.values.filter { !$0.inReserve }.reduce(0) { $0 + $1.pixels }
        let reserved = activeRuns.values.filter(\.inReserve).reduce(0) { $0 + $1.pixels }
        // The position of the user's first job of that class whose lane is free.
        func next(_ uid: UInt32, batch: Bool) -> Int? {
            guard !busy.contains("\(uid)/\(batch)") else { return nil }
            return queues[uid]?.firstIndex { $0.isBatchWork == batch }
        }
        // A job fits the budget; a small one that does not may take room in the small runs' reserve.
        func fitsBudget(_ j: Job) -> Bool { activeRuns.isEmpty || used + Scheduler.pixels(j) <= config.activePixelBudget }
        func fitsReserve(_ j: Job) -> Bool {
            let px = Scheduler.pixels(j)
            return px <= config.smallRunPixels && reserved + px <= config.smallRunReserve
        }
        var pick: (uid: UInt32, index: Int)?
        for batch in [false, true] where pick == nil {
            let users = queues.keys.filter { next($0, batch: batch) != nil }.sorted()
            let order = users.filter { lastServed == nil || $0 > lastServed! } + users.filter { lastServed != nil && $0 <= lastServed! }
            if let uid = order.first(where: { let j = queues[$0]![next($0, batch: batch)!]; return fitsBudget(j) || fitsReserve(j) }) {
                pick = (uid, next(uid, batch: batch)!)
            }
        }
        guard let (uid, index) = pick else { return nil }
        let inReserve = !fitsBudget(queues[uid]![index])
        lastServed = uid
        let first = queues[uid]!.remove(at: index)
        var batch = [first]
        if config.batchRequests, !inReserve, let a = first.ascent {  // a reserve run stays small
            var items = a.items.count
            for owner in queues.keys.sorted() {
                queues[owner]!.removeAll { j in
                    // Same settings, and an objective whose images do not interact (a diversity
                    // objective's images must never meet another user's).
                    guard let b = j.ascent, a.canShareBatch(with: b), j.isBatchWork == first.isBatchWork,
                          (items + b.items.count) * a.networkSide * a.networkSide <= config.limits.maxPixels,
                          items + b.items.count <= config.limits.maxBatch else { return false }
                    items += b.items.count
                    batch.append(j)
                    return true
                }
            }
        }
        for j in batch {
            j.state = .running
            j.started = Date()
        }
        running.append(contentsOf: batch)
        activeRuns[first.id] = ActiveRun(uid: uid, pixels: batch.reduce(0) { $0 + Scheduler.pixels($1) }, inReserve: inReserve,
                                         batch: first.isBatchWork)
        tellQueuePositions()
        if batch.count > 1 { mergedRuns += 1 }
        return batch
    }

    /// The pixels a job computes per step (what its workspace grows with).
    static func pixels(_ j: Job) -> Int {
        if let a = j.ascent { return a.networkPixels }
        return j.pixels
    }

    private func finished(_ batch: [Job]) {
        cond.lock()
        running.removeAll { r in batch.contains { $0 === r } }
        activeRuns[batch[0].id] = nil
        tellQueuePositions()
        cond.broadcast()  // a user, and room in the budget, are free again
        cond.unlock()
    }

    private func runLoop() {
        while let batch = takeNext() {
            run(batch)
            finished(batch)
        }
    }

    // MARK: the quick lane

    private func quickLoop() {
        while let j = takeNextQuick() {
            runQuick(j)
            cond.lock()
            running.removeAll { $0 === j }
            cond.broadcast()
            cond.unlock()
        }
    }

    /// Round-robin over the users with quick work waiting.
    private func takeNextQuick() -> Job? {
        cond.lock()
        defer { cond.unlock() }
        while true {
            if stopping { return nil }
            let users = quickQueues.keys.filter { !quickQueues[$0]!.isEmpty }.sorted()
            let order = users.filter { lastQuickServed == nil || $0 > lastQuickServed! } + users.filter { lastQuickServed != nil && $0 <= lastQuickServed! }
            if let uid = order.first {
                lastQuickServed = uid
                let j = quickQueues[uid]!.removeFirst()
                j.state = .running
                j.started = Date()
                running.append(j)
                return j
            }
            cond.wait()
        }
    }

    /// A compute job (in either lane): what it does outside the turns (decoding) can be stopped by a cancel or the
    /// time limit, which counts from its start; its forward pass takes one turn.
    private func runQuick(_ j: Job) {
        guard case .compute(let f) = j.work else { return }
        if j.token.isCancelled { return j.completeStopped(.cancelledByRequest) }
        let started = Date()
        let limit = config.jobTimeLimit
        let context = ComputeRun(turns: FairTurnstile.Account(turnstile)) {
            if let r = j.stopReason { return r }
            if Date().timeIntervalSince(started) > limit {
                j.stop(.timeLimit(seconds: limit))
                return j.stopReason
            }
            return nil
        }
        j.complete(Result { try f(context) }.mapError { $0 as? RPCError ?? RPCError(RPCError.internalError, "\($0)") })
    }

    // MARK: render runs

    private func run(_ batch: [Job]) {
        let turns = FairTurnstile.Account(turnstile)
        if case .compute = batch[0].work { return runQuick(batch[0]) }  // too large for the quick lane
        if case .stepped(_, let body) = batch[0].work {
            return runStepped(batch[0], body, turns)
        }
        let parts = batch.map { $0.ascent! }
        var merged = parts[0]
        merged.items = parts.flatMap(\.items)
        var offsets: [Int] = []
        var o = 0
        for p in parts {
            offsets.append(o)
            o += p.items.count
        }
        let runToken = CancellationToken()
        for j in batch where j.token.isCancelled { j.completeStopped(.cancelledByRequest) }
        do {
            let result = try engine.run(merged, limits: config.limits, cancel: runToken, turns: turns) { [self] p in
                cond.lock()
                activeRuns[batch[0].id]?.workspaceBytes = p.workspaceBytes
                cond.unlock()
                var live = 0
                for (k, j) in batch.enumerated() where !j.isCompleted {
                    if j.token.isCancelled {
                        j.completeStopped(.cancelledByRequest)
                        continue
                    }
                    live += 1
                    cond.lock()
                    j.step = p.step
                    cond.unlock()
                    let slice = Array(p.losses[offsets[k]..<(offsets[k] + parts[k].items.count)])
                    j.onProgress?(AscentProgress(step: p.step, steps: p.steps, losses: slice))
                }
                if live == 0 { runToken.cancel("every request in the run was cancelled") }
                // The limit counts this run's own steps, not the turns it waited for.
                if turns.computeSeconds > config.jobTimeLimit {
                    let limit = StopReason.timeLimit(seconds: config.jobTimeLimit)
                    for j in batch { j.stop(limit) }
                    runToken.cancel(limit.description)
                }
            }
            let px = merged.size * merged.size * 3
            for (k, j) in batch.enumerated() where !j.isCompleted {
                let n = parts[k].items.count
                let share = AscentResult(
                    job: parts[k], images: Array(result.images[(offsets[k] * px)..<((offsets[k] + n) * px)]),
                    losses: Array(result.losses[offsets[k]..<(offsets[k] + n)]),
                    neverFired: Array(result.neverFired[offsets[k]..<(offsets[k] + n)]), stepsRun: result.stepsRun,
                    history: Array(result.history[offsets[k]..<(offsets[k] + n)]),
                    snapshots: result.snapshots.map { ($0.step, Array($0.images[(offsets[k] * px)..<((offsets[k] + n) * px)])) },
                    importance: Array(result.importance[offsets[k]..<(offsets[k] + n)]))
                guard case .ascent(_, let finish) = j.work else { continue }
                j.complete(Result { try finish(share) }.mapError { $0 as? RPCError ?? RPCError(RPCError.internalError, "\($0)") })
            }
        } catch AscentError.cancelled {
            for j in batch { j.completeStopped(.cancelledByRequest) }
        } catch {
            for j in batch { j.complete(.failure(RPCError(RPCError.invalidParams, "\(error)"))) }
        }
    }

    private func runStepped(_ j: Job, _ body: (SteppedRun) throws -> JSON, _ turns: FairTurnstile.Account) {
        if j.token.isCancelled { return j.completeStopped(.cancelledByRequest) }
        let runToken = CancellationToken()
        let context = SteppedRun(engine: engine, limits: config.limits, cancel: runToken, turns: turns) { [self] p in
            cond.lock()
            activeRuns[j.id]?.workspaceBytes = p.workspaceBytes
            j.step = p.step
            cond.unlock()
            if j.token.isCancelled { return runToken.cancel("cancelled") }
            j.onProgress?(p)
            if turns.computeSeconds > config.jobTimeLimit {
                let limit = StopReason.timeLimit(seconds: config.jobTimeLimit)
                j.stop(limit)
                runToken.cancel(limit.description)
            }
        }
        do {
            let json = try body(context)
            j.complete(.success(json))
        } catch AscentError.cancelled {
            j.completeStopped(.cancelledByRequest)
        } catch {
            j.complete(.failure(error as? RPCError ?? RPCError(RPCError.invalidParams, "\(error)")))
        }
    }
}
