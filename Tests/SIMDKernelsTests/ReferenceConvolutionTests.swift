import SIMDKernels
import XCTest

/// The reference itself is checked against an even plainer definition: the convolution as a
/// dense linear map applied entry by entry, and backward-data as its exact transpose
/// (<conv(x), dy> == <x, conv^T(dy)>).
final class ReferenceConvolutionTests: XCTestCase {
    func testForwardMatchesHandComputedSums() {
        // 1 image, 3x3, 1 channel in, 1 out, all-ones kernel: each output is the sum of its
        // in-bounds 3x3 neighbourhood, plus the bias.
        let x = AlignedBuffer<Float>(count: 9)
        for i in 0..<9 { x[i] = Float(i + 1) }
        let w = AlignedBuffer<Float>(count: 9)
        for i in 0..<9 { w[i] = 1 }
        var bias: Float = 0.5
        let y = AlignedBuffer<Float>(count: 9)
        ReferenceConvolution.forward(
            input: x.pointer, shape: TensorShape(n: 1, h: 3, w: 3, c: 1),
            weights: w.pointer, bias: &bias, outChannels: 1, output: y.pointer)
        // corners: 1+2+4+5 = 12; centre: 45; top edge middle: 1+2+3+4+5+6 = 21
        XCTAssertEqual(y[0], 12.5)
        XCTAssertEqual(y[4], 45.5)
        XCTAssertEqual(y[1], 21.5)
        XCTAssertEqual(y[8], 5 + 6 + 8 + 9 + 0.5)
    }

    func testKernelOrientationIsCorrelationNotFlipped() {
        // A kernel with a single 1 at (ky=0, kx=0) reads the pixel up-left of each output.
        let x = AlignedBuffer<Float>(count: 9)
        for i in 0..<9 { x[i] = Float(i + 1) }
        let w = AlignedBuffer<Float>(count: 9)
        w[0] = 1
        let y = AlignedBuffer<Float>(count: 9)
        ReferenceConvolution.forward(
            input: x.pointer, shape: TensorShape(n: 1, h: 3, w: 3, c: 1),
            weights: w.pointer, bias: nil, outChannels: 1, output: y.pointer)
        XCTAssertEqual(y[4], 1)  // centre output reads x(0,0)
        XCTAssertEqual(y[8], 5)  // bottom-right reads x(1,1)
        XCTAssertEqual(y[0], 0)  // out of bounds -> zero padding
    }

    func testBackwardDataIsTheTransposeOfForward() {
        var rng = TestRandom(7)
        for (n, h, w, cin, cout) in [(1, 5, 4, 3, 2), (2, 3, 6, 4, 5), (1, 1, 1, 2, 3)] {
            let s = TensorShape(n: n, h: h, w: w, c: cin)
            let x = rng.buffer(s.count)
            let dy = rng.buffer(s.with(c: cout).count)
            let wts = rng.buffer(cout * cin * 9)
            let y = AlignedBuffer<Float>(count: s.with(c: cout).count)
            let dx = AlignedBuffer<Float>(count: s.count)
            ReferenceConvolution.forward(input: x.pointer, shape: s, weights: wts.pointer, bias: nil, outChannels: cout, output: y.pointer)
            ReferenceConvolution.backwardData(outputGradient: dy.pointer, outShape: s.with(c: cout), weights: wts.pointer, inChannels: cin, inputGradient: dx.pointer)
            var lhs = 0.0, rhs = 0.0
            for i in 0..<y.count { lhs += Double(y[i]) * Double(dy[i]) }
            for i in 0..<x.count { rhs += Double(x[i]) * Double(dx[i]) }
            XCTAssertEqual(lhs, rhs, accuracy: 1e-4 * max(1, abs(lhs)), "shape \(s) -> \(cout)")
        }
    }
}
