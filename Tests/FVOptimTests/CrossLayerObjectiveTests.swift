@testable import FVOptim
import FVModel
import FVTestSupport
import SIMDKernels
import XCTest

/// Objectives whose terms name their own layer and filter (Lucent's `channel("mixed4a", 476) -
/// channel("mixed4a", 460)`, across layers too): the network runs to the deepest term's layer,
/// reads the shallower ones as taps on the way up and adds their gradients on the way down.
final class CrossLayerObjectiveTests: XCTestCase {
    func noise(_ count: Int, seed: UInt32) -> AlignedBuffer<Float> {
        var r = MersenneTwister(seed: seed)
        let x = AlignedBuffer<Float>(count: count)
        for i in 0..<count { x[i] = Float(r.nextDouble() * 255) }
        return x
    }

    /// block1_conv2:5 - 0.5 * block3_conv1:17 + 2 * neuron(block2_conv2:3): both taps sit below a
    /// max-pool, so the tap's copy, its unfused ReLU and pool, and the gradients added on the way
    /// down are all exercised; before and after the ReLU.
    func objective(preReLU: Bool) -> TermsObjective {
        let terms: [WeightedTerm] = [.init(.channel, layer: 1, filter: 5), .init(.channel, weight: -0.5, layer: 4, filter: 17),
                                     .init(.neuron(y: 2, x: 3), weight: 2, layer: 3, filter: 3)]
        return TermsObjective(layer: 1, preReLU: preReLU, terms: terms, filters: [0], pictureSide: 18)
    }

    func testTheNetworkStopsAtTheDeepestTermAndTapsTheOthers() {
        let o = objective(preReLU: false)
        XCTAssertEqual(o.layer, 4)
        XCTAssertEqual(o.taps, [1, 3])
        XCTAssertEqual(o.home, 1)
    }

    /// Each term read through a tap equals the same layer read as a workspace's target.
    func testTapsReadWhatATargetReads() throws {
        let net = VGG16Network(weights: try RealWeights.load(), backend: .simd)
        let shape = TensorShape(n: 1, h: 18, w: 18, c: 3)
        let x = noise(shape.count, seed: 5)
        for pre in [false, true] {
            let ws = NetworkWorkspace(network: net, inputShape: shape, target: 4, preReLU: pre, taps: [1, 3])
            net.forward(x.pointer, ws)
            for l in [1, 3] {
                let alone = NetworkWorkspace(network: net, inputShape: shape, target: l, preReLU: pre)
                net.forward(x.pointer, alone)
                XCTAssertEqual(ws.outputShape(layer: l), alone.outputShape)
                let tapped = Array(UnsafeBufferPointer(start: ws.activations(layer: l), count: alone.outputShape.count))
                let direct = Array(UnsafeBufferPointer(start: alone.output, count: alone.outputShape.count))
                XCTAssertEqual(tapped, direct, "layer \(l) pre-ReLU \(pre)")
                if !pre { XCTAssertTrue(tapped.allSatisfy { $0 >= 0 }) } else { XCTAssertTrue(tapped.contains { $0 < 0 }) }
            }
            // And the target is unchanged by tapping below it.
            let plain = NetworkWorkspace(network: net, inputShape: shape, target: 4, preReLU: pre)
            net.forward(x.pointer, plain)
            XCTAssertEqual(Array(UnsafeBufferPointer(start: ws.output, count: ws.outputShape.count)),
                           Array(UnsafeBufferPointer(start: plain.output, count: plain.outputShape.count)))
        }
    }

    /// d(objective)/d(input) through three layers' terms against central differences, with the
    /// Double-accurate reference kernels and with the SIMD ones.
    func testGradientAcrossLayersMatchesFiniteDifferences() throws {
        let weights = try RealWeights.load()
        for backend in [KernelBackend.reference, .simd] {
            let net = VGG16Network(weights: weights, backend: backend)
            for pre in [false, true] {
                let o = objective(preReLU: pre)
                let shape = TensorShape(n: 1, h: 18, w: 18, c: 3)
                let ws = NetworkWorkspace(network: net, inputShape: shape, target: o.layer, preReLU: pre, taps: o.taps)
                let x = noise(shape.count, seed: 3)
                net.forward(x.pointer, ws)
                o.gradient(ws)
                net.backward(ws)
                let g = ws.inputGradient.toArray()
                func value() -> Double {
                    net.forward(x.pointer, ws)
                    return Double(o.values(ws)[0])
                }
                // Each layer's part alone has its own largest pixels; take the overall largest.
                let top = g.indices.sorted { abs(g[$0]) > abs(g[$1]) }.prefix(8)
                for i in top {
                    let eps: Float = 0.05, keep = x[i]
                    x[i] = keep + eps
                    let up = value()
                    x[i] = keep - eps
                    let down = value()
                    x[i] = keep
                    let fd = (up - down) / (2 * Double(eps))
                    let rel = abs(fd - Double(g[i])) / max(abs(fd), 1e-12)
                    XCTAssertLessThan(rel, backend == .reference ? 1e-2 : 3e-2,
                                      "\(backend) pre-ReLU \(pre) pixel \(i): backward \(g[i]) vs finite difference \(fd)")
                }
            }
        }
    }

    /// The gradient of a sum of terms on two layers is the sum of each term's gradient alone
    /// (the taps' gradients are added, not written over).
    func testGradientsOfTermsOnTwoLayersAdd() throws {
        let net = VGG16Network(weights: try RealWeights.load(), backend: .simd)
        let shape = TensorShape(n: 1, h: 18, w: 18, c: 3)
        let x = noise(shape.count, seed: 9)
        func inputGradient(_ terms: [WeightedTerm]) -> [Float] {
            let o = TermsObjective(layer: 1, preReLU: false, terms: terms, filters: [0], pictureSide: 18)
            let ws = NetworkWorkspace(network: net, inputShape: shape, target: o.layer, preReLU: false, taps: o.taps)
            net.forward(x.pointer, ws)
            o.gradient(ws)
            net.backward(ws)
            return ws.inputGradient.toArray()
        }
        let a = WeightedTerm(.channel, layer: 1, filter: 5), b = WeightedTerm(.channel, weight: -0.5, layer: 4, filter: 17)
        let both = inputGradient([a, b]), first = inputGradient([a]), second = inputGradient([b])
        let scale = both.map { abs($0) }.max()!
        XCTAssertGreaterThan(scale, 0)
        for k in both.indices { XCTAssertEqual(both[k], first[k] + second[k], accuracy: 1e-4 * scale, "pixel \(k)") }
        XCTAssertNotEqual(first.map { abs($0) }.max()!, 0)
        XCTAssertNotEqual(second.map { abs($0) }.max()!, 0)
    }
}
