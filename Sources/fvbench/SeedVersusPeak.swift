import FVModel
import FVOptim
import SIMDKernels

/// `fvbench --seed-vs-peak [--reps N]`: the seed job's effective rate against the FMA peak,
/// each step timed right after a peak measurement, pair by pair. The plain `--jobs-only` table
/// measures the peak once per run; on a shared host whose load moves a run's speed by half,
/// a ratio whose two halves were taken seconds apart says little, and a peak that read low
/// (another process on a core) makes the ratio meaningless. Pairs whose peak read below 90% of
/// the run's best peak are counted apart.
enum SeedVersusPeak {
    static func run(_ weights: ResidentWeights, reps: Int) {
        let engine = GradientAscent(network: VGG16Network(weights: weights))
        let flops = 2 * VGG16.forwardFLOPs(throughLayer: VGG16.layer(named: "block3_conv1")!.index, h: 150, w: 150)
        var pairs: [(peak: Double, step: Double)] = []
        for _ in 0..<reps {
            let peak = FMAPeak.measure(threads: Parallel.coreCount, reps: 3)
            pairs.append((peak, Benchmark.stepSeconds(engine, layer: "block3_conv1", size: 150, batch: 1)))
        }
        let best = pairs.map(\.peak).max()!
        let fair = pairs.filter { $0.peak >= 0.9 * best }
        let ratios = fair.map { flops / $0.step / 1e9 / $0.peak }.sorted()
        print("## The seed job against the FMA peak, pair by pair (\(reps) pairs)")
        print("")
        print("| pairs with a full peak | peak GFLOP/s | seed s/step, median (best) | effective / peak, median | range | pairs at 2.5x or more |")
        print("| --- | --- | --- | --- | --- | --- |")
        let steps = fair.map(\.step)
        print("| \(fair.count) of \(reps) | \(Benchmark.f(fair.map(\.peak).min()!, 0))-\(Benchmark.f(best, 0)) | "
              + "\(Benchmark.f(Benchmark.median(steps), 4)) (\(Benchmark.f(steps.min()!, 4))) | \(Benchmark.f(Benchmark.median(ratios), 2))x | "
              + "\(Benchmark.f(ratios.first!, 2))-\(Benchmark.f(ratios.last!, 2))x | \(ratios.filter { $0 >= 2.5 }.count) |")
        print("")
    }
}
