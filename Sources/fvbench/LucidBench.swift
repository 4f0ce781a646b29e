import Dispatch
import FVModel
import FVOptim
import Foundation

/// What the lucid preset's own parts cost (Fourier picture, colour, transforms and their
/// adjoints, Adam): a lucid step against a seed-preset step of the same layer, at the picture's
/// size and at the network input's mean size under the random transforms (140 px for 128), and
/// the two reference renders end to end.
enum LucidBench {
    static let renders: [(String, Int)] = [("block4_conv3", 12), ("block5_conv3", 10)]

    static func job(_ preset: Preset, _ layer: String, _ filter: Int, size: Int, steps: Int) -> AscentJob {
        AscentJob(preset: preset, layer: layer, items: [.init(filter: filter, seed: 0)], size: size, steps: steps)
    }

    static func run(_ net: VGG16Network, reps: Int, endToEnd: Bool) {
        let engine = GradientAscent(network: net)
        /// Seconds of one step: (48-step run - 24-step run) / 24 cancels the set-up and, for
        /// lucid, the first 16 steps' redirected ReLU: what the other 496 of its 512 steps cost.
        func perStep(_ preset: Preset, _ layer: String, _ filter: Int, size: Int) -> Double {
            func seconds(_ steps: Int) -> Double {
                let t0 = DispatchTime.now().uptimeNanoseconds
                _ = try! engine.run(job(preset, layer, filter, size: size, steps: steps), stopWhenNothingFires: false)
                return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
            }
            return (seconds(48) - seconds(24)) / 24
        }
        print("## The lucid preset (seconds per step, batch 1)")
        print("")
        print("The three configurations are timed in turn, \(reps) rounds, medians: one machine, one run.")
        print("")
        print("| layer, filter | lucid 128 px | seed 128 px | lucid / seed | seed 140 px (mean network input) | lucid / seed 140 |")
        print("| --- | --- | --- | --- | --- | --- |")
        for (layer, filter) in renders {
            // The same filter: the seed job would stop a dead one after one step, so timing runs
            // every step anyway (stopWhenNothingFires: false).
            _ = perStep(.lucid, layer, filter, size: 128)  // warm-up
            var lucid: [Double] = [], seed128: [Double] = [], seed140: [Double] = []
            for _ in 0..<reps {
                lucid.append(perStep(.lucid, layer, filter, size: 128))
                seed128.append(perStep(.seed, layer, filter, size: 128))
                seed140.append(perStep(.seed, layer, filter, size: 140))
            }
            let (l, s1, s2) = (Benchmark.median(lucid), Benchmark.median(seed128), Benchmark.median(seed140))
            print("| \(layer) \(filter) | \(Benchmark.f(l, 4)) | \(Benchmark.f(s1, 4)) | \(Benchmark.f(l / s1, 2))x | \(Benchmark.f(s2, 4)) | \(Benchmark.f(l / s2, 2))x |")
        }
        print("")
        guard endToEnd else { return }
        print("| render (--preset lucid: 128 px, 512 steps) | seconds end to end |")
        print("| --- | --- |")
        for (layer, filter) in renders {
            let t0 = Date()
            _ = try! engine.run(job(.lucid, layer, filter, size: Preset.lucid.size, steps: Preset.lucid.steps))
            print("| `fvctl pattern \(layer) \(filter) --preset lucid` | \(Benchmark.f(Date().timeIntervalSince(t0), 1)) |")
        }
        print("")
    }
}
