import ArgumentParser
import FVProtocol
import Foundation

struct Activations: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Mean activation of every filter of a layer for an image; lists the top ones.",
        discussion: "With --map FILTER, also where that filter fires: a heat map over the image, written to -o (default: LAYER_FILTER_map.png); --json keeps the numbers.")

    @Argument(help: "A PNG or JPEG image.", completion: .file(extensions: ["png", "jpg", "jpeg"])) var image: String
    @Argument(help: "Layer, e.g. block5_conv3.", completion: .list(layerNames)) var layer: String
    @Option(help: "How many top filters to list.") var top: Int = 10
    @Option(help: "caffe (subtract the ImageNet mean; for photographs) or none.") var preprocess: String = "caffe"
    @Option(help: "A filter whose activation map to lay over the image as a heat map.") var map: Int?
    @Option(name: .shortAndLong, help: "The heat map PNG (with --map), or - for standard output.", completion: .file(extensions: ["png"]))
    var output: String?
    @Flag(help: "Replace the default-named heat map if it exists (a file named with -o is always replaced).") var force = false

    func validate() throws {
        if output != nil && map == nil { throw ValidationError("-o goes with --map FILTER (the heat map is the only image activations writes)") }
        if let f = map, let why = OutputFile.problem(with: output ?? "\(layer)_\(f)_map.png", replaceExisting: output != nil || force) {
            throw ValidationError(why)
        }
    }
    @OptionGroup var connection: ConnectionOptions

    func run() throws {
        try runReportingFailures {
            // The client reads the file; the daemon never opens a path a client names.
            guard let bytes = FileManager.default.contents(atPath: image) else {
                throw Failure(Exit.refused, "cannot read \(image); check the path")
            }
            let params = ActivationsParams(layer: layer, png: bytes.base64EncodedString(), top: top, preprocess: preprocess, map: map)
            let answer = try connection.connect().call(Method.activations.rawValue, params.json)
            let r = try ActivationsResult(answer)
            if let m = r.map {
                let path = output ?? "\(layer)_\(m.filter)_map.png"
                try OutputFile.write(Data(m.overlayPNG), to: path)
                if !connection.json && path != "-" {
                    printError("fvctl: \(path): where filter \(m.filter) fires (\(r.width)x\(r.height) positions, peak \(m.values.max() ?? 0))")
                }
            }
            if connection.json {
                var o = answer.objectValue ?? [:]
                if case .object(var m)? = o["map"] { m["overlayPNG"] = nil; o["map"] = .object(m) }  // the numbers, not the image bytes
                return printJSON(.object(o))
            }
            print("\(layer): \(r.width)x\(r.height)x\(r.channels)")
            for t in r.top {
                print(String(format: "  filter %4d  mean %.4f", t.filter, t.mean))
            }
        }
    }
}
