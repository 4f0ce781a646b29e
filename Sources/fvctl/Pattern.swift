import ArgumentParser
import FVImage
import FVProtocol
import Foundation

struct Pattern: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Render the pattern a filter responds to most; writes LAYER_FILTER.png.")

    @Argument(help: "Layer, e.g. block3_conv1 (`fvctl layers` lists them).", completion: .list(layerNames)) var layer: String
    @Argument(help: "Filter index within the layer.") var filter: Int
    @Option(name: .shortAndLong, help: "Output PNG, or - for standard output (default: LAYER_FILTER.png in the current directory).", completion: .file(extensions: ["png"])) var output: String?
    @Flag(help: "Also render the negative (the picture the filter is most against) beside it, as Lucid's negative pairs; best with --preset lucid.") var negative = false
    @Option(name: .customLong("plot-loss"), help: "Also write the objective per step as a small PNG chart to this file.", completion: .file(extensions: ["png"])) var plotLoss: String?
    @OptionGroup var render: RenderOptionGroup
    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        if let o = output, let why = OutputFile.problem(with: o) { throw ValidationError(why) }
        if let o = plotLoss {
            if o == "-" { throw ValidationError("--plot-loss needs a file name (standard output is for the image)") }
            if let why = OutputFile.problem(with: o) { throw ValidationError("--plot-loss: \(why)") }
        }
    }

    func run() throws {
        try runReportingFailures {
            let path = output ?? "\(layer)_\(filter).png"
            let params = PatternParams(layer: layer, filter: filter, options: render.options, display: render.display, negative: negative)
            let started = Date()
            let answer = try RenderCall.run(.pattern, params: params.json, options: connection)
            let r = try PatternResult(answer)
            let summary = "objective \(r.loss)" + (r.negativeLoss.map { " (negative: \($0))" } ?? "")
                + " after \(r.stepsRun) step\(r.stepsRun == 1 ? "" : "s")" + (r.cached ? " (cached)" : "")
            try RenderCall.deliver(png: r.png, result: answer, summary: summary, note: r.note, path: path, json: connection.json, started: started)
            if let plot = plotLoss {
                try OutputFile.write(Data(try PNGCodec.encode(RGBImage.lineChart(r.history))), to: plot)
                if !connection.json { printError("fvctl: \(plot): the objective over \(r.history.count) steps") }
            }
        }
    }
}
