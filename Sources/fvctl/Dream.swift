import ArgumentParser
import FVProtocol
import Foundation

struct Dream: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "DeepDream on your own photo: writes PHOTO_dream_LAYER.png at the photo's size.",
        discussion: "Ascends from the photo itself (not noise) over octaves, each 1.4x larger, so the layer's features grow into the picture at several scales. Deeper layers (block4, block5) give eyes, faces and animals; shallower ones give textures. With --filter, one filter's pattern instead of the whole layer's.\n\nExample: fvctl dream photo.jpg block4_conv3 -o dream.png")

    @Argument(help: "A PNG or JPEG photo (16-1024 px a side).", completion: .file(extensions: ["png", "jpg", "jpeg"])) var photo: String
    @Argument(help: "Layer, e.g. block4_conv3.", completion: .list(layerNames)) var layer: String
    @Option(help: "Dream one filter of the layer instead of the whole layer.") var filter: Int?
    @Option(parsing: .unconditional, help: "Steps per octave (default 10).") var steps: Int?
    @Option(parsing: .unconditional, help: "Octaves (1-8, default 4).") var octaves: Int?
    @Option(name: .customLong("octave-scale"), parsing: .unconditional, help: "Size ratio between octaves (1-3, default 1.4).") var octaveScale: Double?
    @Option(name: .customLong("step-size"), parsing: .unconditional, help: "Normalised step on 0-255 pixel values (default 1.5).") var stepSize: Double?
    @Option(parsing: .unconditional, help: "Seed of the random jitter (default 0).") var seed: Int?
    @Option(name: .shortAndLong, help: "Output PNG, or - for standard output (default: PHOTO_dream_LAYER.png).", completion: .file(extensions: ["png"]))
    var output: String?
    @Flag(help: "Replace the default-named output file if it exists (a file named with -o is always replaced).") var force = false
    @OptionGroup var connection: ConnectionOptions

    /// Where the picture goes: -o, else PHOTO_dream_LAYER.png.
    var path: String {
        output ?? "\(URL(fileURLWithPath: photo).deletingPathExtension().lastPathComponent)_dream_\(layer).png"
    }

    func validate() throws {
        if let why = OutputFile.problem(with: path, replaceExisting: output != nil || force) { throw ValidationError(why) }
        if let s = steps, !(1...10_000).contains(s) { throw ValidationError("--steps must be 1-10000 per octave, got \(s)") }
        if let o = octaves, !(1...8).contains(o) { throw ValidationError("--octaves must be 1-8, got \(o)") }
        if let s = octaveScale, !(s.isFinite && (1...3).contains(s)) { throw ValidationError("--octave-scale must be 1-3, got \(s)") }
        if let s = stepSize, !(s.isFinite && s > 0 && s <= 100) { throw ValidationError("--step-size must be above 0 and at most 100, got \(s)") }
        if let s = seed, !(0...Int(UInt32.max)).contains(s) { throw ValidationError("--seed must be 0-\(UInt32.max), got \(s)") }
    }

    func run() throws {
        try runReportingFailures {
            // The client reads the file; the daemon never opens a path a client names.
            guard let bytes = FileManager.default.contents(atPath: photo) else {
                throw Failure(Exit.refused, "cannot read \(photo); check the path")
            }
            let path = self.path
            let params = DreamParams(layer: layer, image: bytes.base64EncodedString(), filter: filter, steps: steps, octaves: octaves,
                                     octaveScale: octaveScale, stepSize: stepSize, seed: seed)
            let started = Date()
            let answer = try RenderCall.run(.dream, params: params.json, options: connection)
            let r = try DreamResult(answer)
            let summary = "\(r.width)x\(r.height), \(r.octaves) octaves, \(r.steps) steps" + (r.cached ? " (cached)" : "")
            try RenderCall.deliver(png: r.png, result: answer, summary: summary, note: nil, path: path, json: connection.json, started: started)
        }
    }
}
