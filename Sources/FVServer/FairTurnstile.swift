import FVOptim
import Foundation

/// The engine's cores, shared between the jobs in progress one step at a time, first come first
/// served: a run that wants its next step queues behind the runs already waiting, so N runs in
/// progress each get every Nth step. With one user's 1024 px render in progress, another
/// user's small job waits at most one of its steps, not the whole render.
final class FairTurnstile: @unchecked Sendable {
    private let cond = NSCondition()
    private var nextTicket = 0
    private var serving = 0

    func take() {
        cond.lock()
        let ticket = nextTicket
        nextTicket += 1
        while serving != ticket { cond.wait() }
        cond.unlock()
    }

    func give() {
        cond.lock()
        serving += 1
        cond.broadcast()
        cond.unlock()
    }

    /// One run's turns through this turnstile, with the time it spent computing (not waiting):
    /// what its time limit counts.
    final class Account: StepTurns, @unchecked Sendable {
        private let turnstile: FairTurnstile
        private let lock = NSLock()
        private var since: Date?
        private var spent: Double = 0

        init(_ turnstile: FairTurnstile) { self.turnstile = turnstile }

        func take() {
            turnstile.take()
            lock.lock()
            since = Date()
            lock.unlock()
        }

        func give() {
            lock.lock()
            if let s = since { spent += Date().timeIntervalSince(s) }
            since = nil
            lock.unlock()
            turnstile.give()
        }

        /// Seconds spent computing so far.
        var computeSeconds: Double {
            lock.lock()
            defer { lock.unlock() }
            return spent + (since.map { Date().timeIntervalSince($0) } ?? 0)
        }
    }
}
