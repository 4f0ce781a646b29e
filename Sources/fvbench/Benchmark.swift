import Dispatch
import FVOptim
import Foundation

enum Benchmark {
    static func median(_ xs: [Double]) -> Double {
        let s = xs.sorted()
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2]) / 2
    }

    /// Median seconds of `reps` runs of `body`, after one warm-up run.
    static func time(reps: Int, _ body: () -> Void) -> Double {
        body()
        var ts: [Double] = []
        for _ in 0..<reps {
            let t0 = DispatchTime.now().uptimeNanoseconds
            body()
            ts.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
        }
        return median(ts)
    }

    static func f(_ x: Double, _ digits: Int = 3) -> String { String(format: "%.\(digits)f", x) }

    /// Seconds of one ascent step of `batch` images of `size` px to `layer`, from one 8-step and
    /// one 2-step run: (long - short) / 6, so set-up, the random start and the final forward
    /// cancel out. For measures that pair each step with something timed right beside it.
    static func stepSeconds(_ engine: GradientAscent, layer: String, size: Int, batch: Int) -> Double {
        func job(_ steps: Int) -> AscentJob {
            AscentJob(layer: layer, items: (0..<batch).map { .init(filter: $0, seed: UInt32($0)) }, size: size, steps: steps, stepSize: 1)
        }
        let long = time(reps: 1) { _ = try! engine.run(job(8), stopWhenNothingFires: false) }
        let short = time(reps: 1) { _ = try! engine.run(job(2), stopWhenNothingFires: false) }
        return (long - short) / 6
    }
}
