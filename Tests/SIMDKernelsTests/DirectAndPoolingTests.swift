import Foundation
import FVTestSupport
import SIMDKernels
import XCTest

final class DirectAndPoolingTests: XCTestCase {
    func testDirectConvolutionForwardAndBackwardMatchReference() {
        var rng = TestRandom(5)
        let cin = 3, cout = 64
        // Widths of 6 and more take the four-pixel path on inner rows (with 0-3 pixels left over).
        for s in [TensorShape(n: 1, h: 7, w: 5, c: cin), TensorShape(n: 3, h: 4, w: 9, c: cin),
                  TensorShape(n: 1, h: 13, w: 23, c: cin), TensorShape(n: 2, h: 6, w: 6, c: cin), TensorShape(n: 1, h: 3, w: 12, c: cin)] {
            let w = rng.buffer(cout * cin * 9, scale: 0.3)
            let b = rng.buffer(cout)
            let conv = DirectConvolution(weights: w.pointer, outChannels: cout, inChannels: cin)
            let x = rng.buffer(s.count, scale: 100)
            let got = AlignedBuffer<Float>(count: s.with(c: cout).count)
            let want = AlignedBuffer<Float>(count: got.count)
            conv.forward(input: x.pointer, shape: s, bias: b.pointer, relu: .none, output: got.pointer)
            ReferenceConvolution.forward(input: x.pointer, shape: s, weights: w.pointer, bias: b.pointer, outChannels: cout, output: want.pointer)
            XCTAssertLessThan(relativeError(got.pointer, want.pointer, got.count), 1e-5, "forward \(s)")

            let dy = rng.buffer(got.count)
            let dx = AlignedBuffer<Float>(count: s.count)
            let dxWant = AlignedBuffer<Float>(count: s.count)
            conv.backwardData(outputGradient: dy.pointer, outShape: s.with(c: cout), inputGradient: dx.pointer)
            ReferenceConvolution.backwardData(outputGradient: dy.pointer, outShape: s.with(c: cout), weights: w.pointer, inChannels: cin, inputGradient: dxWant.pointer)
            XCTAssertLessThan(relativeError(dx.pointer, dxWant.pointer, dx.count), 1e-5, "backward \(s)")
        }
    }

    /// Forward likewise: a pixel's output (bias, ReLU, mask) is the same bits in a group of three
    /// as alone. Against 3-row windows one pixel narrower, pixels 10 and 11 move from a group to
    /// the one-pixel path.
    func testForwardGroupingDoesNotChangeBits() {
        var rng = TestRandom(8)
        let cout = 64
        let w = rng.buffer(cout * 3 * 9, scale: 0.3), bias = rng.buffer(cout)
        let conv = DirectConvolution(weights: w.pointer, outChannels: cout, inChannels: 3)
        let wide = TensorShape(n: 1, h: 5, w: 14, c: 3)
        let x = rng.buffer(wide.count, scale: 50)
        let y = AlignedBuffer<Float>(count: wide.with(c: cout).count)
        let mask = AlignedBuffer<UInt8>(count: ReLU.maskBytes(y.count))
        conv.forward(input: x.pointer, shape: wide, bias: bias.pointer, relu: .record(mask.pointer), output: y.pointer)
        for i in 1..<(wide.h - 1) {
            let win = TensorShape(n: 1, h: 3, w: wide.w - 1, c: 3)
            let part = AlignedBuffer<Float>(count: win.count)
            for r in 0..<3 {
                for px in 0..<win.w {
                    for c in 0..<3 { part[(r * win.w + px) * 3 + c] = x[((i - 1 + r) * wide.w + px) * 3 + c] }
                }
            }
            let out = AlignedBuffer<Float>(count: win.with(c: cout).count)
            let outMask = AlignedBuffer<UInt8>(count: ReLU.maskBytes(out.count))
            conv.forward(input: part.pointer, shape: win, bias: bias.pointer, relu: .record(outMask.pointer), output: out.pointer)
            for px in 1..<(win.w - 1) {
                for c in 0..<cout {
                    XCTAssertEqual(out[(win.w + px) * cout + c].bitPattern, y[(i * wide.w + px) * cout + c].bitPattern, "row \(i) pixel \(px)")
                }
                for byte in 0..<(cout / 8) {
                    XCTAssertEqual(outMask[((win.w + px) * cout) / 8 + byte], mask[((i * wide.w + px) * cout) / 8 + byte], "mask, row \(i) pixel \(px)")
                }
            }
        }
    }

    /// Grouping pixels changes no pixel's order of summation: a pixel's gradient is the same bits
    /// whether its neighbours exist or not (the 4-pixel path against a picture 1 pixel narrower
    /// on the right, where the same pixels fall to other groups or to the one-pixel path).
    func testBackwardGroupingDoesNotChangeBits() {
        var rng = TestRandom(6)
        let cout = 64
        let w = rng.buffer(cout * 3 * 9, scale: 0.3)
        let conv = DirectConvolution(weights: w.pointer, outChannels: cout, inChannels: 3)
        let wide = TensorShape(n: 1, h: 5, w: 14, c: cout)
        let dy = rng.buffer(wide.count)
        let dx = AlignedBuffer<Float>(count: wide.with(c: 3).count)
        conv.backwardData(outputGradient: dy.pointer, outShape: wide, inputGradient: dx.pointer)
        // Row by row with the pixels one at a time: a 1-row picture never takes the 4-pixel path,
        // but row i's interior sums need rows i-1..i+1, so compare against 3-row windows instead.
        for i in 1..<(wide.h - 1) {
            let win = TensorShape(n: 1, h: 3, w: wide.w - 1, c: cout)
            let part = AlignedBuffer<Float>(count: win.count)
            for r in 0..<3 {
                for x in 0..<win.w {
                    for c in 0..<cout { part[(r * win.w + x) * cout + c] = dy[((i - 1 + r) * wide.w + x) * cout + c] }
                }
            }
            let out = AlignedBuffer<Float>(count: win.with(c: 3).count)
            conv.backwardData(outputGradient: part.pointer, outShape: win, inputGradient: out.pointer)
            // Middle row, pixels 1 ..< w-2 have all their taps in both pictures.
            for x in 1..<(win.w - 1) {
                for c in 0..<3 {
                    XCTAssertEqual(out[(win.w + x) * 3 + c].bitPattern, dx[(i * wide.w + x) * 3 + c].bitPattern, "row \(i) pixel \(x)")
                }
            }
        }
    }

    func testMaxPoolMatchesReferenceIncludingOddSizesAndTies() {
        var rng = TestRandom(11)
        for s in [TensorShape(n: 1, h: 4, w: 4, c: 8), TensorShape(n: 3, h: 7, w: 5, c: 16), TensorShape(n: 1, h: 3, w: 3, c: 8)] {
            let x = rng.buffer(s.count)
            // Force ties in the first channel so the tie rule is exercised.
            for i in stride(from: 0, to: s.count, by: s.c) { x[i] = 1 }
            let o = s.pooled
            let y = AlignedBuffer<Float>(count: o.count), yRef = AlignedBuffer<Float>(count: o.count)
            let a = AlignedBuffer<UInt8>(count: o.count), aRef = AlignedBuffer<UInt8>(count: o.count)
            MaxPool.forward(input: x.pointer, shape: s, output: y.pointer, argmax: a.pointer)
            ReferencePooling.maxPoolForward(input: x.pointer, shape: s, output: yRef.pointer, argmax: aRef.pointer)
            XCTAssertEqual(y.toArray(), yRef.toArray(), "pool forward \(s)")
            XCTAssertEqual(a.toArray(), aRef.toArray(), "pool argmax \(s)")

            let dy = rng.buffer(o.count)
            let dx = AlignedBuffer<Float>(count: s.count), dxRef = AlignedBuffer<Float>(count: s.count)
            for i in 0..<s.count { dx[i] = .nan }  // backward must write every element
            MaxPool.backward(outputGradient: dy.pointer, argmax: a.pointer, inShape: s, inputGradient: dx.pointer)
            ReferencePooling.maxPoolBackward(outputGradient: dy.pointer, argmax: aRef.pointer, inShape: s, inputGradient: dxRef.pointer)
            XCTAssertEqual(dx.toArray(), dxRef.toArray(), "pool backward \(s)")

            // With the pooled layer's ReLU mask: the same bits as a separate ReLU.backward pass.
            let mask = AlignedBuffer<UInt8>(count: ReLU.maskBytes(s.count))
            for i in 0..<mask.count { mask[i] = UInt8(truncatingIfNeeded: rng.next()) }
            ReLU.backward(dxRef.pointer, count: s.count, mask: mask.pointer)
            MaxPool.backward(outputGradient: dy.pointer, argmax: a.pointer, inShape: s, inputGradient: dx.pointer, reluMask: mask.pointer)
            XCTAssertEqual(dx.toArray().map(\.bitPattern), dxRef.toArray().map(\.bitPattern), "pool backward with the ReLU mask \(s)")
        }
    }

    func testReLUMaskRoundTrip() {
        var rng = TestRandom(3)
        let n = 64
        let x = rng.buffer(n)
        let orig = x.toArray()
        let mask = AlignedBuffer<UInt8>(count: ReLU.maskBytes(n))
        ReLU.forward(x.pointer, count: n, mask: mask.pointer)
        let g = AlignedBuffer<Float>(count: n)
        for i in 0..<n { g[i] = 1 }
        ReLU.backward(g.pointer, count: n, mask: mask.pointer)
        for i in 0..<n {
            XCTAssertEqual(x[i], max(orig[i], 0))
            XCTAssertEqual(g[i], orig[i] > 0 ? 1 : 0)
        }
    }

    /// The mask bits and the lane mask, lane by lane against their scalar definitions, for
    /// every byte and the values at the edges: +0 and -0 are not positive, the smallest
    /// subnormal is; a kept lane keeps its exact bits (-0 included), a dropped one becomes +0.
    func testMaskBitsAndApplyMaskLaneByLane() {
        let edges: [Float] = [0, -0.0, .leastNonzeroMagnitude, -.leastNonzeroMagnitude, 1, -1, .infinity, -.infinity]
        for shift in 0..<8 {
            var v = SIMD8<Float>()
            for lane in 0..<8 { v[lane] = edges[(lane + shift) % 8] }
            let bits = ReLU.maskBits(v)
            for lane in 0..<8 {
                XCTAssertEqual((bits >> UInt8(lane)) & 1 == 1, v[lane] > 0, "lane \(lane) = \(v[lane])")
            }
            for byte in 0...255 {
                let kept = ReLU.applyMask(v, UInt8(byte))
                for lane in 0..<8 {
                    let want: Float = (byte >> lane) & 1 == 1 ? v[lane] : 0
                    XCTAssertEqual(kept[lane].bitPattern, want.bitPattern, "byte \(byte), lane \(lane) = \(v[lane])")
                }
            }
        }
    }
}

final class CPUFeaturesTests: XCTestCase {
    /// This machine (and CI's) has AVX2 and FMA, as /proc/cpuinfo says; cpuid must agree.
    func testAgreesWithProcCpuinfo() throws {
        let info = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        let flags = Set(info.split(separator: "\n").first { $0.hasPrefix("flags") }?.split(separator: " ").map(String.init) ?? [])
        XCTAssertEqual(CPUFeatures.missing().contains("AVX2"), !flags.contains("avx2"))
        XCTAssertEqual(CPUFeatures.missing().contains("FMA"), !flags.contains("fma"))
        if CPUFeatures.missing().isEmpty { XCTAssertNil(CPUFeatures.refusal()) }
    }
}
