import FVTestSupport
import SIMDKernels
import XCTest

/// Winograd F(4x4,3x3) and F(6x6,3x3) against the Double-accumulating reference, on every VGG16
/// layer shape (small spatial sizes), partial tiles, odd sizes and batches of 1 and 3, both
/// directions, on both paths (three whole-layer phases, and fused block by block); and the two
/// paths against each other, bit for bit.
final class WinogradConvolutionTests: XCTestCase {
    let paths: [WinogradConvolution.Path] = [.threePhase, .fused]
    let tilings = WinogradConvolution.Tiling.allCases

    /// Tolerance relative to the largest output (the activation scale).
    let tolerance = 1e-3

    func check(cin: Int, cout: Int, shape s: TensorShape, backward: Bool, label: String, seed: UInt64,
               path: WinogradConvolution.Path, tiling: WinogradConvolution.Tiling) -> Double {
        var rng = TestRandom(seed)
        let weights = rng.buffer(cout * cin * 9, scale: 0.1)
        let bias = rng.buffer(cout, scale: 0.5)
        let conv = WinogradConvolution(weights: weights.pointer, outChannels: cout, inChannels: cin, forBackwardData: backward, tiling: tiling)
        let inC = backward ? cout : cin, outC = backward ? cin : cout
        let inShape = s.with(c: inC)
        let x = rng.buffer(inShape.count)
        let got = AlignedBuffer<Float>(count: s.with(c: outC).count)
        let want = AlignedBuffer<Float>(count: s.with(c: outC).count)
        let scratch = AlignedBuffer<Float>(count: conv.scratchCount(for: inShape, path: path))
        conv.run(input: x.pointer, shape: inShape, bias: backward ? nil : bias.pointer, relu: .none,
                 output: got.pointer, scratch: scratch.pointer, path: path)
        if backward {
            ReferenceConvolution.backwardData(outputGradient: x.pointer, outShape: inShape, weights: weights.pointer,
                                              inChannels: cin, inputGradient: want.pointer)
        } else {
            ReferenceConvolution.forward(input: x.pointer, shape: inShape, weights: weights.pointer, bias: bias.pointer,
                                         outChannels: cout, output: want.pointer)
        }
        let err = relativeError(got.pointer, want.pointer, got.count)
        XCTAssertLessThan(err, tolerance, "\(label) \(backward ? "backward" : "forward") \(tiling) \(path) shape \(inShape): rel err \(err)")
        return err
    }

    func testEveryVGGLayerShapeForwardAndBackward() {
        for tiling in tilings {
            for path in paths {
                var worst = 0.0
                for (i, (name, cin, cout)) in vggLayerShapes.enumerated() where cin % 8 == 0 {
                    // Interior tiles and partial tiles in both directions: 9x7 for F(4x4), 13x13
                    // for F(6x6) (tiles start at -1, 5, 11). Batch alternates 1 and 3.
                    let (h, w) = tiling == .f4x4 ? (9, 7) : (13, 13)
                    do {
                        let s = TensorShape(n: i % 2 == 0 ? 1 : 3, h: h, w: w, c: cin)
                        worst = max(worst, check(cin: cin, cout: cout, shape: s, backward: false, label: name, seed: UInt64(i + h),
                                                 path: path, tiling: tiling))
                        worst = max(worst, check(cin: cin, cout: cout, shape: s, backward: true, label: name, seed: UInt64(100 + i + h),
                                                 path: path, tiling: tiling))
                    }
                }
                print("Winograd \(tiling) \(path) worst relative error over VGG16 shapes: \(worst)")
            }
        }
    }

    /// Shapes with many tiles, so the fused path splits them into several blocks (the last one
    /// partial) shared by the cores: every layer with at most 128 channels, both directions.
    func testFusedPathOverManyBlocks() {
        for (i, (name, cin, cout)) in vggLayerShapes.enumerated() where cin % 8 == 0 && cin <= 128 && cout <= 128 {
            for (n, h, w) in [(1, 37, 41), (3, 22, 18)] {
                let s = TensorShape(n: n, h: h, w: w, c: cin)
                for tiling in tilings {
                    _ = check(cin: cin, cout: cout, shape: s, backward: false, label: name, seed: UInt64(200 + i + h), path: .fused, tiling: tiling)
                    _ = check(cin: cin, cout: cout, shape: s, backward: true, label: name, seed: UInt64(300 + i + h), path: .fused, tiling: tiling)
                }
            }
        }
    }

    /// Both paths run the same per-tile arithmetic and the same per-element FMA order, so they
    /// agree to the bit: which one a layer takes can never change a picture.
    func testPathsAgreeBitForBit() {
        var rng = TestRandom(7)
        for (cin, cout, n, h, w) in [(64, 64, 1, 37, 41), (64, 128, 3, 9, 7), (128, 64, 1, 150 / 2, 150 / 2), (256, 512, 1, 18, 18)] {
          for tiling in tilings {
            let weights = rng.buffer(cout * cin * 9, scale: 0.1)
            let bias = rng.buffer(cout, scale: 0.5)
            let conv = WinogradConvolution(weights: weights.pointer, outChannels: cout, inChannels: cin, tiling: tiling)
            let s = TensorShape(n: n, h: h, w: w, c: cin)
            let x = rng.buffer(s.count)
            var outputs: [[UInt32]] = [], masks: [[UInt8]] = []
            for path in paths {
                let y = AlignedBuffer<Float>(count: s.with(c: cout).count)
                let mask = AlignedBuffer<UInt8>(count: ReLU.maskBytes(y.count))
                let scratch = AlignedBuffer<Float>(count: conv.scratchCount(for: s, path: path))
                conv.run(input: x.pointer, shape: s, bias: bias.pointer, relu: .record(mask.pointer), output: y.pointer,
                         scratch: scratch.pointer, path: path)
                outputs.append(y.buffer.map(\.bitPattern))
                masks.append(Array(mask.buffer))
            }
            XCTAssertEqual(outputs[0], outputs[1], "\(cin)->\(cout) at \(n)x\(h)x\(w), \(tiling): the paths differ")
            XCTAssertEqual(masks[0], masks[1], "\(cin)->\(cout) at \(n)x\(h)x\(w), \(tiling): the ReLU masks differ")
          }
        }
    }

    /// The transform positions' slices are an odd number of cache lines apart (so a tile's 36
    /// values land in 36 different L1 sets), never overlap, and waste less than two lines.
    func testPositionStrideIsAnOddNumberOfLines() {
        for tiles in [4, 16, 52, 100, 196, 364, 1444, 3136] {
            for channels in [8, 16, 64, 128, 256, 512] {
                let floats = tiles * channels
                let stride = WinogradConvolution.positionStride(floats)
                XCTAssertEqual(stride % 16, 0, "\(floats) floats")
                XCTAssertEqual((stride / 16) % 2, 1, "\(floats) floats: \(stride / 16) lines")
                XCTAssertGreaterThanOrEqual(stride, floats)
                XCTAssertLessThan(stride, floats + 32)
            }
        }
    }

    func testOddAndTinySpatialSizes() {
        for (h, w) in [(1, 1), (2, 3), (4, 4), (5, 5), (8, 8), (13, 11), (16, 17)] {
            for n in [1, 3] {
                let s = TensorShape(n: n, h: h, w: w, c: 16)
                for path in paths {
                    for tiling in tilings {
                        _ = check(cin: 16, cout: 32, shape: s, backward: false, label: "small", seed: UInt64(h * 31 + w), path: path, tiling: tiling)
                        _ = check(cin: 16, cout: 32, shape: s, backward: true, label: "small", seed: UInt64(h * 37 + w), path: path, tiling: tiling)
                    }
                }
            }
        }
    }

    func testFusedReLURecordsMaskAndClamps() {
        for path in paths {
            for tiling in tilings { checkReLU(path, tiling) }
        }
    }

    func checkReLU(_ path: WinogradConvolution.Path, _ tiling: WinogradConvolution.Tiling) {
        var rng = TestRandom(99)
        let cin = 16, cout = 16
        let s = TensorShape(n: 2, h: 6, w: 5, c: cin)
        let weights = rng.buffer(cout * cin * 9, scale: 0.2)
        let conv = WinogradConvolution(weights: weights.pointer, outChannels: cout, inChannels: cin, tiling: tiling)
        let x = rng.buffer(s.count)
        let scratch = AlignedBuffer<Float>(count: conv.scratchCount(for: s, path: path))
        let plain = AlignedBuffer<Float>(count: s.with(c: cout).count)
        let fused = AlignedBuffer<Float>(count: s.with(c: cout).count)
        let mask = AlignedBuffer<UInt8>(count: ReLU.maskBytes(fused.count))
        conv.run(input: x.pointer, shape: s, bias: nil, relu: .none, output: plain.pointer, scratch: scratch.pointer, path: path)
        conv.run(input: x.pointer, shape: s, bias: nil, relu: .record(mask.pointer), output: fused.pointer, scratch: scratch.pointer, path: path)
        var negatives = 0
        for i in 0..<plain.count {
            XCTAssertEqual(fused[i], max(plain[i], 0), "\(path) \(tiling)")
            let bit = (mask[i / 8] >> UInt8(i % 8)) & 1
            XCTAssertEqual(bit == 1, plain[i] > 0, "mask bit \(i)")
            if plain[i] < 0 { negatives += 1 }
        }
        XCTAssertGreaterThan(negatives, 0, "the test needs some negative pre-activations to mean anything")
    }

    /// Backward-data with the layer below's ReLU mask applied as the output is written gives
    /// the same bits as the plain conv followed by `ReLU.backward`, on both paths, with a
    /// partial last tile and batch 3, including negative zeros.
    func testAppliedReLUMatchesASeparatePassBitForBit() {
        var rng = TestRandom(123)
        for (cin, cout, n, h, w) in [(64, 64, 1, 37, 41), (128, 64, 3, 9, 7), (256, 128, 1, 18, 18)] {
          for tiling in tilings {
            let weights = rng.buffer(cout * cin * 9, scale: 0.1)
            let conv = WinogradConvolution(weights: weights.pointer, outChannels: cout, inChannels: cin, forBackwardData: true, tiling: tiling)
            let dyShape = TensorShape(n: n, h: h, w: w, c: cout), dxShape = dyShape.with(c: cin)
            let dy = rng.buffer(dyShape.count)
            for i in stride(from: 0, to: dy.count, by: 97) { dy[i] = -0.0 }
            let mask = AlignedBuffer<UInt8>(count: ReLU.maskBytes(dxShape.count))
            for i in 0..<mask.count { mask[i] = UInt8(truncatingIfNeeded: rng.next()) }
            for path in paths {
                let scratch = AlignedBuffer<Float>(count: conv.scratchCount(for: dyShape, path: path))
                let separate = AlignedBuffer<Float>(count: dxShape.count), applied = AlignedBuffer<Float>(count: dxShape.count)
                conv.run(input: dy.pointer, shape: dyShape, bias: nil, relu: .none, output: separate.pointer, scratch: scratch.pointer, path: path)
                ReLU.backward(separate.pointer, count: dxShape.count, mask: mask.pointer)
                conv.run(input: dy.pointer, shape: dyShape, bias: nil, relu: .apply(mask.pointer), output: applied.pointer,
                         scratch: scratch.pointer, path: path)
                XCTAssertEqual(applied.buffer.map(\.bitPattern), separate.buffer.map(\.bitPattern), "\(cin)->\(cout) at \(n)x\(h)x\(w), \(path), \(tiling)")
                XCTAssertTrue(separate.buffer.contains { $0 != 0 } && separate.buffer.contains { $0 == 0 }, "the test needs both kinds of lanes")
            }
          }
        }
    }

    /// The product's choice: F(6x6) on the layers of at most 128 channels each way (both
    /// directions of block1_conv2 and block2), F(4x4) from block3 on; and U's size follows.
    func testPreferredTilingPerLayer() {
        var rng = TestRandom(5)
        for (name, cin, cout) in vggLayerShapes where cin % 8 == 0 {
            let weights = rng.buffer(cout * cin * 9, scale: 0.1)
            for backward in [false, true] {
                let conv = WinogradConvolution(weights: weights.pointer, outChannels: cout, inChannels: cin, forBackwardData: backward)
                let want: WinogradConvolution.Tiling = cin <= 128 && cout <= 128 ? .f6x6 : .f4x4
                XCTAssertEqual(conv.tiling, want, "\(name) \(backward ? "backward" : "forward")")
                XCTAssertEqual(conv.residentBytes, want.positions * cin * cout * 4, name)
            }
        }
    }

    /// Pooling as the output is stored gives the same bits as the full output followed by
    /// `MaxPool.forward`: pooled values, winners and ReLU mask, on both paths and both tilings,
    /// with odd sizes (a dropped last row and column), partial tiles, batch 3 and layers too
    /// small to pool. The full output is not written at all.
    func testPoolingAsItStoresMatchesConvThenMaxPool() {
        var rng = TestRandom(77)
        for (cin, cout, n, h, w) in [(64, 64, 1, 37, 41), (128, 128, 3, 9, 7), (16, 32, 2, 13, 11), (256, 256, 1, 18, 18), (16, 16, 3, 1, 3)] {
            let weights = rng.buffer(cout * cin * 9, scale: 0.1)
            let bias = rng.buffer(cout, scale: 0.5)
            let s = TensorShape(n: n, h: h, w: w, c: cin), outShape = s.with(c: cout), p = outShape.pooled
            let x = rng.buffer(s.count)
            for tiling in tilings {
                let conv = WinogradConvolution(weights: weights.pointer, outChannels: cout, inChannels: cin, tiling: tiling)
                for path in paths {
                    let scratch = AlignedBuffer<Float>(count: conv.scratchCount(for: s, path: path))
                    let full = AlignedBuffer<Float>(count: outShape.count), fullMask = AlignedBuffer<UInt8>(count: ReLU.maskBytes(outShape.count))
                    conv.run(input: x.pointer, shape: s, bias: bias.pointer, relu: .record(fullMask.pointer), output: full.pointer,
                             scratch: scratch.pointer, path: path)
                    let want = AlignedBuffer<Float>(count: max(1, p.count)), wantWinners = AlignedBuffer<UInt8>(count: max(1, p.count))
                    if p.count > 0 { MaxPool.forward(input: full.pointer, shape: outShape, output: want.pointer, argmax: wantWinners.pointer) }

                    let untouched = AlignedBuffer<Float>(count: outShape.count)
                    for i in 0..<untouched.count { untouched[i] = .nan }
                    let got = AlignedBuffer<Float>(count: max(1, p.count)), winners = AlignedBuffer<UInt8>(count: max(1, p.count))
                    let mask = AlignedBuffer<UInt8>(count: ReLU.maskBytes(outShape.count))
                    conv.run(input: x.pointer, shape: s, bias: bias.pointer, relu: .record(mask.pointer), output: untouched.pointer,
                             pooled: PooledOutput(output: got.pointer, argmax: winners.pointer), scratch: scratch.pointer, path: path)
                    let label = "\(cin)->\(cout) at \(n)x\(h)x\(w), \(tiling), \(path)"
                    XCTAssertEqual(Array(got.buffer.prefix(p.count)).map(\.bitPattern), Array(want.buffer.prefix(p.count)).map(\.bitPattern), label)
                    XCTAssertEqual(Array(winners.buffer.prefix(p.count)), Array(wantWinners.buffer.prefix(p.count)), "\(label): winners")
                    XCTAssertEqual(Array(mask.buffer), Array(fullMask.buffer), "\(label): ReLU mask")
                    XCTAssertTrue(untouched.buffer.allSatisfy { $0.isNaN }, "\(label): the full output was written")
                    if p.count > 8 {
                        XCTAssertEqual(Set(winners.buffer.prefix(p.count)).count, 4, "\(label): the test needs every window position to win somewhere")
                    }
                }
            }
        }
    }
}

