import FVOptim
import FVProtocol
import Foundation

/// What a stepped job's body gets from the scheduler: the engine, and the turns, cancellation
/// and progress hooks to pass to it.
struct SteppedRun {
    let engine: GradientAscent
    let limits: AscentJob.Limits
    let cancel: CancellationToken
    let turns: StepTurns
    let progress: (AscentProgress) -> Void
}

/// What a compute job's body gets: the turns to take for the part that needs the cores, and
/// whether it should stop (its job was cancelled or ran past the time limit) for the part that
/// runs outside them, such as decoding a picture.
struct ComputeRun {
    let turns: StepTurns
    /// Why the job should stop now, if it should.
    let stopReason: () -> StopReason?
}

/// One unit of queued work: a render (an ascent job, which may be merged with others of the same
/// layer and settings) or a forward pass. Its `complete` runs exactly once, whatever happens.
final class Job: @unchecked Sendable {
    enum Work {
        /// Gradient ascent; `finish` turns this job's share of the result into the JSON result.
        case ascent(AscentJob, finish: (AscentResult) throws -> JSON)
        /// Quick work (activations): one forward pass. It runs in the scheduler's quick lane,
        /// beside its user's renders rather than behind them.
        case compute((ComputeRun) throws -> JSON)
        /// A stepped optimisation that is not an ascent batch (DeepDream on a photo): run alone,
        /// with the same turns, progress, cancellation and time limit as a render.
        case stepped(steps: Int, run: (SteppedRun) throws -> JSON)
    }

    enum State: String { case queued, running }

    let id: Int
    let uid: UInt32
    let method: String
    let summary: String
    let work: Work
    let token = CancellationToken()
    let submitted = Date()
    let onProgress: ((AscentProgress) -> Void)?
    /// Told, while the job waits, how many jobs must finish before it can start (on each change).
    let onQueued: ((Int) -> Void)?
    /// What `onQueued` was last told; guarded by the scheduler's lock.
    var toldAhead: Int?
    /// Batch work (`"priority": "batch"`, an atlas): it runs beside its user's interactive job
    /// rather than before it, and only when no interactive job of anyone's waits for a slot.
    var isBatchWork = false
    /// For compute work, the pixels of its input (renders: their images x side^2).
    let pixels: Int
    /// The most its answer may take, bytes: what `AnswerLedger` reserves while it is in flight.
    let answerBytes: Int
    private let onComplete: (Result<JSON, RPCError>) -> Void
    private let lock = NSLock()
    private var completed = false
    private var outcome: Result<JSON, RPCError>?
    private var observers: [(Result<JSON, RPCError>) -> Void] = []
    private var stopped: StopReason?

    // Guarded by the scheduler's lock.
    var state = State.queued
    var step = 0
    var started: Date?

    init(id: Int, uid: UInt32, method: String, summary: String, work: Work, pixels: Int = 0, answerBytes: Int = 0,
         onProgress: ((AscentProgress) -> Void)?, onQueued: ((Int) -> Void)? = nil,
         onComplete: @escaping (Result<JSON, RPCError>) -> Void) {
        self.onQueued = onQueued
        self.answerBytes = answerBytes
        self.pixels = pixels
        self.id = id
        self.uid = uid
        self.method = method
        self.summary = summary
        self.work = work
        self.onProgress = onProgress
        self.onComplete = onComplete
    }

    var steps: Int {
        if case .ascent(let a, _) = work { return a.steps }
        if case .stepped(let n, _) = work { return n }
        return 1
    }

    /// Quick work small enough for the quick lane (`ServerConfig.quickLanePixels`).
    func isQuick(upTo pixels: Int) -> Bool {
        if case .compute = work { return self.pixels <= pixels }
        return false
    }

    var ascent: AscentJob? {
        if case .ascent(let a, _) = work { return a }
        return nil
    }

    /// Delivers the outcome; later calls are ignored (a job is answered exactly once).
    func complete(_ r: Result<JSON, RPCError>) {
        lock.lock()
        let first = !completed
        completed = true
        var told: [(Result<JSON, RPCError>) -> Void] = []
        if first {
            outcome = r
            told = observers
            observers = []
        }
        lock.unlock()
        if first {
            onComplete(r)
            for f in told { f(r) }
        }
    }

    /// Calls `f` with the job's outcome once it has one (at once if it has): how `cancel` learns
    /// whether the job it stopped ended cancelled or had finished first.
    func whenComplete(_ f: @escaping (Result<JSON, RPCError>) -> Void) {
        lock.lock()
        if let outcome {
            lock.unlock()
            return f(outcome)
        }
        observers.append(f)
        lock.unlock()
    }

    var isCompleted: Bool {
        lock.lock()
        defer { lock.unlock() }
        return completed
    }

    /// Asks the job to stop for `reason` (the first reason given is the one reported); a running
    /// job sees it within a step.
    func stop(_ reason: StopReason) {
        lock.lock()
        if stopped == nil { stopped = reason }
        lock.unlock()
        token.cancel(reason.description)
    }

    /// Why the job was asked to stop, if it was.
    var stopReason: StopReason? {
        lock.lock()
        defer { lock.unlock() }
        return stopped
    }

    /// Answers a stopped job with its reason's error.
    func completeStopped(_ fallback: StopReason) {
        complete(.failure((stopReason ?? fallback).error))
    }
}
