import FVImage
import FVModel
import FVOptim
import Foundation
import SIMDKernels

/// fvd's benchmark (release build, not part of `swift test`): the machine's FMA peak, every
/// VGG16 conv layer forward and backward, the reference jobs in seconds per step, and the lucid
/// preset's cost. Prints Markdown; docs/PERFORMANCE.md holds the latest run. With `--quality`,
/// the quality benchmark instead (docs/QUALITY.md), pictures written to `--out` (default
/// quality-out/); `--steps-seed N` / `--steps-lucid N` shorten it for a trial.
///
///     swift run -c release fvbench [--quick] [--jobs-only] [--reps N]
///     swift run -c release fvbench --layers-only [--sizes 150,224] [--batches 1,16]   (kernel work)
///     swift run -c release fvbench --phases [--sizes 150] [--batches 1]                 (Winograd's three phases)
///     swift run -c release fvbench --jobs-only --no-lucid [--job seed|grid|big]                                 (the three jobs)
///     ... [--tiling f4x4|f6x6]   (one Winograd algorithm on every layer instead of each layer's preferred one)
///     swift run -c release fvbench --vs-tiling f4x4 [--job seed|grid|big] [--reps N]     (the jobs, preferred against one algorithm, in turn)
///     swift run -c release fvbench --seed-vs-peak [--reps N]     (the seed job against the FMA peak, pair by pair)
///     swift run -c release fvbench --vs-dispatch [--job seed|grid|big] [--reps N]     (the jobs, worker pool against concurrentPerform, in turn)
///     swift run -c release fvbench --diversity [--layer L] [--steps N] [--weights-list 100,10000] [--out DIR]   (how different diverse pictures are)
///     swift run -c release fvbench --quality [--out DIR]
///     swift run -c release fvbench --atlas [--steps N] [--batches 8,16] [--reps N]   (the atlas's batches against lone renders)
///     swift run -c release fvbench --atlas-estimate [--steps N]   (the whole network's atlas in core-hours)
@main
struct Fvbench {
    /// A failure (no weights file, say) is one line that says what to do, and exit status 1.
    static func main() {
        do {
            try run()
        } catch {
            FileHandle.standardError.write(Data("fvbench: \(error)\n".utf8))
            exit(1)
        }
    }

    static func run() throws {
        let args = CommandLine.arguments.dropFirst()
        /// The word after `name`, if both are there.
        func value(_ name: String) -> String? { args.firstIndex(of: name).flatMap { args.index(after: $0) < args.endIndex ? args[args.index(after: $0)] : nil } }
        /// The comma-separated numbers after `name`.
        func list(_ name: String) -> [Int]? { value(name).map { $0.split(separator: ",").compactMap { Int($0) } } }
        let quick = args.contains("--quick")
        let jobsOnly = args.contains("--jobs-only")
        let reps = value("--reps").flatMap { Int($0) } ?? (quick ? 3 : 5)
        if let why = CPUFeatures.refusal() {
            print("fvbench: \(why)")
            exit(1)
        }
        let remeasureDir = value("--remeasure-trr")
        // Before the weights are loaded: a folder with nothing to measure fails at once.
        if let dir = remeasureDir { try QualityBench.checkHasPictures(dir) }
        let weights = try ResidentWeights(path: WeightsLocator.defaultPath())
        if let dir = remeasureDir {
            // fvbench --remeasure-trr DIR [grey|edge]: TRR of a quality run's pictures again.
            let fill = args.drop(while: { $0 != "--remeasure-trr" }).dropFirst(2).first.flatMap { TransformRobustness.Fill(rawValue: $0) } ?? .grey
            try QualityBench.remeasure(VGG16Network(weights: weights, backend: .simd), dir: dir, fill: fill)
            return
        }
        if args.contains("--quality") {
            var steps: [Preset: Int] = [:]
            steps[.seed] = value("--steps-seed").flatMap { Int($0) }
            steps[.lucid] = value("--steps-lucid").flatMap { Int($0) }
            print("# fvbench --quality")
            print("")
            print("- machine: \(machineName()), \(Parallel.coreCount) cores")
            print("- date: \(ISO8601DateFormatter().string(from: Date()))")
            print("")
            // Trials: --presets lucid, --filters block4_conv3:12,block5_conv3:10, --tv/--blur/--l1 W.
            let presets = value("--presets").map { $0.split(separator: ",").compactMap { Preset(rawValue: String($0)) } } ?? [.seed, .lucid]
            let only = value("--filters").map { $0.split(separator: ",").compactMap { f -> (String, Int)? in
                let parts = f.split(separator: ":")
                return parts.count == 2 ? (String(parts[0]), Int(parts[1]) ?? 0) : nil
            } }
            let penalties = PicturePenalties(totalVariation: value("--tv").flatMap(Float.init) ?? 0, l1: value("--l1").flatMap(Float.init) ?? 0,
                                             blur: value("--blur").flatMap(Float.init) ?? 0)
            // --spectrum-from FOLDER: the natural renders draw with that folder's spectrum.
            var spectrum: AmplitudeSpectrum?
            if let folder = value("--spectrum-from") {
                let estimator = try SpectrumEstimator.measuring(folder: folder, option: "--spectrum-from", size: Preset.natural.size) {
                    print("- skipped \($0)")
                }
                spectrum = try estimator.spectrum()
                print("- natural spectrum: measured from the \(estimator.pictures) pictures of \(folder)")
                print("")
            }
            try QualityBench.run(VGG16Network(weights: weights, backend: .simd), presets: presets, steps: steps, out: value("--out") ?? "quality-out",
                                 only: only, penalties: penalties, spectrum: spectrum,
                                 transforms: value("--transforms").flatMap(TransformKind.init) ?? .lucid)
            return
        }
        if args.contains("--phases") {
            let peak = FMAPeak.measure(threads: Parallel.coreCount)
            PhaseTimer.run(weights, reps: reps, sizes: list("--sizes") ?? [150], batches: list("--batches") ?? [1], peak: peak)
            return
        }
        /// A Winograd algorithm named after `option`, or nil when the option is not given.
        func tilingOption(_ option: String) -> WinogradConvolution.Tiling? {
            guard let name = value(option) else { return nil }
            guard let t = WinogradConvolution.Tiling.allCases.first(where: { "\($0)" == name }) else {
                print("fvbench: \(option) takes \(WinogradConvolution.Tiling.allCases.map { "\($0)" }.joined(separator: " or ")), not \(name)")
                exit(1)
            }
            return t
        }
        if args.contains("--seed-vs-peak") {
            SeedVersusPeak.run(weights, reps: value("--reps").flatMap { Int($0) } ?? 15)
            return
        }
        if args.contains("--atlas") {
            try AtlasBench.throughput(VGG16Network(weights: weights), steps: value("--steps").flatMap { Int($0) } ?? 512,
                                      batches: list("--batches") ?? [16], reps: value("--reps").flatMap { Int($0) } ?? 2)
            return
        }
        if args.contains("--atlas-estimate") {
            try AtlasBench.estimate(VGG16Network(weights: weights), steps: value("--steps").flatMap { Int($0) } ?? 32)
            return
        }
        if args.contains("--diversity") {
            let list = (value("--weights-list") ?? "100,10000").split(separator: ",").compactMap { Float($0) }
            try DiversityBench.run(VGG16Network(weights: weights), weights: list, steps: value("--steps").flatMap { Int($0) },
                                   out: value("--out") ?? "diversity-out", only: value("--layer"))
            return
        }
        if args.contains("--vs-dispatch") {
            DispatchComparison.run(weights, reps: reps, only: value("--job"))
            return
        }
        if let against = tilingOption("--vs-tiling") {
            TilingComparison.run(weights, against: against, reps: reps, only: value("--job"))
            return
        }
        let tiling = tilingOption("--tiling")
        let t0 = Date()
        let net = VGG16Network(weights: weights, backend: .simd, tiling: tiling)
        let prepare = Date().timeIntervalSince(t0)

        print("# fvbench")
        print("")
        print("- machine: \(machineName()), \(Parallel.coreCount) cores")
        print("- date: \(ISO8601DateFormatter().string(from: Date()))")
        if let tiling { print("- Winograd \(tiling) on every layer (--tiling)") }
        print("- weight preparation (Winograd transforms, both directions): \(Benchmark.f(prepare, 2)) s, \(net.transformedBytes >> 20) MiB resident")
        print("- measured FMA peak: \(Benchmark.f(FMAPeak.measure(threads: 1), 1)) GFLOP/s on one core, \(Benchmark.f(FMAPeak.measure(threads: Parallel.coreCount), 1)) GFLOP/s on \(Parallel.coreCount) cores")
        print("- medians of \(reps) runs after a warm-up; effective GFLOP/s = direct-convolution FLOPs / time")
        print("")
        let layersOnly = args.contains("--layers-only")
        if !layersOnly {
            jobs(net, reps: reps, only: value("--job"))
            if !args.contains("--no-lucid") { LucidBench.run(net, reps: reps, endToEnd: !quick) }
        }
        if !jobsOnly {
            layers(net, reps: quick ? 1 : 3, sizes: list("--sizes") ?? (quick ? [150] : [150, 224]),
                   batches: list("--batches") ?? (quick ? [1] : [1, 16]))
        }
    }

    /// The three reference jobs (docs/PERFORMANCE.md), seconds per ascent step (forward + backward).
    static func jobs(_ net: VGG16Network, reps: Int, only: String? = nil) {
        let engine = GradientAscent(network: net)
        let table: [(String, String, Int, Int, Double)] = [
            ("seed: 150x150, block3_conv1, batch 1", "block3_conv1", 150, 1, 0.21),
            ("grid: 64x64, block4_conv3, batch 16", "block4_conv3", 64, 16, 1.92),
            ("big: 224x224, block5_conv3, batch 1", "block5_conv3", 224, 1, 1.81),
        ]
        print("## The three jobs (seconds per step)")
        print("")
        print("| job | fvd s/step | best peer s/step (TF, JAX or PyTorch on a Zen 1; other CPUs: scripts/compare-tensorflow.sh) | speed-up | effective GFLOP/s |")
        print("| --- | --- | --- | --- | --- |")
        for (name, layer, size, batch, peer) in table where only.map({ name.hasPrefix($0 + ":") }) ?? true {
            // Seconds per step = (time of an 8-step run - time of a 2-step run) / 6: set-up,
            // the random start and the final forward cancel out.
            func job(_ steps: Int) -> AscentJob {
                AscentJob(layer: layer, items: (0..<batch).map { .init(filter: $0, seed: UInt32($0)) }, size: size, steps: steps, stepSize: 1)
            }
            let long = Benchmark.time(reps: reps) { _ = try! engine.run(job(8), stopWhenNothingFires: false) }
            let short = Benchmark.time(reps: reps) { _ = try! engine.run(job(2), stopWhenNothingFires: false) }
            let perStep = (long - short) / 6
            let idx = VGG16.layer(named: layer)!.index
            // Forward plus backward-data: twice the forward FLOPs (10.06 GFLOP for the seed job).
            let flops = 2 * VGG16.forwardFLOPs(throughLayer: idx, h: size, w: size) * Double(batch)
            print("| \(name) | \(Benchmark.f(perStep, 4)) | \(peer) | \(Benchmark.f(peer / perStep, 1))x | \(Benchmark.f(flops / perStep / 1e9, 0)) |")
        }
        print("")
    }

    /// Every layer alone, forward (with bias + ReLU) and backward-data, at each size and batch.
    static func layers(_ net: VGG16Network, reps: Int, sizes: [Int], batches: [Int]) {
        print("## Every conv layer (milliseconds; effective GFLOP/s)")
        print("")
        print("| layer | size | batch | forward ms | fwd GFLOP/s | backward ms | bwd GFLOP/s |")
        print("| --- | --- | --- | --- | --- | --- | --- |")
        for size in sizes {
            for batch in batches {
                for l in VGG16.layers {
                    let s = VGG16.outputShape(layer: l.index, n: batch, h: size, w: size)
                    let inShape = TensorShape(n: batch, h: s.h, w: s.w, c: l.inChannels)
                    let outShape = inShape.with(c: l.outChannels)
                    let flops = 2.0 * 9 * Double(l.inChannels * l.outChannels) * Double(s.h * s.w * batch)
                    let (f, b) = LayerTimer.time(net, l, inShape: inShape, outShape: outShape, reps: reps)
                    print("| \(l.name) | \(size) | \(batch) | \(Benchmark.f(f * 1000, 2)) | \(Benchmark.f(flops / f / 1e9, 0)) | \(Benchmark.f(b * 1000, 2)) | \(Benchmark.f(flops / b / 1e9, 0)) |")
                }
            }
        }
        print("")
    }

    static func machineName() -> String {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) else { return "unknown CPU" }
        return info.split(separator: "\n").first { $0.hasPrefix("model name") }?.split(separator: ":").last?.trimmingCharacters(in: .whitespaces) ?? "unknown CPU"
    }
}
