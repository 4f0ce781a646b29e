import FVModel
import FVOptim
import SIMDKernels

/// `fvbench --vs-dispatch [--job seed|grid|big] [--reps N]`: the three jobs with the kernels'
/// loops on `WorkerPool`'s threads, which stay awake between loops, against every loop on
/// `DispatchQueue.concurrentPerform`, whose threads sleep as each loop ends; one network,
/// timed in turn (`PairedJobs`).
enum DispatchComparison {
    static func run(_ weights: ResidentWeights, reps: Int, only: String?) {
        let engine = GradientAscent(network: VGG16Network(weights: weights))
        func step(pool: Bool) -> (String, Int, Int) -> Double {
            { layer, size, batch in
                Parallel.dispatcher = pool ? .workerPool : .concurrentPerform
                defer { Parallel.dispatcher = .concurrentPerform }
                return Benchmark.stepSeconds(engine, layer: layer, size: size, batch: batch)
            }
        }
        PairedJobs.run(title: "The three jobs, worker pool against concurrentPerform", firstName: "worker pool", secondName: "concurrentPerform",
                       reps: reps, only: only, first: step(pool: true), second: step(pool: false))
    }
}
