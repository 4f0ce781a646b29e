import ArgumentParser
import FVProtocol
import Foundation

struct Grid: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Render many filters of a layer in one batched optimisation, tiled into LAYER_grid.png.")

    @Argument(help: "Layer, e.g. block4_conv3.") var layer: String
    @Option(help: "Filters, comma-separated (default: the first 64).") var filters: String?
    @Option(help: "Tiles per row (default: a square grid).") var columns: Int?
    @Option(help: "Black margin between tiles, pixels (default 5).") var margin: Int?
    @Option(name: .shortAndLong, help: "Output PNG, or - for standard output (default: LAYER_grid.png).") var output: String?
    @OptionGroup var render: RenderOptionGroup
    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        if let o = output, let why = OutputFile.problem(with: o) { throw ValidationError(why) }
        if let f = filters, f.split(separator: ",").contains(where: { Int($0.trimmingCharacters(in: .whitespaces)) == nil }) {
            throw ValidationError("--filters takes comma-separated filter indices, e.g. 0,1,2,7")
        }
    }

    func run() throws {
        try runReportingFailures {
            let path = output ?? "\(layer)_grid.png"
            let list = filters.map { $0.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) } }
            let params = GridParams(layer: layer, filters: list, columns: columns, margin: margin, options: render.options)
            let started = Date()
            let answer = try RenderCall.run(.grid, params: params.json, options: connection)
            let r = try GridResult(answer)
            let dead = r.tiles.filter(\.neverFired).map { String($0.filter) }
            let note = dead.isEmpty ? nil
                : "filter\(dead.count == 1 ? "" : "s") \(dead.joined(separator: ", ")) never activated from \(dead.count == 1 ? "its start, so its tile is" : "their start, so their tiles are") the starting noise; try another seed or a larger size"
            let summary = "\(r.tiles.count) tiles, \(r.columns)x\(r.rows), \(r.width)x\(r.height) px" + (r.cached ? " (cached)" : "")
            try RenderCall.deliver(png: r.png, result: answer, summary: summary, note: note, path: path, json: connection.json, started: started)
        }
    }
}
