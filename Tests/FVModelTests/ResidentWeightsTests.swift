import FVModel
import Foundation
import FVTestSupport
import XCTest

/// The real file's provenance, and one clear `WeightsError` for every way a file can be bad.
final class ResidentWeightsTests: XCTestCase {
    var dir: String!

    override func setUpWithError() throws {
        dir = NSTemporaryDirectory() + "fvd-weights-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(atPath: dir)
    }

    func testRealWeightsHaveThePublishedFirstBiases() throws {
        let w = try RealWeights.load()
        for l in VGG16.layers {
            XCTAssertEqual(w.bias(l.index)[0], Provenance.firstBias[l.name], l.name)
        }
        XCTAssertEqual(w.sourceSHA256, Provenance.onnxSHA256)
        XCTAssertEqual(w.fileBytes % 64, 0)
        var params = 0
        for l in VGG16.layers { params += l.outChannels * (l.inChannels * 9 + 1) }
        XCTAssertEqual(params, 14_714_688, "VGG16's conv stack has 14,714,688 parameters")
    }

    func testEncodeThenMapRoundTrips() throws {
        let w = try RealWeights.load()
        let path = dir + "/copy.fvw"
        let layers = w.layers()
        try Data(WeightsFile.encode(layers: layers, sourceSHA256: "abc")).write(to: URL(fileURLWithPath: path))
        let m = try ResidentWeights(path: path)
        XCTAssertEqual(m.layers(), layers)
        XCTAssertEqual(m.sourceSHA256, "abc")
    }

    func expect(_ bytes: [UInt8], name: String, _ check: (WeightsError) -> Bool, file: StaticString = #filePath, line: UInt = #line) {
        let path = dir + "/" + name
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        do {
            _ = try ResidentWeights(path: path)
            XCTFail("\(name) was accepted", file: file, line: line)
        } catch let e as WeightsError {
            XCTAssertTrue(check(e), "\(name): unexpected error \(e)", file: file, line: line)
            XCTAssertTrue(e.description.contains(path), "message names the file: \(e)", file: file, line: line)
            XCTAssertTrue(e.description.contains("scripts/setup.sh"), "message says the fix: \(e)", file: file, line: line)
        } catch {
            XCTFail("\(name): not a WeightsError: \(error)", file: file, line: line)
        }
    }

    func testEveryDamagedFileGivesItsOwnClearError() throws {
        let w = try RealWeights.load()
        let good = try [UInt8](Data(contentsOf: URL(fileURLWithPath: RealWeights.path)))
        let layers = w.layers()

        expect([], name: "empty.fvw") { if case .truncated = $0 { return true }; return false }
        expect(Array(good.prefix(good.count / 2)), name: "half.fvw") { if case .truncated = $0 { return true }; return false }
        var flipped = good
        flipped[flipped.count - 100] ^= 0x10
        expect(flipped, name: "flipped.fvw") { $0 == .checksumMismatch(path: self.dir + "/flipped.fvw") }
        var magic = good
        magic[0] = UInt8(ascii: "X")
        expect(magic, name: "magic.fvw") { if case .notAWeightsFile = $0 { return true }; return false }
        var version = good
        version[8] = 9
        expect(version, name: "version.fvw") { if case .unsupportedVersion(_, 9) = $0 { return true }; return false }
        expect(Array(String(repeating: "not a weights file. ", count: 20).utf8),
               name: "text.fvw") { if case .notAWeightsFile = $0 { return true }; return false }

        var shapes = layers
        shapes[4] = WeightsFile.Layer(name: "block3_conv1", outChannels: 128, inChannels: 128, kernel: Array(shapes[4].kernel.prefix(128 * 128 * 9)), bias: Array(shapes[4].bias.prefix(128)))
        expect(WeightsFile.encode(layers: shapes, sourceSHA256: ""), name: "shape.fvw") {
            $0 == .wrongShape(path: self.dir + "/shape.fvw", layer: "block3_conv1", expected: "256x128x3x3", found: "128x128x3x3")
        }
        var missing = layers
        missing.remove(at: 12)
        expect(WeightsFile.encode(layers: missing, sourceSHA256: ""), name: "missing.fvw") {
            $0 == .missingLayer(path: self.dir + "/missing.fvw", layer: "block5_conv3")
        }
        var other = layers
        other[7].bias[0] = 0.5
        expect(WeightsFile.encode(layers: other, sourceSHA256: ""), name: "other.fvw") {
            if case .provenanceMismatch(_, "block4_conv1", _, 0.5) = $0 { return true }; return false
        }
    }

    func testMissingAndUnreadablePaths() {
        do {
            _ = try ResidentWeights(path: dir + "/nope.fvw")
            XCTFail("accepted a missing file")
        } catch let e as WeightsError {
            XCTAssertEqual(e, .missing(path: dir + "/nope.fvw"))
        } catch { XCTFail("\(error)") }
        do {
            _ = try ResidentWeights(path: dir)
            XCTFail("accepted a directory")
        } catch let e as WeightsError {
            if case .unreadable = e {} else { XCTFail("\(e)") }
        } catch { XCTFail("\(error)") }
    }
}
