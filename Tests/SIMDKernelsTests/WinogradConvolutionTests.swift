import FVTestSupport
import SIMDKernels
import XCTest

/// Winograd F(4x4,3x3) against the Double-accumulating reference, on every VGG16 layer shape
/// (small spatial sizes), partial tiles, odd sizes and batches of 1 and 3, both directions.
final class WinogradConvolutionTests: XCTestCase {
    /// Tolerance relative to the largest output (the activation scale).
    let tolerance = 1e-3

    func check(cin: Int, cout: Int, shape s: TensorShape, backward: Bool, label: String, seed: UInt64) -> Double {
        var rng = TestRandom(seed)
        let weights = rng.buffer(cout * cin * 9, scale: 0.1)
        let bias = rng.buffer(cout, scale: 0.5)
        let conv = WinogradConvolution(weights: weights.pointer, outChannels: cout, inChannels: cin, forBackwardData: backward)
        let inC = backward ? cout : cin, outC = backward ? cin : cout
        let inShape = s.with(c: inC)
        let x = rng.buffer(inShape.count)
        let got = AlignedBuffer<Float>(count: s.with(c: outC).count)
        let want = AlignedBuffer<Float>(count: s.with(c: outC).count)
        let scratch = AlignedBuffer<Float>(count: conv.scratchCount(for: inShape))
        conv.run(input: x.pointer, shape: inShape, bias: backward ? nil : bias.pointer, reluMask: nil,
                 output: got.pointer, scratch: scratch.pointer)
        if backward {
            ReferenceConvolution.backwardData(outputGradient: x.pointer, outShape: inShape, weights: weights.pointer,
                                              inChannels: cin, inputGradient: want.pointer)
        } else {
            ReferenceConvolution.forward(input: x.pointer, shape: inShape, weights: weights.pointer, bias: bias.pointer,
                                         outChannels: cout, output: want.pointer)
        }
        let err = relativeError(got.pointer, want.pointer, got.count)
        XCTAssertLessThan(err, tolerance, "\(label) \(backward ? "backward" : "forward") shape \(inShape): rel err \(err)")
        return err
    }

    func testEveryVGGLayerShapeForwardAndBackward() {
        var worst = 0.0
        for (i, (name, cin, cout)) in vggLayerShapes.enumerated() where cin % 8 == 0 {
            // 9x7: partial tiles in both directions; batch alternates 1 and 3.
            let s = TensorShape(n: i % 2 == 0 ? 1 : 3, h: 9, w: 7, c: cin)
            worst = max(worst, check(cin: cin, cout: cout, shape: s, backward: false, label: name, seed: UInt64(i)))
            worst = max(worst, check(cin: cin, cout: cout, shape: s, backward: true, label: name, seed: UInt64(100 + i)))
        }
        print("Winograd F(4,3) worst relative error over VGG16 shapes: \(worst)")
    }

    func testOddAndTinySpatialSizes() {
        for (h, w) in [(1, 1), (2, 3), (4, 4), (5, 5), (8, 8), (13, 11), (16, 17)] {
            for n in [1, 3] {
                let s = TensorShape(n: n, h: h, w: w, c: 16)
                _ = check(cin: 16, cout: 32, shape: s, backward: false, label: "small", seed: UInt64(h * 31 + w))
                _ = check(cin: 16, cout: 32, shape: s, backward: true, label: "small", seed: UInt64(h * 37 + w))
            }
        }
    }

    func testFusedReLURecordsMaskAndClamps() {
        var rng = TestRandom(99)
        let cin = 16, cout = 16
        let s = TensorShape(n: 2, h: 6, w: 5, c: cin)
        let weights = rng.buffer(cout * cin * 9, scale: 0.2)
        let conv = WinogradConvolution(weights: weights.pointer, outChannels: cout, inChannels: cin)
        let x = rng.buffer(s.count)
        let scratch = AlignedBuffer<Float>(count: conv.scratchCount(for: s))
        let plain = AlignedBuffer<Float>(count: s.with(c: cout).count)
        let fused = AlignedBuffer<Float>(count: s.with(c: cout).count)
        let mask = AlignedBuffer<UInt8>(count: ReLU.maskBytes(fused.count))
        conv.run(input: x.pointer, shape: s, bias: nil, reluMask: nil, output: plain.pointer, scratch: scratch.pointer)
        conv.run(input: x.pointer, shape: s, bias: nil, reluMask: mask.pointer, output: fused.pointer, scratch: scratch.pointer)
        var negatives = 0
        for i in 0..<plain.count {
            XCTAssertEqual(fused[i], max(plain[i], 0))
            let bit = (mask[i / 8] >> UInt8(i % 8)) & 1
            XCTAssertEqual(bit == 1, plain[i] > 0, "mask bit \(i)")
            if plain[i] < 0 { negatives += 1 }
        }
        XCTAssertGreaterThan(negatives, 0, "the test needs some negative pre-activations to mean anything")
    }
}
