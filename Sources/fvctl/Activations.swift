import ArgumentParser
import FVProtocol
import Foundation

struct Activations: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Mean activation of every filter of a layer for an image; lists the top ones.")

    @Argument(help: "A PNG image.", completion: .file(extensions: ["png"])) var image: String
    @Argument(help: "Layer, e.g. block5_conv3.", completion: .list(layerNames)) var layer: String
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
            let answer = try connection.connect().call(Method.activations.rawValue, params.json)
            let r = try ActivationsResult(answer)
            if connection.json { return printJSON(answer) }
            print("\(layer): \(r.width)x\(r.height)x\(r.channels)")
            for t in r.top {
                print(String(format: "  filter %4d  mean %.4f", t.filter, t.mean))
            }
        }
    }
}
