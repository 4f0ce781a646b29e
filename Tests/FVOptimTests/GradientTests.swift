import FVModel
import FVOptim
import SIMDKernels
import FVTestSupport
import XCTest

/// The backward pass against central finite differences of the loss, and the SIMD kernels'
/// gradient against the reference kernels' for every target layer, with the real weights.
final class GradientTests: XCTestCase {
    func loss(_ net: VGG16Network, _ ws: NetworkWorkspace, _ x: AlignedBuffer<Float>, filter: Int) -> Double {
        net.forward(x.pointer, ws)
        return Double(ChannelObjective.losses(ws.output, shape: ws.outputShape, channels: [filter])[0])
    }

    func gradient(_ net: VGG16Network, _ ws: NetworkWorkspace, _ x: AlignedBuffer<Float>, filter: Int) -> [Float] {
        net.forward(x.pointer, ws)
        ChannelObjective.gradient(into: ws.outputGradient, shape: ws.outputShape, channels: [filter])
        net.backward(ws)
        return ws.inputGradient.toArray()
    }

    func noise(_ count: Int, seed: UInt32) -> AlignedBuffer<Float> {
        var r = MersenneTwister(seed: seed)
        let x = AlignedBuffer<Float>(count: count)
        for i in 0..<count { x[i] = Float(r.nextDouble() * 255) }
        return x
    }

    func testBackwardMatchesFiniteDifferences() throws {
        let net = VGG16Network(weights: try RealWeights.load(), backend: .reference)
        // block2_conv1 sits behind a max-pool, so conv, ReLU and pool backward are all exercised.
        for (layer, filter) in [("block1_conv2", 5), ("block2_conv1", 17)] {
            let target = VGG16.layer(named: layer)!.index
            let shape = TensorShape(n: 1, h: 18, w: 18, c: 3)
            let ws = NetworkWorkspace(network: net, inputShape: shape, target: target)
            let x = noise(shape.count, seed: 3)
            let g = gradient(net, ws, x, filter: filter)
            // The pixels with the largest gradients: a meaningful signal to compare.
            let top = g.indices.sorted { abs(g[$0]) > abs(g[$1]) }.prefix(6)
            for i in top {
                let eps: Float = 0.05
                let keep = x[i]
                x[i] = keep + eps
                let up = loss(net, ws, x, filter: filter)
                x[i] = keep - eps
                let down = loss(net, ws, x, filter: filter)
                x[i] = keep
                let fd = (up - down) / (2 * Double(eps))
                let rel = abs(fd - Double(g[i])) / max(abs(fd), 1e-12)
                XCTAssertLessThan(rel, 1e-2, "\(layer) pixel \(i): backward \(g[i]) vs finite difference \(fd)")
            }
        }
    }

    func testSIMDGradientMatchesReferenceOnEveryLayer() throws {
        let w = try RealWeights.load()
        let fast = VGG16Network(weights: w, backend: .simd)
        let slow = VGG16Network(weights: w, backend: .reference)
        var worst = 0.0
        for l in VGG16.layers {
            // 20x19 with 2 images: odd sizes and partial Winograd tiles all the way down.
            let shape = TensorShape(n: 2, h: 20, w: 19, c: 3)
            let x = noise(shape.count, seed: UInt32(l.index))
            // Each image's most active filter, so the gradient is not trivially zero.
            let probe = NetworkWorkspace(network: fast, inputShape: shape, target: l.index)
            fast.forward(x.pointer, probe)
            let filters = (0..<2).map { n in
                (0..<l.outChannels).max { meanActivation(probe, n, $0) < meanActivation(probe, n, $1) }!
            }
            // Forward on each backend; backward on each from the SAME forward state (the
            // reference's masks and pool winners), so a ReLU that flips sign on a near-zero
            // pre-activation cannot make two correct kernels disagree.
            let ws = NetworkWorkspace(network: fast, inputShape: shape, target: l.index)
            func forwardOutput(_ net: VGG16Network) -> [Float] {
                net.forward(x.pointer, ws)
                return Array(UnsafeBufferPointer(start: ws.output, count: ws.outputShape.count))
            }
            func backward(_ net: VGG16Network) -> [Float] {
                slow.forward(x.pointer, ws)
                ChannelObjective.gradient(into: ws.outputGradient, shape: ws.outputShape, channels: filters)
                net.backward(ws)
                return ws.inputGradient.toArray()
            }
            let o1 = forwardOutput(fast), o2 = forwardOutput(slow)
            let g1 = backward(fast), g2 = backward(slow)
            let eo = relativeError(o1, o2)
            let eg = relativeError(g1, g2)
            XCTAssertLessThan(eo, 1e-3, "\(l.name) forward")
            XCTAssertLessThan(eg, 1e-3, "\(l.name) input gradient")
            XCTAssertTrue(g2.contains { $0 != 0 }, "\(l.name): the reference gradient is all zero, the comparison would mean nothing")
            worst = max(worst, max(eo, eg))
            print("\(l.name): forward rel err \(eo), input-gradient rel err \(eg)")
        }
        print("worst SIMD vs reference relative error over 13 layers: \(worst)")
    }

    /// The channel head (one filter per image at the target layer) gives the loss and input
    /// gradient of the full layer, on every target layer but the first.
    func testChannelHeadMatchesTheFullLayer() throws {
        let net = VGG16Network(weights: try RealWeights.load(), backend: .simd)
        for l in VGG16.layers where l.index > 0 {
            let shape = TensorShape(n: 2, h: 21, w: 18, c: 3)
            let x = noise(shape.count, seed: UInt32(40 + l.index))
            let filters = [l.index * 5 % l.outChannels, (l.index * 11 + 3) % l.outChannels]
            func run(_ head: Bool) -> ([Float], [Float]) {
                let ws = NetworkWorkspace(network: net, inputShape: shape, target: l.index, output: head ? .channelPerImage(filters) : .layer)
                let channels = filters.enumerated().map { ws.outputChannel(image: $0, filter: $1) }
                net.forward(x.pointer, ws)
                let losses = ChannelObjective.losses(ws.output, shape: ws.outputShape, channels: channels)
                ChannelObjective.gradient(into: ws.outputGradient, shape: ws.outputShape, channels: channels)
                net.backward(ws)
                return (losses, ws.inputGradient.toArray())
            }
            let (fullLoss, fullGrad) = run(false)
            let (headLoss, headGrad) = run(true)
            for n in 0..<2 { XCTAssertEqual(Double(headLoss[n]), Double(fullLoss[n]), accuracy: 1e-4 * max(1, Double(abs(fullLoss[n]))), "\(l.name) loss") }
            let e = relativeError(headGrad, fullGrad)
            XCTAssertLessThan(e, 1e-3, "\(l.name) input gradient through the head")
        }
    }

    func meanActivation(_ ws: NetworkWorkspace, _ n: Int, _ c: Int) -> Float {
        let s = ws.outputShape
        var sum: Float = 0
        for p in 0..<s.pixels { sum += ws.output[(n * s.pixels + p) * s.c + c] }
        return sum
    }
}
