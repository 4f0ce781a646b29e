import ArgumentParser
import FVImage
import FVModel
import FVOptim
import FVProtocol
import FVServer
import Foundation

/// Runs one job in this process, without a daemon: for debugging, and for timing the engine.
struct Render: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Render one filter's pattern in-process (no daemon) and write a PNG.")

    @Argument(help: "Layer name, e.g. block3_conv1.") var layer: String
    @Argument(help: "Filter index.") var filter: Int
    @Option(help: "Preset: seed (the Keras notebook), grid or lucid (Lucid's render_vis).") var preset: String = "seed"
    @Option(help: "Image side in pixels.") var size: Int?
    @Option(help: "Number of ascent steps.") var steps: Int?
    @Option(name: .customLong("step-size"), help: "Step size.") var stepSize: Float?
    @Option(help: "Seed of the random start (numpy-compatible).") var seed: UInt32 = 0
    @Option(help: "Kernels: simd or reference.") var kernels: String = "simd"
    @Option(help: "Weights file.") var weights: String?
    @Option(name: .shortAndLong, help: "Output PNG (default LAYER_FILTER.png).") var output: String?

    func run() throws {
        try requireCPUFeatures()
        guard let backend = KernelBackend(rawValue: kernels) else { throw ValidationError("unknown kernels \(kernels); use simd or reference") }
        let options = RenderOptions(preset: preset, size: size, steps: steps, stepSize: stepSize.map(Double.init), seed: Int(seed))
        let job: AscentJob
        do { job = try JobResolver.ascentJob(layer: layer, filters: [filter], options: options, defaultPreset: .seed) } catch let e as RPCError {
            throw ValidationError(e.message)
        }
        let t0 = Date()
        let w = try ResidentWeights(path: weights ?? WeightsLocator.defaultPath())
        let net = VGG16Network(weights: w, backend: backend)
        let t1 = Date()
        var last = Date()
        let result = try GradientAscent(network: net).run(job) { pr in
            if Date().timeIntervalSince(last) > 5 || pr.step == pr.steps {
                last = Date()
                FileHandleStderr.write("step \(pr.step)/\(pr.steps) loss \(pr.losses[0]) (\(String(format: "%.1f", Date().timeIntervalSince(t1))) s)\n")
            }
        }
        let t2 = Date()
        let png = try PNGCodec.encode(RGBImage(width: job.size, height: job.size, pixels: result.rgb(0)))
        let path = output ?? "\(layer)_\(filter).png"
        guard FileManager.default.createFile(atPath: path, contents: Data(png)) else {
            throw ValidationError("cannot write \(path)")
        }
        print("\(path): final loss \(result.losses[0]); load \(String(format: "%.2f", t1.timeIntervalSince(t0))) s, ascent \(String(format: "%.2f", t2.timeIntervalSince(t1))) s (\(String(format: "%.4f", t2.timeIntervalSince(t1) / Double(job.steps))) s/step)")
    }
}
