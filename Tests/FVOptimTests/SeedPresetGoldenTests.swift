import FVImage
import FVModel
import FVOptim
import FVTestSupport
import Foundation
import XCTest

/// The seed preset must keep making the very image it made before the render loop was split
/// into objective, parameterisation and optimiser: block3_conv1 filter 27, seed 0, 64 px, 50
/// steps of 0.1. The golden PNG was written by the code as it stood before the split (commit
/// 8f699ef, `fvd render block3_conv1 27 --size 64 --steps 50`); its pixels must come out
/// exactly, byte for byte.
final class SeedPresetGoldenTests: XCTestCase {
    func testTheSeedPresetStillMakesTheSameImage() throws {
        let w = try RealWeights.load()
        let job = AscentJob(layer: "block3_conv1", items: [.init(filter: 27, seed: 0)], size: 64, steps: 50, stepSize: 0.1)
        let r = try GradientAscent(network: VGG16Network(weights: w)).run(job)
        let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden/seed-block3_conv1-27-64px-50steps.png")
        let expected = try PNGCodec.decode([UInt8](try Data(contentsOf: golden)))
        XCTAssertEqual(expected.width, 64)
        let got = r.rgb(0)
        let differing = zip(got, expected.pixels).filter { $0 != $1 }.count
        XCTAssertEqual(differing, 0, "\(differing) of \(got.count) bytes differ from the golden image")
        XCTAssertEqual(r.losses[0], 863.7216, "the final objective, as before")
        XCTAssertEqual(try PNGCodec.encode(RGBImage(width: 64, height: 64, pixels: got)), [UInt8](try Data(contentsOf: golden)),
                       "and the PNG bytes too (same libpng)")
    }
}
