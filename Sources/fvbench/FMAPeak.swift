import Dispatch
import Foundation
import SIMDKernels

/// The machine's measured FMA peak: twelve independent SIMD8 accumulators (enough to hide FMA
/// latency) updated in a tight loop, on one core and on all of them.
enum FMAPeak {
    @inline(never)
    static func spin(_ iterations: Int, _ seed: Float) -> Float {
        // Every accumulator starts different, or the optimiser merges the twelve chains into one.
        let a = SIMD8<Float>(repeating: 0.999999), b = SIMD8<Float>(repeating: seed)
        let one = SIMD8<Float>(repeating: 1)
        var c0 = b, c1 = b + one, c2 = b + 2 * one, c3 = b + 3 * one, c4 = b + 4 * one, c5 = b + 5 * one
        var c6 = b + 6 * one, c7 = b + 7 * one, c8 = b + 8 * one, c9 = b + 9 * one, c10 = b + 10 * one, c11 = b + 11 * one
        for _ in 0..<iterations {
            c0.addProduct(c0, a); c1.addProduct(c1, a); c2.addProduct(c2, a); c3.addProduct(c3, a)
            c4.addProduct(c4, a); c5.addProduct(c5, a); c6.addProduct(c6, a); c7.addProduct(c7, a)
            c8.addProduct(c8, a); c9.addProduct(c9, a); c10.addProduct(c10, a); c11.addProduct(c11, a)
        }
        let s = c0 + c1 + c2 + c3 + c4 + c5 + c6 + c7 + c8 + c9 + c10 + c11
        return s[0] + s[7]
    }

    /// GFLOP/s (2 FLOPs per lane per FMA), median of `reps`.
    static func measure(threads: Int, reps: Int = 5) -> Double {
        let iterations = 20_000_000
        var rates: [Double] = []
        for _ in 0..<reps {
            let t0 = DispatchTime.now().uptimeNanoseconds
            DispatchQueue.concurrentPerform(iterations: threads) { i in
                if spin(iterations, Float(i)) == 12345 { print("") }  // keep the result alive
            }
            let dt = Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            rates.append(Double(threads) * Double(iterations) * 12 * 16 / dt / 1e9)
        }
        return Benchmark.median(rates)
    }
}
