import ArgumentParser
import FVProtocol
import Foundation

struct Pattern: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Render the pattern a filter responds to most; writes LAYER_FILTER.png.")

    @Argument(help: "Layer, e.g. block3_conv1 (`fvctl layers` lists them).", completion: .list(layerNames)) var layer: String
    @Argument(help: "Filter index within the layer.") var filter: Int
    @Option(name: .shortAndLong, help: "Output PNG, or - for standard output (default: LAYER_FILTER.png in the current directory).", completion: .file(extensions: ["png"])) var output: String?
    @OptionGroup var render: RenderOptionGroup
    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        if let o = output, let why = OutputFile.problem(with: o) { throw ValidationError(why) }
    }

    func run() throws {
        try runReportingFailures {
            let path = output ?? "\(layer)_\(filter).png"
            let params = PatternParams(layer: layer, filter: filter, options: render.options, display: render.display)
            let started = Date()
            let answer = try RenderCall.run(.pattern, params: params.json, options: connection)
            let r = try PatternResult(answer)
            let summary = "objective \(r.loss) after \(r.stepsRun) step\(r.stepsRun == 1 ? "" : "s")" + (r.cached ? " (cached)" : "")
            try RenderCall.deliver(png: r.png, result: answer, summary: summary, note: r.note, path: path, json: connection.json, started: started)
        }
    }
}
