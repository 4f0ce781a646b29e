import ArgumentParser
import FVProtocol
import Foundation

/// `fvctl spectrum FOLDER`: the table `--spectrum-from FOLDER` sends, written out, for programs
/// that send requests themselves (the Python client's `spectrum=`) and for a look at it.
struct Spectrum: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure the mean Fourier amplitude of a folder's pictures, as --preset natural --spectrum-from does, and write it as JSON.",
        discussion: """
            The output is the request's "spectrum" object (docs/PROTOCOL.md): send it with a natural
            pattern or grid of the same size, e.g. from Python:
              fvctl spectrum photos/ --size 128 -o photos-spectrum.json
              c.pattern("block4_conv3", 12, preset="natural", spectrum="photos-spectrum.json")
            """)

    @Argument(help: "A folder of PNG and JPEG pictures (at least the render size on their short side).", completion: .directory)
    var folder: String
    @Option(parsing: .unconditional, help: "The render's size in pixels (default: the natural preset's, as the daemon says).") var size: Int?
    @Option(name: .shortAndLong, help: "Write the JSON here (default: standard output).", completion: .file(extensions: ["json"])) var output: String?
    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        if let s = size, !(16...1024).contains(s) { throw ValidationError("--size must be 16-1024 pixels, got \(s)") }
        if let o = output, let why = OutputFile.problem(with: o, formats: ["json"], replaceExisting: true) { throw ValidationError(why) }
    }

    func run() throws {
        try runReportingFailures {
            let side = try SpectrumFromFolder.renderSize(size, connection)
            let spectrum = try SpectrumFromFolder.spectrum(of: folder, size: side) { printError("fvctl: \($0)") }
            let text = JSONCodec.serialize(spectrum.json) + "\n"
            if let output {
                try OutputFile.write(Data(text.utf8), to: output, formats: ["json"])
                printError("fvctl: \(output): the spectrum (\(spectrum.amplitude.count) amplitudes at \(side) px)")
            } else {
                print(text, terminator: "")
            }
        }
    }
}
