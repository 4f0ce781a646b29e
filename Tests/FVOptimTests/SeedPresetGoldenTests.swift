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
/// exactly, byte for byte, from the kernels it was made with: Winograd F(4x4) on every layer.
/// The product has since moved block1_conv2 and block2 to F(6x6), which rounds differently;
/// the second test bounds how far that moves the same picture.
final class SeedPresetGoldenTests: XCTestCase {
    let job = AscentJob(layer: "block3_conv1", items: [.init(filter: 27, seed: 0)], size: 64, steps: 50, stepSize: 0.1)
    let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden/seed-block3_conv1-27-64px-50steps.png")

    func testTheSeedPresetStillMakesTheSameImage() throws {
        let w = try RealWeights.load()
        let r = try GradientAscent(network: VGG16Network(weights: w, tiling: .f4x4)).run(job)
        let expected = try PNGCodec.decode([UInt8](try Data(contentsOf: golden)))
        XCTAssertEqual(expected.width, 64)
        let got = r.rgb(0)
        let differing = zip(got, expected.pixels).filter { $0 != $1 }.count
        XCTAssertEqual(differing, 0, "\(differing) of \(got.count) bytes differ from the golden image")
        XCTAssertEqual(r.losses[0], 863.7216, "the final objective, as before")
        XCTAssertEqual(try PNGCodec.encode(RGBImage(width: 64, height: 64, pixels: got)), [UInt8](try Data(contentsOf: golden)),
                       "and the PNG bytes too (same libpng)")
    }

    /// With the product's kernels (F(6x6) on block1_conv2 and block2) the same job makes the
    /// same picture up to float rounding: each layer differs from F(4x4) by about 1e-5 of its
    /// scale, 50 normalised steps carry that into the last bits of some pixels, and no pixel
    /// may move by more than a few levels of 255 or the objective by more than 0.1%.
    func testTheProductKernelsMakeTheSamePictureToRounding() throws {
        let w = try RealWeights.load()
        let r = try GradientAscent(network: VGG16Network(weights: w)).run(job)
        let expected = try PNGCodec.decode([UInt8](try Data(contentsOf: golden)))
        let got = r.rgb(0)
        let diffs = zip(got, expected.pixels).map { abs(Int($0) - Int($1)) }
        let worst = diffs.max() ?? 0, moved = diffs.filter { $0 > 0 }.count
        print("product kernels against the F(4x4) golden: \(moved) of \(got.count) bytes differ, by at most \(worst); loss \(r.losses[0])")
        XCTAssertLessThanOrEqual(worst, 3, "a pixel moved by \(worst) levels")
        XCTAssertLessThan(Double(moved) / Double(got.count), 0.1, "\(moved) of \(got.count) bytes moved")
        XCTAssertEqual(Double(r.losses[0]), 863.7216, accuracy: 863.7216 * 1e-3, "the final objective")
    }
}
