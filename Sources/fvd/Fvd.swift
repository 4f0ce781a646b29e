import ArgumentParser
import FVServer
import SIMDKernels

/// The daemon's entry point: a thin shell over FVServer (serving) and FVModel (weights).
@main
struct Fvd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fvd",
        abstract: "Feature-visualisation daemon for VGG16: shows what pattern a filter responds to.",
        version: Server.version,
        subcommands: [Serve.self, ImportWeights.self, VerifyWeights.self, Render.self, Info.self, AtlasTask.self, AtlasSiteCommand.self],
        defaultSubcommand: Serve.self
    )
}

/// Refuses to go on, with a clear message, on a CPU the kernels were not compiled for.
func requireCPUFeatures() throws {
    if let why = CPUFeatures.refusal() {
        throw ValidationError(why)
    }
}
