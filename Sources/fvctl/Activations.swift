import ArgumentParser
import FVProtocol
import Foundation

struct Activations: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Mean activation of every filter of a layer for an image; lists the top ones.")

    @Argument(help: "A PNG image.") var image: String
    @Argument(help: "Layer, e.g. block5_conv3.") var layer: String
    @Option(help: "How many top filters to list.") var top: Int = 10
    @Option(help: "caffe (subtract the ImageNet mean; for photographs) or none.") var preprocess: String = "caffe"
    @OptionGroup var connection: ConnectionOptions

    func run() throws {
        try runReportingFailures {
            // The client reads the file; the daemon never opens a path a client names.
            guard let bytes = FileManager.default.contents(atPath: image) else {
                throw Failure(Exit.refused, "cannot read \(image); check the path")
            }
            let params = ActivationsParams(layer: layer, png: bytes.base64EncodedString(), top: top, preprocess: preprocess)
            let r = try connection.connect().call(Method.activations.rawValue, params.json)
            if connection.json { return printJSON(r) }
            print("\(layer): \(r["width"]?.intValue ?? 0)x\(r["height"]?.intValue ?? 0)x\(r["channels"]?.intValue ?? 0)")
            for t in r["top"]?.arrayValue ?? [] {
                print(String(format: "  filter %4d  mean %.4f", Int(t["filter"]?.intValue ?? 0), t["mean"]?.doubleValue ?? 0))
            }
        }
    }
}
