import FVModel
import FVOptim
import SIMDKernels

/// `fvbench --vs-tiling f4x4|f6x6 [--job seed|grid|big] [--reps N]`: the three jobs on the
/// product's network (each layer's preferred Winograd algorithm) against a network with one
/// algorithm everywhere, both resident in one process and timed in turn (`PairedJobs`).
enum TilingComparison {
    static func run(_ weights: ResidentWeights, against tiling: WinogradConvolution.Tiling, reps: Int, only: String?) {
        let product = GradientAscent(network: VGG16Network(weights: weights))
        let other = GradientAscent(network: VGG16Network(weights: weights, tiling: tiling))
        PairedJobs.run(title: "The three jobs, preferred tilings against \(tiling) everywhere", firstName: "preferred", secondName: "\(tiling)",
                       reps: reps, only: only,
                       first: { Benchmark.stepSeconds(product, layer: $0, size: $1, batch: $2) },
                       second: { Benchmark.stepSeconds(other, layer: $0, size: $1, batch: $2) })
    }
}
