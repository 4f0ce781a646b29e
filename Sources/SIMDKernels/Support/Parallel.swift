import CCPUFeatures
import Dispatch

/// How kernels spread work over the cores: `DispatchQueue.concurrentPerform`, which runs a loop's
/// iterations on the calling thread and the system's pool (the design card's choice, and the
/// default), or, opted into for a dedicated machine, `WorkerPool`'s threads, which poll for
/// 0.5 ms after each loop instead of sleeping (about 5% of a step faster on 2 cores, paid for
/// in cycles other users of a shared workstation could have had: docs/PERFORMANCE.md).
public enum Parallel {
    public enum Dispatcher: String, Sendable, CaseIterable {
        /// `DispatchQueue.concurrentPerform` for every loop.
        case concurrentPerform
        /// `WorkerPool` first; `concurrentPerform` when the pool is taken.
        case workerPool
    }

    /// Who runs the loops. Set once at start-up (`fvd serve --worker-pool`) or, in `fvbench
    /// --vs-dispatch`, between loops; never during one.
    nonisolated(unsafe) public static var dispatcher = Dispatcher.concurrentPerform

    /// Runs `body(i)` for i in 0..<count on all cores. Falls back to a plain loop for one item
    /// so tiny layers do not pay the dispatch cost.
    @inline(__always)
    public static func forEach(_ count: Int, _ body: (Int) -> Void) {
        if count <= 1 {
            if count == 1 { body(0) }
            return
        }
        if dispatcher == .workerPool && WorkerPool.shared.run(count, body) { return }
        DispatchQueue.concurrentPerform(iterations: count, execute: body)
    }

    /// Splits 0..<total into about `chunksPerCore` chunks per core, calling `body(range)`.
    public static func forRanges(_ total: Int, minChunk: Int = 1, _ body: (Range<Int>) -> Void) {
        guard total > 0 else { return }
        let chunks = min(max(1, total / max(minChunk, 1)), coreCount * 4)
        let size = (total + chunks - 1) / chunks
        let n = (total + size - 1) / size
        forEach(n) { i in body((i * size)..<min(total, (i + 1) * size)) }
    }

    /// The cores this process may run on, taken once at first use: `WorkerPool` starts one
    /// thread per core beside the caller, and the loops are cut for this many.
    public static let coreCount: Int = allowedCores()

    /// The CPUs in the calling thread's affinity mask (what `taskset`, a container's cpuset or
    /// systemd's `CPUAffinity=` leave it), or the online CPUs where there is no such mask. The
    /// online count alone would start more polling workers than CPUs under such a mask, and a
    /// worker polling on the caller's CPU takes turns with the caller's serial work.
    public static func allowedCores() -> Int {
        let allowed = Int(fvd_allowed_cpus())
        if allowed > 0 { return allowed }
        #if canImport(Glibc)
        return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        #else
        return 1
        #endif
    }
}

#if canImport(Glibc)
import Glibc
#endif
