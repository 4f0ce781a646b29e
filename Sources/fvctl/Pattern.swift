import ArgumentParser
import FVImage
import FVProtocol
import Foundation

struct Pattern: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Render the pattern a filter responds to most; writes LAYER_FILTER.png.",
        discussion: """
            Examples (the notebook's way first; --preset lucid draws deep filters too):
              fvctl pattern block3_conv1 27
              fvctl pattern block5_conv3 10 --preset lucid
              fvctl pattern block4_conv3 12 --preset lucid --negative
              fvctl pattern block4_conv3 12 --preset lucid --diversity 4
              fvctl pattern block4_conv3 12 --preset lucid --objective neuron --at 8,8
              fvctl pattern --preset lucid --objective "block4_conv3:12 - block4_conv3:40"
              fvctl pattern block4_conv3 0 --preset lucid --objective direction \\
                  --vector v.txt
              fvctl pattern block4_conv3 12 --preset lucid --blur 2 \\
                  --snapshots 64,128,256
              fvctl pattern block3_conv1 27 --plot-loss loss.png -o out.npy
            """)

    @Argument(help: "Layer, e.g. block3_conv1 (`fvctl layers` lists them); may be left out when --objective names its own.",
              completion: .list(layerNames)) var layer: String?
    @Argument(help: "Filter index within the layer; may be left out when --objective names its own.") var filter: Int?
    @Option(name: .shortAndLong, help: "Output: a .png, a .npy (the raw float32 pictures, for numpy), or - for standard output (default: LAYER_FILTER.png in the current directory, with the preset, objective, negative, diversity and seed when not the defaults, e.g. block4_conv3_12_lucid_diversity4.png).", completion: .file(extensions: ["png"])) var output: String?
    @Flag(help: "Replace the default-named output file if it exists (a file named with -o is always replaced).") var force = false
    @Flag(help: "Also render the negative (the picture the filter is most against) beside it, as Lucid's negative pairs; best with --preset lucid.") var negative = false
    @Option(name: .customLong("plot-loss"), help: "Also write the objective per step as a small PNG chart to this file.", completion: .file(extensions: ["png"])) var plotLoss: String?
    @Option(parsing: .unconditional, help: "Render N different images of the filter, kept apart by Lucid's diversity penalty (2-16; best with --preset lucid).") var diversity: Int?
    @Option(name: .customLong("diversity-weight"), parsing: .unconditional, help: "Weight of the diversity penalty (default 10000: Lucid's 100 scaled to VGG16's larger activations; 100 barely separates the pictures).") var diversityWeight: Double?
    @Option(help: "Also write MACO's importance map to this PNG: where in the picture the objective comes from, as a heat map over it (best with --preset natural).",
            completion: .file(extensions: ["png"]))
    var importance: String?
    @Flag(help: "Write the picture as RGBA with the importance as its opacity (MACO's display; a .png output).") var alpha = false
    @Option(help: "Also write the picture after these steps, e.g. 64,128,256 (Lucid's thresholds), as OUT-STEP.png beside the output.") var snapshots: String?
    @OptionGroup var render: RenderOptionGroup
    @OptionGroup var objective: ObjectiveOptionGroup
    @OptionGroup var connection: ConnectionOptions

    /// out.png -> out-64.png (snapshots are PNGs, also beside an .npy output).
    static func snapshotPath(_ path: String, step: Int) -> String {
        let ext = URL(fileURLWithPath: path).pathExtension
        let base = ext.isEmpty ? path : String(path.dropLast(ext.count + 1))
        return "\(base)-\(step).png"
    }

    /// The layer and filter rendered: the arguments, else the first ones the objective names.
    var target: (layer: String, filter: Int) {
        get throws {
            let expression = try objective.expression
            let named = expression?.firstNamed
            guard let layer = layer ?? named?.layer else {
                throw ValidationError("give the layer and filter, e.g. `fvctl pattern block3_conv1 27` (`fvctl layers` lists them), or an --objective that names them")
            }
            // Without the argument, the filter is the objective's own when no term reads the command's.
            let readsCommandFilter = expression?.terms.contains { ($0.type == .channel || $0.type == .neuron) && $0.filter == nil } ?? true
            guard let filter = filter ?? (readsCommandFilter ? nil : (named?.layer == layer ? named?.filter : nil) ?? 0) else {
                throw ValidationError("give the filter after the layer, e.g. `fvctl pattern \(layer) 27` (`fvctl layers` lists how many \(layer) has)")
            }
            return (layer, filter)
        }
    }

    /// Where the picture goes: -o, else the name that says what was rendered.
    var path: String {
        get throws {
            if let output { return output }
            let (layer, filter) = try target
            return DefaultOutputName.pattern(layer: layer, filter: filter, render: render, objective: objective, negative: negative, diversity: diversity)
        }
    }

    func validate() throws {
        let path = try self.path
        if let filter, filter < 0 { throw ValidationError("the filter is a number from 0 (`fvctl layers` lists each layer's count), got \(filter)") }
        if let d = diversity, !(2...16).contains(d) { throw ValidationError("--diversity must be 2-16 images, got \(d)") }
        if diversityWeight != nil && diversity == nil { throw ValidationError("--diversity-weight goes with --diversity N") }
        if diversity != nil && negative { throw ValidationError("--negative and --diversity cannot be combined; choose one") }
        if let s = snapshots {
            guard let steps = FilterList.parse(s), steps.allSatisfy({ $0 > 0 }) else {
                throw ValidationError("--snapshots takes step numbers, comma-separated, e.g. 64,128,256; got \(s)")
            }
            if steps.count > 16 { throw ValidationError("--snapshots takes at most 16 steps") }
            // Snapshots go beside the output as OUT-STEP.png: only a file name has a beside.
            if !OutputFile.namesAFile(path) {
                throw ValidationError("--snapshots writes OUT-STEP.png beside the output, so -o must name a .png or .npy file (not -, a device or a FIFO)")
            }
            for step in steps {
                let file = Self.snapshotPath(path, step: step)
                if let why = OutputFile.problem(with: file, replaceExisting: output != nil || force) { throw ValidationError("--snapshots: \(why)") }
            }
        }
        if let o = importance {
            if o == "-" { throw ValidationError("--importance needs a file name (standard output is for the image)") }
            if let why = OutputFile.problem(with: o) { throw ValidationError("--importance: \(why)") }
        }
        if alpha && OutputFile.wantsNumPy(path) { throw ValidationError("--alpha writes a PNG with transparency; -o must name a .png") }
        if let o = plotLoss {
            if o == "-" { throw ValidationError("--plot-loss needs a file name (standard output is for the image)") }
            if let why = OutputFile.problem(with: o) { throw ValidationError("--plot-loss: \(why)") }
        }
        // What is at the output's path last: a malformed command line is the first thing to hear of.
        if let why = OutputFile.problem(with: path, formats: ["png", "npy"], replaceExisting: output != nil || force) { throw ValidationError(why) }
    }

    func run() throws {
        try runReportingFailures {
            let path = try self.path
            let (layer, filter) = try target
            var options = try render.options(connection)
            options.objective = try objective.params(diversity: diversity, diversityWeight: diversityWeight)
            options.penalties = objective.penalties
            if OutputFile.wantsNumPy(path) { options.raw = true }
            options.snapshots = snapshots.flatMap(FilterList.parse)
            let params = PatternParams(layer: layer, filter: filter, options: options, display: render.display, negative: negative,
                                       importance: importance != nil, alpha: alpha)
            let started = Date()
            let answer = try RenderCall.run(.pattern, params: params.json, options: connection)
            let r = try PatternResult(answer)
            let summary = "objective \(r.loss)" + (r.negativeLoss.map { " (negative: \($0))" } ?? "")
                + " after \(r.stepsRun) step\(r.stepsRun == 1 ? "" : "s")" + (r.cached ? " (cached)" : "")
            try RenderCall.deliver(png: r.raw?.npy ?? (alpha ? r.alphaPNG : nil) ?? r.png, result: answer, summary: summary, note: r.note, path: path,
                                   json: connection.json, started: started)
            if let file = importance, let png = r.importancePNG {
                try OutputFile.write(Data(png), to: file)
                if !connection.json { printError("fvctl: \(file): the importance map (where the objective comes from)") }
            }
            for snap in r.snapshots {
                let file = Self.snapshotPath(path, step: snap.step)
                try OutputFile.write(Data(snap.png), to: file)
                if !connection.json { printError("fvctl: \(file): the picture after step \(snap.step)") }
            }
            if let plot = plotLoss {
                try OutputFile.write(Data(try PNGCodec.encode(RGBImage.lineChart(r.history))), to: plot)
                if !connection.json { printError("fvctl: \(plot): the objective over \(r.history.count) steps") }
            }
        }
    }
}
