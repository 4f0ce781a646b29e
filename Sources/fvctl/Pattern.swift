import ArgumentParser
import FVProtocol

struct Pattern: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Render the pattern a filter responds to most; writes LAYER_FILTER.png.")

    @Argument(help: "Layer, e.g. block3_conv1 (`fvctl layers` lists them).") var layer: String
    @Argument(help: "Filter index within the layer.") var filter: Int
    @Option(name: .shortAndLong, help: "Output PNG, or - for standard output (default: LAYER_FILTER.png in the current directory).") var output: String?
    @OptionGroup var render: RenderOptionGroup
    @OptionGroup var connection: ConnectionOptions

    func run() throws {
        try runReportingFailures {
            let path = output ?? "\(layer)_\(filter).png"
            let params = PatternParams(layer: layer, filter: filter, options: render.options)
            let r = try RenderCall.run(.pattern, params: params.json, output: path, options: connection)
            RenderCall.report(r, path: path, json: connection.json)
        }
    }
}
