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
        AscentJob(objective: preset.objective(layer: layer), items: [.init(filter: filter, seed: 0)], size: size, steps: steps,
                  stepSize: preset.stepSize, style: preset.style, transformSeed: 0)
    }

    static func run(_ net: VGG16Network, reps: Int, endToEnd: Bool) {
        let engine = GradientAscent(network: net)
        func perStep(_ preset: Preset, _ layer: String, _ filter: Int, size: Int) -> Double {
            // As for the reference jobs: (8-step run - 2-step run) / 6 cancels the set-up.
            let long = Benchmark.time(reps: reps) { _ = try! engine.run(job(preset, layer, filter, size: size, steps: 8)) }
            let short = Benchmark.time(reps: reps) { _ = try! engine.run(job(preset, layer, filter, size: size, steps: 2)) }
            return (long - short) / 6
        }
        print("## The lucid preset (seconds per step, batch 1)")
        print("")
        print("| layer, filter | lucid 128 px | seed 128 px | lucid / seed | seed 140 px (mean network input) | lucid / seed 140 |")
        print("| --- | --- | --- | --- | --- | --- |")
        for (layer, filter) in renders {
            // A dead filter would stop the seed job after one step; the channel head's cost does
            // not depend on the filter, so the seed rows time a live one (0) of the same layer.
            let lucid = perStep(.lucid, layer, filter, size: 128)
            let seed128 = perStep(.seed, layer, 0, size: 128)
            let seed140 = perStep(.seed, layer, 0, size: 140)
            print("| \(layer) \(filter) | \(Benchmark.f(lucid, 4)) | \(Benchmark.f(seed128, 4)) | \(Benchmark.f(lucid / seed128, 2))x | \(Benchmark.f(seed140, 4)) | \(Benchmark.f(lucid / seed140, 2))x |")
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
