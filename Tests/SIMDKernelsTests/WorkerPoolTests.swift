import Foundation
import Synchronization
import XCTest
@testable import SIMDKernels

/// `WorkerPool`: every iteration of every loop runs exactly once and only while its loop is
/// running, on the pool's threads too, after they have gone to sleep, with loops inside loops
/// and with several callers at once.
final class WorkerPoolTests: XCTestCase {
    /// Thousands of short loops back to back, three workers, a spin short enough that workers
    /// also sleep and wake between some of them. Each iteration checks that its own loop is the
    /// one in progress: a worker that woke late and ran an iteration of an ended loop (or the
    /// next loop's with the old count) would break the count or the check.
    func testEveryIterationRunsOnceAndOnlyDuringItsLoop() {
        let pool = WorkerPool(workers: 3, spinNanoseconds: 20_000)
        let current = Atomic<Int>(-1)
        let strays = Atomic<Int>(0)
        for loop in 0..<3000 {
            let count = 2 + loop % 37
            let hits = UnsafeMutableBufferPointer<Int>.allocate(capacity: count)
            hits.initialize(repeating: 0)
            current.store(loop, ordering: .sequentiallyConsistent)
            let ran = pool.run(count) { i in
                if current.load(ordering: .sequentiallyConsistent) != loop { strays.add(1, ordering: .relaxed) }
                hits[i] += 1
            }
            current.store(-1, ordering: .sequentiallyConsistent)
            XCTAssertTrue(ran, "an idle pool took no loop")
            if loop % 500 == 0 { usleep(2_000) }  // longer than the spin: the workers sleep
            XCTAssertEqual(Array(hits), Array(repeating: 1, count: count), "loop \(loop)")
            hits.deallocate()
        }
        XCTAssertEqual(strays.load(ordering: .relaxed), 0, "iterations ran after their loop had returned")
    }

    /// The workers take part, including after they have slept: with iterations long enough for a
    /// worker to wake, some run on a thread other than the caller's.
    func testWorkersRunIterationsAfterSleeping() throws {
        guard Parallel.coreCount > 1 else { throw XCTSkip("one core: the pool has no workers") }
        let pool = WorkerPool(workers: 1, spinNanoseconds: 10_000)
        let caller = pthread_self()
        var onWorker = 0
        for _ in 0..<20 {
            usleep(5_000)  // the worker is asleep when the loop starts
            let elsewhere = Atomic<Int>(0)
            XCTAssertTrue(pool.run(8) { _ in
                if pthread_equal(pthread_self(), caller) == 0 { elsewhere.add(1, ordering: .relaxed) }
                usleep(2_000)
            })
            onWorker += elsewhere.load(ordering: .relaxed)
        }
        XCTAssertGreaterThan(onWorker, 0, "no iteration ran on the pool's thread")
    }

    /// A loop inside a loop finds the pool busy and falls back to `concurrentPerform`; so does
    /// a caller on another thread while the pool is taken. Every sum is still exact.
    func testNestedLoopsAndConcurrentCallersGetExactResults() {
        let callers = 4, outer = 12, inner = 50
        let sums = UnsafeMutableBufferPointer<Int>.allocate(capacity: callers * outer * inner)
        sums.initialize(repeating: 0)
        defer { sums.deallocate() }
        DispatchQueue.concurrentPerform(iterations: callers) { c in
            for _ in 0..<20 {
                Parallel.forEach(outer) { o in
                    Parallel.forEach(inner) { i in sums[(c * outer + o) * inner + i] += 1 }
                }
            }
        }
        XCTAssertEqual(Array(sums), Array(repeating: 20, count: callers * outer * inner))
    }

    /// A pool without workers (one core) declines every loop, so `forEach` runs it elsewhere.
    func testPoolWithoutWorkersDeclines() {
        let pool = WorkerPool(workers: 0)
        XCTAssertFalse(pool.run(4) { _ in XCTFail("ran an iteration") })
    }
}
