import CCPUFeatures
import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// The kernels' own threads, one per core beside the caller's, kept awake for a moment after
/// each parallel loop so the next one starts at once: an opt-in for dedicated machines
/// (`fvd serve --worker-pool`, `Parallel.dispatcher`); the default is the design card's
/// `concurrentPerform`.
///
/// Why not `DispatchQueue.concurrentPerform` alone: its workers go to sleep as soon as a loop
/// ends, and on these virtual machines a sleeping thread takes 30 to 180 µs to wake. A step of
/// the seed job runs 14 parallel loops back to back (each layer and its pooling, both
/// directions), so the other core joined each one late: the step kept 1.87 of 2 cores busy. Here
/// a worker polls for `spinNanoseconds` after each loop before it sleeps, and a step's loops
/// follow each other far sooner than that.
///
/// One loop at a time: a caller that finds the pool busy (another job's step, or a loop
/// inside a loop) gets `false` from `run` and uses `concurrentPerform`, which never waits for
/// the pool. The daemon's steps take turns (`FairTurnstile`), so that is rare.
///
/// A loop is published as a generation: `state` holds the generation in one word and the
/// loop's iteration count and next unclaimed iteration in the other. A participant claims an
/// iteration with one double-word compare-and-swap, which also checks the generation and the
/// count, so a worker that wakes late, after its loop has ended, can never claim an iteration
/// of the next loop, nor run the next loop's body with the last loop's count.
public final class WorkerPool: @unchecked Sendable {
    /// How long an idle worker polls for the next loop before it sleeps: longer than the serial
    /// gaps inside a step (tens of µs), short enough that an idle daemon burns nothing.
    static let defaultSpinNanoseconds: UInt64 = 500_000

    static let shared = WorkerPool(workers: Parallel.coreCount - 1)

    /// The workers' thread name.
    public static let threadName = "fvd-pool"

    /// Threads started (fewer than asked for if the system refused some).
    private(set) var workers = 0
    let spinNanoseconds: UInt64
    private let busy = Atomic<Bool>(false)
    /// (generation, count << 32 | next iteration).
    private let state = Atomic<WordPair>(WordPair(first: 0, second: 0))
    private let completed = Atomic<Int>(0)
    private let sleepers = Atomic<Int>(0)
    /// The current loop's body. Written only while `busy` is held and before its generation is
    /// published; read only by a participant that has claimed an iteration, which keeps the
    /// loop (and so this body) from ending until that iteration is done.
    private nonisolated(unsafe) var body: ((Int) -> Void)?
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)

    /// Starts `workers` threads, which live as long as the process (the shared pool's do). A
    /// thread the system refuses (a task limit reached) is one worker fewer, not a failure: the
    /// loops run on the threads there are, or on `concurrentPerform`.
    init(workers: Int, spinNanoseconds: UInt64 = WorkerPool.defaultSpinNanoseconds) {
        self.spinNanoseconds = spinNanoseconds
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(wake, nil)
        for _ in 0..<max(0, workers) where startThread() { self.workers += 1 }
    }

    /// Runs `body(i)` for i in 0..<count on the caller and the workers. Returns `false`, having
    /// run nothing, when the pool is in use or has no workers.
    func run(_ count: Int, _ body: (Int) -> Void) -> Bool {
        guard workers > 0, count < 1 << 31,
              busy.compareExchange(expected: false, desired: true, ordering: .acquiring).exchanged
        else { return false }
        defer { busy.store(false, ordering: .releasing) }
        withoutActuallyEscaping(body) { body in
            self.body = body
            completed.store(0, ordering: .relaxed)
            let generation = state.load(ordering: .relaxed).first &+ 1
            state.store(WordPair(first: generation, second: UInt(count) << 32), ordering: .sequentiallyConsistent)
            if sleepers.load(ordering: .sequentiallyConsistent) > 0 {
                pthread_mutex_lock(mutex)
                pthread_cond_broadcast(wake)
                pthread_mutex_unlock(mutex)
            }
            work(generation: generation)
            // The workers' last iterations: short, so spin; yield if a worker was preempted.
            var polls = 0
            while completed.load(ordering: .acquiring) < count {
                polls += 1
                if polls < 4096 { fvd_pause() } else { sched_yield() }
            }
            self.body = nil
        }
        return true
    }

    /// Claims and runs iterations of loop `generation` until none is left.
    private func work(generation: UInt) {
        var ran = 0
        var current = state.load(ordering: .acquiring)
        while current.first == generation {
            let next = Int(current.second & 0xffff_ffff), count = Int(current.second >> 32)
            if next >= count { break }
            let (claimed, seen) = state.compareExchange(expected: current, desired: WordPair(first: generation, second: current.second + 1),
                                                        ordering: .acquiringAndReleasing)
            guard claimed else { current = seen; continue }
            runIteration(next)
            ran += 1
            current = state.load(ordering: .acquiring)
        }
        if ran > 0 { completed.add(ran, ordering: .releasing) }
    }

    /// One iteration, out of line so that the copy of `body` it loads is released when it
    /// returns: before `completed` counts the iteration, and so before `run` ends its
    /// `withoutActuallyEscaping`, which traps if the body is still referenced.
    @inline(never)
    private func runIteration(_ i: Int) {
        body!(i)
    }

    private func workerLoop() {
        var seen = state.load(ordering: .acquiring).first
        while true {
            let generation = waitForLoop(after: seen)
            seen = generation
            work(generation: generation)
        }
    }

    /// The generation of the next loop after `seen`: polled for `spinNanoseconds`, then slept for.
    private func waitForLoop(after seen: UInt) -> UInt {
        let start = DispatchTime.now().uptimeNanoseconds
        var polls = 0
        while true {
            let generation = state.load(ordering: .acquiring).first
            if generation != seen { return generation }
            fvd_pause()
            polls += 1
            if polls % 64 == 0 && DispatchTime.now().uptimeNanoseconds - start > spinNanoseconds { break }
        }
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        // Counted before the generation is read again (both sequentially consistent): a caller
        // that publishes after this read sees the sleeper and broadcasts under the mutex.
        sleepers.add(1, ordering: .sequentiallyConsistent)
        defer { sleepers.subtract(1, ordering: .sequentiallyConsistent) }
        while true {
            let generation = state.load(ordering: .sequentiallyConsistent).first
            if generation != seen { return generation }
            pthread_cond_wait(wake, mutex)
        }
    }

    private func startThread() -> Bool {
        let box = Unmanaged.passRetained(self)
        var thread = pthread_t()
        let made = pthread_create(&thread, nil, { box in
            let pool = Unmanaged<WorkerPool>.fromOpaque(box!).takeRetainedValue()
            // Named, so `top -H` and /proc/PID/task/*/comm show whether the pool is in use.
            fvd_name_this_thread(WorkerPool.threadName)
            pool.workerLoop()
            return nil
        }, box.toOpaque())
        guard made == 0 else {
            box.release()
            return false
        }
        pthread_detach(thread)
        return true
    }
}
