import ArgumentParser
import FVProtocol

/// The render parameters every render subcommand takes; absent ones come from the preset.
struct RenderOptionGroup: ParsableArguments {
    @Option(help: "Preset: seed (the Keras notebook: 150 px, 1000 steps of 0.1) or grid (64 px, 40 steps of 1).")
    var preset: String?
    @Option(help: "Image side in pixels (16-1024).") var size: Int?
    @Option(help: "Gradient-ascent steps.") var steps: Int?
    @Option(name: .customLong("step-size"), help: "Step size (on 0-255 pixel values).") var stepSize: Double?
    @Option(help: "Seed of the random start (numpy-compatible; default 0).") var seed: Int?

    func validate() throws {
        if let s = stepSize, !(s.isFinite && s > 0) {
            throw ValidationError("--step-size must be a finite number above 0, got \(s)")
        }
    }

    var options: RenderOptions { RenderOptions(preset: preset, size: size, steps: steps, stepSize: stepSize, seed: seed) }
}
