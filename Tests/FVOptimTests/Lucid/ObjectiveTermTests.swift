@testable import FVOptim
import FVModel
import FVTestSupport
import SIMDKernels
import XCTest

/// Each objective term's value and gradient on cases checked by hand or by finite differences:
/// channel, neuron (centre and given, scaled), direction, deepdream, diversity, and the
/// picture penalties.
final class ObjectiveTermTests: XCTestCase {
    static let simd: VGG16Network? = RealWeights.shared.map { VGG16Network(weights: $0, backend: .simd) }

    /// A forward pass to block1_conv2 of two 12 px images, pre-ReLU (every channel computed).
    func workspace() throws -> NetworkWorkspace {
        _ = try RealWeights.load()
        let shape = TensorShape(n: 2, h: 12, w: 12, c: 3)
        let ws = NetworkWorkspace(network: Self.simd!, inputShape: shape, target: 1, output: .layer, preReLU: true)
        let x = AlignedBuffer<Float>(count: shape.count)
        var r = MersenneTwister(seed: 3)
        for k in 0..<x.count { x[k] = Float(r.nextDouble() * 200 - 100) }
        Self.simd!.forward(x.pointer, ws)
        return ws
    }

    func at(_ ws: NetworkWorkspace, _ n: Int, _ y: Int, _ x: Int, _ c: Int) -> Float {
        let s = ws.outputShape
        return ws.output[((n * s.h + y) * s.w + x) * s.c + c]
    }

    func testTermValuesByHand() throws {
        let ws = try workspace()
        let s = ws.outputShape
        func objective(_ terms: [WeightedTerm]) -> TermsObjective {
            TermsObjective(layer: 1, preReLU: true, terms: terms, filters: [5, 9], pictureSide: 12)
        }
        var mean5 = 0.0
        for y in 0..<s.h { for x in 0..<s.w { mean5 += Double(at(ws, 0, y, x, 5)) } }
        mean5 /= Double(s.pixels)
        XCTAssertEqual(Double(objective([.init(.channel)]).values(ws)[0]), mean5, accuracy: 1e-3)
        XCTAssertEqual(objective([.init(.neuron(y: nil, x: nil))]).values(ws)[1], at(ws, 1, 6, 6, 9), "the centre")
        XCTAssertEqual(objective([.init(.neuron(y: 2, x: 7))]).values(ws)[0], at(ws, 0, 2, 7, 5))
        var v = [Float](repeating: 0, count: 64)
        v[5] = 2
        v[9] = -1
        var dir = 0.0
        for y in 0..<s.h { for x in 0..<s.w { dir += Double(2 * at(ws, 1, y, x, 5) - at(ws, 1, y, x, 9)) } }
        XCTAssertEqual(Double(objective([.init(.direction(v))]).values(ws)[1]), dir / Double(s.pixels), accuracy: 1e-3)
        var sq = 0.0
        for k in 0..<(s.pixels * s.c) { sq += Double(ws.output[k]) * Double(ws.output[k]) }
        XCTAssertEqual(Double(objective([.init(.deepdream)]).values(ws)[0]), sq / Double(s.pixels * s.c), accuracy: 1e-3 * sq / Double(s.pixels * s.c))
        let sum = objective([.init(.channel, weight: 2), .init(.neuron(y: 2, x: 7), weight: -0.5)]).values(ws)[0]
        XCTAssertEqual(Double(sum), 2 * mean5 - 0.5 * Double(at(ws, 0, 2, 7, 5)), accuracy: 1e-3)
    }

    /// Each term's gradient with respect to the layer's output, against central differences of
    /// its value (the values are smooth in the activations: no network in between).
    func testTermGradientsMatchFiniteDifferences() throws {
        let ws = try workspace()
        let s = ws.outputShape
        var v = [Float](repeating: 0, count: 64)
        for c in 0..<64 { v[c] = Float(c % 5) - 2 }
        let all: [[WeightedTerm]] = [[.init(.channel)], [.init(.neuron(y: 3, x: 8))], [.init(.direction(v))], [.init(.deepdream)],
                                    [.init(.channel, weight: 3), .init(.deepdream, weight: 0.01)]]
        for terms in all {
            for diversity: Float in [0, 100] {
                let o = TermsObjective(layer: 1, preReLU: true, terms: terms, filters: [5, 9], diversityWeight: diversity, pictureSide: 12)
                o.gradient(ws)
                let g = Array(UnsafeBufferPointer(start: ws.outputGradient, count: s.count))
                for k in [0, 5, 64 * 3 + 5, (3 * 12 + 8) * 64 + 5, s.count / 2 + 9, s.count / 2 + (3 * 12 + 8) * 64 + 9, s.count - 1] {
                    // Large steps: the terms are linear or quadratic in the activations (central
                    // differences are exact for those) and the values are float sums of
                    // thousands of activations, whose rounding would swamp a small step.
                    let keep = ws.output[k], eps = diversity > 0 ? 0.05 * abs(keep) + 0.05 : abs(keep) + 1
                    ws.output[k] = keep + eps
                    let up = o.values(ws).reduce(0) { $0 + Double($1) }
                    ws.output[k] = keep - eps
                    let down = o.values(ws).reduce(0) { $0 + Double($1) }
                    ws.output[k] = keep
                    let fd = (up - down) / Double(2 * eps)
                    // What float values can resolve: a few units in the last place of the sum.
                    let resolution = 4 * Double(Float(abs(up)).ulp) / Double(2 * eps)
                    XCTAssertEqual(Double(g[k]), fd, accuracy: 2e-2 * abs(fd) + resolution, "\(terms) diversity \(diversity) element \(k)")
                }
            }
        }
    }

    /// What a step calls (one set of Gram matrices for both) equals values and gradient apart.
    func testValuesAndGradientTogetherEqualApart() throws {
        let ws = try workspace()
        let o = TermsObjective(layer: 1, preReLU: true, terms: [.init(.channel)], filters: [5, 9], diversityWeight: 100, pictureSide: 12)
        let apart = o.values(ws)
        o.gradient(ws)
        let gradient = Array(UnsafeBufferPointer(start: ws.outputGradient, count: ws.outputShape.count))
        XCTAssertEqual(o.valuesAndGradient(ws), apart)
        XCTAssertEqual(Array(UnsafeBufferPointer(start: ws.outputGradient, count: ws.outputShape.count)), gradient)
    }

    func testDiversityIsZeroForOrthogonalAndOneForEqualImages() {
        let s = TensorShape(n: 2, h: 1, w: 2, c: 2)
        // Image 0 fires channel 0 only, image 1 channel 1 only: Gram matrices are orthogonal.
        var a: [Float] = [1, 0, 2, 0, 0, 3, 0, 1]
        XCTAssertEqual(GramDiversity.shares(&a, s), [0, 0])
        var same: [Float] = [1, 2, 3, 4, 1, 2, 3, 4]
        let d = GramDiversity.shares(&same, s)
        XCTAssertEqual(d[0], 0.5, accuracy: 1e-6)  // (1/B) * <Ghat, Ghat> = 1/2
        XCTAssertEqual(d[1], 0.5, accuracy: 1e-6)
    }

    func testPicturePenaltiesValuesAndGradients() {
        let side = 5
        var r = MersenneTwister(seed: 6)
        let pic = AlignedBuffer<Float>(count: side * side * 3)
        for k in 0..<pic.count { pic[k] = Float(0.1 + 0.8 * r.nextDouble()) }
        // By hand: L1 of a constant 0.7 picture is 75 * 0.2; TV of a constant picture is 0.
        let flat = AlignedBuffer<Float>(count: pic.count)
        flat.pointer.update(repeating: 0.7, count: pic.count)
        let scratch = AlignedBuffer<Float>(count: pic.count)
        scratch.pointer.update(repeating: 0, count: pic.count)
        XCTAssertEqual(PicturePenalties(l1: 1).apply(flat.pointer, side: side, images: 1, gradient: scratch.pointer)[0], 15, accuracy: 1e-4)
        XCTAssertEqual(PicturePenalties(totalVariation: 1).apply(flat.pointer, side: side, images: 1, gradient: scratch.pointer)[0], 0)
        for p in [PicturePenalties(totalVariation: 0.5), PicturePenalties(l1: 2), PicturePenalties(blur: 3)] {
            let g = AlignedBuffer<Float>(count: pic.count)
            g.pointer.update(repeating: 0, count: pic.count)
            _ = p.apply(pic.pointer, side: side, images: 1, gradient: g.pointer)
            for k in [0, 7, 31, 74] {
                let keep = pic[k], eps: Float = 1e-3
                let junk = AlignedBuffer<Float>(count: pic.count)
                pic[k] = keep + eps
                let up = p.apply(pic.pointer, side: side, images: 1, gradient: junk.pointer)[0]
                pic[k] = keep - eps
                let down = p.apply(pic.pointer, side: side, images: 1, gradient: junk.pointer)[0]
                pic[k] = keep
                var fd = Double(up - down) / Double(2 * eps)
                if p.blur > 0 {
                    // The blurred copy is held constant (stop-gradient), as Lucid's: only the
                    // direct dependence counts, 3 * (I - blur(I)) here.
                    fd = Double(-g[k])
                }
                XCTAssertEqual(Double(-g[k]), fd, accuracy: 2e-2 * max(abs(fd), 1e-2), "\(p) element \(k)")
            }
        }
    }
}
