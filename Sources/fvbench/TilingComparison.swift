import FVModel
import FVOptim
import SIMDKernels

/// `fvbench --vs-tiling f4x4|f6x6 [--job seed|grid|big] [--reps N]`: the three jobs on the
/// product's network (each layer's preferred Winograd algorithm) against a network with one
/// algorithm everywhere, both resident in one process and timed in turn, rep by rep. On a
/// shared host whose speed drifts by half between runs, only such pairs show a change of a few
/// percent; each row gives the per-pair ratios' median and range.
enum TilingComparison {
    static func run(_ weights: ResidentWeights, against tiling: WinogradConvolution.Tiling, reps: Int, only: String?) {
        let product = GradientAscent(network: VGG16Network(weights: weights))
        let other = GradientAscent(network: VGG16Network(weights: weights, tiling: tiling))
        print("## The three jobs, preferred tilings against \(tiling) everywhere (seconds per step, \(reps) pairs)")
        print("")
        print("| job | preferred s/step | \(tiling) s/step | ratio, median of pairs | ratio range |")
        print("| --- | --- | --- | --- | --- |")
        for (name, layer, size, batch) in [("seed", "block3_conv1", 150, 1), ("grid", "block4_conv3", 64, 16), ("big", "block5_conv3", 224, 1)]
        where only.map({ $0 == name }) ?? true {
            var a: [Double] = [], b: [Double] = []
            for _ in 0..<reps {
                a.append(Benchmark.stepSeconds(product, layer: layer, size: size, batch: batch))
                b.append(Benchmark.stepSeconds(other, layer: layer, size: size, batch: batch))
            }
            let ratios = zip(a, b).map { $0 / $1 }.sorted()
            print("| \(name) | \(Benchmark.f(Benchmark.median(a), 4)) | \(Benchmark.f(Benchmark.median(b), 4)) | "
                  + "\(Benchmark.f(Benchmark.median(ratios), 3)) | \(Benchmark.f(ratios.first!, 2))-\(Benchmark.f(ratios.last!, 2)) |")
        }
        print("")
    }
}
