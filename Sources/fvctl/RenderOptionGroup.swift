import ArgumentParser
import FVProtocol
import Foundation

/// The render parameters every render subcommand takes; absent ones come from the preset.
struct RenderOptionGroup: ParsableArguments {
    @Option(help: "Preset: seed (the Keras notebook: 150 px, 1000 steps of 0.1), grid (64 px, 40 steps of 1) lucid (Lucid's method: 128 px Fourier picture with decorrelated colour, random jitter/scale/rotate, pre-ReLU objective, 512 Adam steps of 0.05; readable images even for deep layers) or natural (MACO's: as lucid, with the picture's Fourier magnitude fixed to a natural image's and only its phases optimised, 512 Adam steps of 0.2).", completion: .list(["seed", "grid", "lucid", "natural"]))
    var preset: String?
    // `.unconditional`: a value that starts with a dash (-1) is taken as the value, so it gets a
    // range error below instead of "unknown option".
    @Option(parsing: .unconditional, help: "Image side in pixels (16-1024).") var size: Int?
    @Option(parsing: .unconditional, help: "Gradient-ascent steps (1 or more).") var steps: Int?
    @Option(name: .customLong("step-size"), parsing: .unconditional, help: "Step size (on 0-255 pixel values; with --preset lucid, Adam's learning rate; above 0).") var stepSize: Double?
    @Option(parsing: .unconditional, help: "Seed of the random start and, with --preset lucid, of the random transforms (0-4294967295, default 0).") var seed: Int?

    @Flag(help: "Render anew even if the daemon's result cache has this picture (the new one replaces it).") var fresh = false

    @Option(name: .customLong("spectrum-from"), help: "With --preset natural: give the pictures the mean Fourier amplitude of this folder's PNG and JPEG pictures (after Lucid's colour decorrelation, at the render's size) instead of 1/f, so they take on the statistics of your own data. Measured here and kept in ~/.cache/fvd/spectra by the folder's contents.",
            completion: .directory)
    var spectrumFrom: String?

    @Option(help: "How the image is shown: clip (the notebook's clip(x/255), the default) or stretch (Chollet's deprocess_image: full contrast).")
    var display: String?

    static let presets = ["seed", "grid", "lucid", "natural"]

    func validate() throws {
        if let p = preset, !Self.presets.contains(p) { throw ValidationError("--preset must be \(Self.presets.joined(separator: ", ")), got \(p)") }
        if let d = display, !displayModes.contains(d) { throw ValidationError("--display must be \(displayModes.joined(separator: " or ")), got \(d)") }
        if let s = stepSize, !(s.isFinite && s > 0) {
            throw ValidationError("--step-size must be a finite number above 0, got \(s)")
        }
        if let s = size, !(16...1024).contains(s) { throw ValidationError("--size must be 16-1024 pixels, got \(s)") }
        if let s = steps, s < 1 { throw ValidationError("--steps must be 1 or more, got \(s)") }
        if let s = seed, !(0...Int(UInt32.max)).contains(s) { throw ValidationError("--seed must be 0-\(UInt32.max), got \(s)") }
        if spectrumFrom != nil && preset != "natural" {
            throw ValidationError("--spectrum-from gives the natural preset its spectrum; add --preset natural")
        }
    }

    /// `options`, with the spectrum of --spectrum-from measured (or taken from the cache) at the
    /// render's size: --size, else the natural preset's as the daemon says.
    func options(_ connection: ConnectionOptions) throws -> RenderOptions {
        var o = options
        if let folder = spectrumFrom {
            let side = try SpectrumFromFolder.renderSize(size, connection)
            o.spectrum = try SpectrumFromFolder.spectrum(of: folder, size: side) { if !connection.json { printError("fvctl: \($0)") } }
        }
        return o
    }

    var options: RenderOptions { RenderOptions(preset: preset, size: size, steps: steps, stepSize: stepSize, seed: seed, fresh: fresh ? true : nil) }
}
