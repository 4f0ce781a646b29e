import FVTestSupport
import SIMDKernels
import XCTest

/// The channel head against the Double reference: one filter per image, forward (with its ReLU)
/// and backward-data from a gradient on that channel alone, on every VGG16 layer shape it serves
/// (cin >= 64), two images with different filters, odd sizes for partial rows.
final class ChannelHeadTests: XCTestCase {
    func testForwardAndBackwardMatchTheReferenceOnEveryLayerShape() {
        var rng = TestRandom(7)
        var worst = 0.0
        for (name, cin, cout) in vggLayerShapes where cin % 8 == 0 {
            let s = TensorShape(n: 2, h: 7, w: 5, c: cin)
            let x = rng.buffer(s.count)
            let w = rng.buffer(cout * cin * 9, scale: 0.1)
            let bias = rng.buffer(cout, scale: 0.1)
            let filters = [1, cout - 1]
            let packed = AlignedBuffer<Float>(count: 2 * 9 * cin)
            for (n, f) in filters.enumerated() { ChannelHead.pack(weights: w.pointer, inChannels: cin, filter: f, into: packed.pointer + n * 9 * cin) }
            let y = AlignedBuffer<Float>(count: s.n * s.h * s.w)
            let positive = AlignedBuffer<UInt8>(count: s.n * s.h * s.w)
            ChannelHead.forward(input: x.pointer, shape: s, packed: packed.pointer, bias: filters.map { bias[$0] }, output: y.pointer, positive: positive.pointer)

            // The reference: the full layer, then each image's own channel, then ReLU.
            let full = AlignedBuffer<Float>(count: s.with(c: cout).count)
            ReferenceConvolution.forward(input: x.pointer, shape: s, weights: w.pointer, bias: bias.pointer, outChannels: cout, output: full.pointer)
            var expected = [Float](repeating: 0, count: y.count)
            for n in 0..<2 {
                for p in 0..<(s.h * s.w) { expected[n * s.h * s.w + p] = max(0, full[(n * s.h * s.w + p) * cout + filters[n]]) }
            }
            let fe = relativeError(Array(y.buffer), expected)
            XCTAssertLessThan(fe, 1e-5, "\(name) forward")

            // Backward: a gradient on each image's channel, masked by the ReLU, through the full layer.
            let dy = rng.buffer(y.count)
            let dx = AlignedBuffer<Float>(count: s.count)
            ChannelHead.backward(outputGradient: dy.pointer, positive: positive.pointer, inShape: s, packed: packed.pointer, inputGradient: dx.pointer)
            let dyFull = AlignedBuffer<Float>(count: full.count)
            for n in 0..<2 {
                for p in 0..<(s.h * s.w) where expected[n * s.h * s.w + p] > 0 {
                    dyFull[(n * s.h * s.w + p) * cout + filters[n]] = dy[n * s.h * s.w + p]
                }
            }
            let dxRef = AlignedBuffer<Float>(count: s.count)
            ReferenceConvolution.backwardData(outputGradient: dyFull.pointer, outShape: s.with(c: cout), weights: w.pointer, inChannels: cin, inputGradient: dxRef.pointer)
            let be = relativeError(dx.pointer, dxRef.pointer, s.count)
            XCTAssertLessThan(be, 1e-5, "\(name) backward")
            worst = max(worst, fe, be)
        }
        print("channel head vs reference, worst relative error over the layer shapes: \(worst)")
    }
}
