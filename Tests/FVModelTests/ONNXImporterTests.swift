import FVModel
import Foundation
import FVTestSupport
import XCTest

/// Builds ONNX files in the protobuf wire format (as tf2onnx lays them out) and imports them.
final class ONNXImporterTests: XCTestCase {
    func varint(_ v: UInt64) -> [UInt8] {
        var v = v, out: [UInt8] = []
        while v >= 0x80 { out.append(UInt8(v & 0x7f) | 0x80); v >>= 7 }
        return out + [UInt8(v)]
    }
    func field(_ n: Int, _ bytes: [UInt8]) -> [UInt8] { varint(UInt64(n << 3 | 2)) + varint(UInt64(bytes.count)) + bytes }
    func tensor(_ name: String, dims: [Int], floats: [Float], packedDims: Bool) -> [UInt8] {
        var t: [UInt8] = []
        if packedDims {
            t += field(1, dims.flatMap { varint(UInt64($0)) })
        } else {
            for d in dims { t += varint(1 << 3 | 0) + varint(UInt64(d)) }
        }
        t += varint(2 << 3 | 0) + varint(1)
        t += field(8, Array(name.utf8))
        t += field(9, floats.flatMap { f in withUnsafeBytes(of: f.bitPattern.littleEndian) { Array($0) } })
        return t
    }

    func model(from layers: [WeightsFile.Layer], extra: [UInt8] = []) -> [UInt8] {
        var graph = field(1, Array("node".utf8))  // a field the importer must skip
        for (i, l) in layers.enumerated() {
            graph += field(5, tensor(Provenance.onnxKernelName(l.name), dims: [l.outChannels, l.inChannels, 3, 3], floats: l.kernel, packedDims: i % 2 == 0))
            graph += field(5, tensor(Provenance.onnxBiasName(l.name), dims: [l.outChannels], floats: l.bias, packedDims: i % 2 == 1))
        }
        graph += field(5, tensor("dense_1/kernel", dims: [2, 2], floats: [1, 2, 3, 4], packedDims: true))
        return varint(1 << 3 | 0) + varint(8) + field(7, graph) + extra
    }

    func testImportsEveryLayerExactly() throws {
        let w = try RealWeights.load()
        let layers = w.layers()
        let imported = try ONNXImporter.vgg16Layers(onnx: model(from: layers), path: "m.onnx")
        XCTAssertEqual(imported, layers)
    }

    func testTruncatedAndGarbageFilesAreErrorsNotCrashes() throws {
        let w = try RealWeights.load()
        let bytes = model(from: Array(w.layers().prefix(2)))
        for cut in [1, 2, 3, 10, 100, bytes.count / 2, bytes.count - 1] {
            XCTAssertThrowsError(try ONNXImporter.vgg16Layers(onnx: Array(bytes.prefix(cut)), path: "cut.onnx"), "cut at \(cut)") {
                XCTAssertTrue("\($0)".contains("cut.onnx"))
            }
        }
        XCTAssertThrowsError(try ONNXImporter.vgg16Layers(onnx: Array(repeating: 0xff, count: 64), path: "ff.onnx"))
        XCTAssertThrowsError(try ONNXImporter.vgg16Layers(onnx: [], path: "empty.onnx")) {
            XCTAssertEqual($0 as? WeightsError, .badONNX(path: "empty.onnx", reason: "no graph in the model (not an ONNX model?)"))
        }
    }

    func testMissingLayerAndWrongBiasAreRefused() throws {
        let w = try RealWeights.load()
        var layers = w.layers()
        XCTAssertThrowsError(try ONNXImporter.vgg16Layers(onnx: model(from: Array(layers.prefix(12))), path: "m.onnx")) {
            XCTAssertEqual($0 as? WeightsError, .missingLayer(path: "m.onnx", layer: "block5_conv3"))
        }
        layers[0].bias[0] = 1
        XCTAssertThrowsError(try ONNXImporter.vgg16Layers(onnx: model(from: layers), path: "m.onnx")) {
            XCTAssertEqual($0 as? WeightsError, .provenanceMismatch(path: "m.onnx", layer: "block1_conv1", expected: 0.73429835, found: 1))
        }
    }
}
