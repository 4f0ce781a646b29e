import ArgumentParser
import FVProtocol
import Foundation

struct Grid: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Render many filters of a layer in one batched optimisation, tiled into LAYER_grid.png.",
        discussion: """
            Examples:
              fvctl grid block4_conv3 --filters 0-15,32 --labels --display stretch
              fvctl grid block5_conv3 --filters 0-7 --preset lucid --labels --scale 2
            """)

    @Argument(help: "Layer, e.g. block4_conv3.", completion: .list(layerNames)) var layer: String
    @Option(help: "Filters: numbers and ranges, comma-separated, e.g. 0-15,32,40-47 (default: the first 64, or as many as fit the pixel budget: 44 with --preset lucid).") var filters: String?
    @Flag(help: "Write each tile's filter number in its corner.") var labels = false
    @Option(help: "Show each pixel as an N x N block (1-8), for small tiles.") var scale: Int = 1
    @Option(help: "Tiles per row (default: a square grid).") var columns: Int?
    @Option(help: "Black margin between tiles, pixels (default 5).") var margin: Int?
    @Option(name: .shortAndLong, help: "Output: a .png, a .npy (the tiles' raw float32 pictures, for numpy), or - for standard output (default: LAYER_grid.png, with the preset, objective and seed when not the defaults).", completion: .file(extensions: ["png"])) var output: String?
    @Flag(help: "Replace the default-named output file if it exists (a file named with -o is always replaced).") var force = false
    @OptionGroup var render: RenderOptionGroup
    @OptionGroup var objective: ObjectiveOptionGroup
    @OptionGroup var connection: ConnectionOptions

    /// Where the sheet goes: -o, else the name that says what was rendered.
    var path: String { output ?? DefaultOutputName.grid(layer: layer, render: render, objective: objective) }

    func validate() throws {
        if let why = OutputFile.problem(with: path, formats: ["png", "npy"], replaceExisting: output != nil || force) { throw ValidationError(why) }
        if let f = filters, FilterList.parse(f) == nil {
            throw ValidationError("--filters takes filter numbers and ranges, comma-separated, e.g. 0-15,32,40-47; got \(f)")
        }
        if !(1...8).contains(scale) { throw ValidationError("--scale must be 1-8, got \(scale)") }
    }

    func run() throws {
        try runReportingFailures {
            let path = self.path
            let list = filters.flatMap(FilterList.parse)
            var options = try render.options(connection)
            options.objective = try objective.params()
            options.penalties = objective.penalties
            if OutputFile.wantsNumPy(path) { options.raw = true }
            let params = GridParams(layer: layer, filters: list, columns: columns, margin: margin, options: options,
                                    display: render.display, labels: labels, scale: scale)
            let started = Date()
            let answer = try RenderCall.run(.grid, params: params.json, options: connection)
            let r = try GridResult(answer)
            let dead = r.tiles.filter(\.neverFired).map { String($0.filter) }
            let note = dead.isEmpty ? nil
                : "filter\(dead.count == 1 ? "" : "s") \(dead.joined(separator: ", ")) never activated from \(dead.count == 1 ? "its start, so its tile is" : "their start, so their tiles are") the starting noise; try another seed, a larger size or --preset lucid"
            let summary = "\(r.tiles.count) tiles, \(r.columns)x\(r.rows), \(r.width)x\(r.height) px" + (r.cached ? " (cached)" : "")
            try RenderCall.deliver(png: r.raw?.npy ?? r.png, result: answer, summary: summary, note: note, path: path, json: connection.json, started: started)
        }
    }
}

/// `--filters 0-15,32,40-47`: numbers and inclusive ranges.
enum FilterList {
    static func parse(_ text: String) -> [Int]? {
        var out: [Int] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let p = part.trimmingCharacters(in: .whitespaces)
            let ends = p.split(separator: "-", omittingEmptySubsequences: false)
            if ends.count == 1, let n = Int(p), n >= 0 {
                out.append(n)
            } else if ends.count == 2, let a = Int(ends[0]), let b = Int(ends[1]), a >= 0, a <= b, b - a < 512 {
                out += Array(a...b)
            } else {
                return nil
            }
        }
        return out.isEmpty ? nil : out
    }
}
