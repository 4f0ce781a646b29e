@testable import FVOptim
import FVModel
import FVTestSupport
import SIMDKernels
import XCTest

/// The lucid style end to end: the whole chain's gradient (spectrum -> colour -> sigmoid ->
/// transforms -> preprocessing -> network -> pre-ReLU objective) against finite differences,
/// the redirected ReLU and Adam on hand-checkable cases, and reproducible renders.
final class LucidChainTests: XCTestCase {
    static let simd: VGG16Network? = RealWeights.shared.map { VGG16Network(weights: $0, backend: .simd) }

    /// The objective is block1_conv1 before its ReLU: no kink lies between the parameters and
    /// it, so central differences along random directions of every parameter are exact to
    /// float precision (deeper targets add ReLU and max-pool kinks that a step of any useful
    /// size crosses; the network's own backward is checked layer by layer in GradientTests).
    func testWholeChainGradientMatchesFiniteDifferences() throws {
        let net = VGG16Network(weights: try RealWeights.load(), backend: .reference)
        let side = 16
        let image = FourierImage(side: side, seeds: [1])
        for k in 0..<image.parameters.count { image.parameters[k] *= 10 }
        var input = TransformedInput(side: side, images: 1, seed: 5)
        _ = input.prepare()
        let (h, w) = input.prepare()  // a second draw: fixed from here on
        let objective = ChannelObjective(layer: VGG16.layer(named: "block1_conv1")!.index, filters: [17], preReLU: true)
        let ws = NetworkWorkspace(network: net, inputShape: .init(n: 1, h: h, w: w, c: 3), target: objective.layer,
                                  output: objective.needs, preReLU: true)
        let pic = AlignedBuffer<Float>(count: side * side * 3), picGrad = AlignedBuffer<Float>(count: side * side * 3)
        let x = AlignedBuffer<Float>(count: h * w * 3)
        func value() -> Double {
            image.render(into: pic.pointer)
            input.forward(pic.pointer, count: 1, into: x.pointer)
            net.forward(x.pointer, ws)
            return Double(objective.values(ws)[0])
        }
        _ = value()
        objective.gradient(ws)
        net.backward(ws)
        input.adjoint(ws.inputGradient.pointer, count: 1, into: picGrad.pointer)
        let g = Array(UnsafeBufferPointer(start: image.parameterGradient(imageGradient: picGrad.pointer), count: image.parameters.count))
        var r = MersenneTwister(seed: 8)
        for trial in 0..<3 {
            let d = (0..<g.count).map { _ in r.nextDouble() * 2 - 1 }
            let analytic = zip(g, d).reduce(0.0) { $0 + Double($1.0) * $1.1 }
            let keep = image.parameters
            let fd: Double
            let eps = 1e-2
            image.parameters = zip(keep, d).map { $0 + eps * $1 }
            let up = value()
            image.parameters = zip(keep, d).map { $0 - eps * $1 }
            let down = value()
            image.parameters = keep
            fd = (up - down) / (2 * eps)
            XCTAssertEqual(analytic, fd, accuracy: 1e-3 * abs(fd), "direction \(trial)")
        }
    }

    func testRedirectedReLUPassesOnlyUpwardGradientWhereNothingPasses() {
        // Image 0: nothing positive, so the upward (> 0) gradient passes; image 1: one element
        // is positive with a non-zero gradient, so the ordinary ReLU gradient is used.
        let dy = AlignedBuffer<Float>(count: 16)
        let values: [Float] = [1, -2, 3, 0, -1, 5, -6, 7, 1, -2, 3, 4, -1, 5, -6, 7]
        for k in 0..<16 { dy[k] = values[k] }
        let mask = AlignedBuffer<UInt8>(count: 2)
        mask[0] = 0
        mask[1] = 0b0000_0010
        ReLU.backwardRedirected(dy.pointer, images: 2, countPerImage: 8, mask: mask.pointer)
        XCTAssertEqual(dy.toArray(), [1, 0, 3, 0, 0, 5, 0, 7, 0, -2, 0, 0, 0, 0, 0, 0])
    }

    func testPreReLUObjectiveReadsTheLayerBeforeItsReLU() throws {
        let net = Self.simd!
        _ = try RealWeights.load()
        let shape = TensorShape(n: 1, h: 20, w: 20, c: 3)
        let x = AlignedBuffer<Float>(count: shape.count)
        var r = MersenneTwister(seed: 2)
        for k in 0..<x.count { x[k] = Float(r.nextDouble() * 40 - 20) }
        let layer = VGG16.layer(named: "block3_conv2")!.index
        let full = NetworkWorkspace(network: net, inputShape: shape, target: layer, preReLU: true)
        net.forward(x.pointer, full)
        let s = full.outputShape
        var negatives = 0
        for k in 0..<s.count where full.output[k] < 0 { negatives += 1 }
        XCTAssertGreaterThan(negatives, s.count / 10, "pre-ReLU values include negatives")
        for f in [0, 77, 200] {
            let head = NetworkWorkspace(network: net, inputShape: shape, target: layer, output: .channelPerImage([f]), preReLU: true)
            net.forward(x.pointer, head)
            let viaHead = ChannelObjective.losses(head.output, shape: head.outputShape, channels: [0])[0]
            let viaLayer = ChannelObjective.losses(full.output, shape: s, channels: [f])[0]
            XCTAssertEqual(viaHead, viaLayer, accuracy: 1e-3 * max(abs(viaLayer), 1))
        }
    }

    /// Negative items: the value is minus the channel mean and the gradient flips sign, image by
    /// image (a 2-image batch, one of each).
    func testNegatedChannelObjectiveFlipsValueAndGradient() throws {
        let net = Self.simd!
        _ = try RealWeights.load()
        let shape = TensorShape(n: 2, h: 16, w: 16, c: 3)
        let x = AlignedBuffer<Float>(count: shape.count)
        for k in 0..<(shape.count / 2) { x[k] = Float(k % 97); x[shape.count / 2 + k] = Float(k % 97) }
        let layer = VGG16.layer(named: "block2_conv1")!.index
        let o = ChannelObjective(layer: layer, filters: [4, 4], preReLU: true, negated: [false, true])
        let ws = NetworkWorkspace(network: net, inputShape: shape, target: layer, output: o.needs, preReLU: true)
        net.forward(x.pointer, ws)
        let v = o.values(ws)
        XCTAssertNotEqual(v[0], 0)
        XCTAssertEqual(v[1], -v[0])
        o.gradient(ws)
        net.backward(ws)
        let half = shape.count / 2
        for k in stride(from: 0, to: half, by: 37) { XCTAssertEqual(ws.inputGradient[half + k], -ws.inputGradient[k]) }
    }

    func testAdamFirstStepMovesEachParameterByTheLearningRate() {
        var adam = Adam(learningRate: 0.05)
        var x = [1.0, 2.0, 3.0]
        let g: [Float] = [4, -0.001, 0]
        g.withUnsafeBufferPointer { adam.step(&x, gradient: $0.baseAddress!, image: 0, offset: 0, count: 3) }
        XCTAssertEqual(x[0], 1.05, accuracy: 1e-9)
        XCTAssertEqual(x[1], 1.95, accuracy: 1e-6)
        XCTAssertEqual(x[2], 3.0)
    }

    func lucidJob(_ layer: String, _ items: [AscentJob.Item], size: Int = 32, steps: Int = 4) -> AscentJob {
        AscentJob(objective: Preset.lucid.objective(layer: layer), items: items, size: size, steps: steps,
                  stepSize: Preset.lucid.stepSize, style: .lucid, transformSeed: 3)
    }

    func testLucidRenderIsReproducibleAndBatchesExactly() throws {
        _ = try RealWeights.load()
        let e = GradientAscent(network: Self.simd!)
        let a = try e.run(lucidJob("block3_conv1", [.init(filter: 5, seed: 1)]))
        let b = try e.run(lucidJob("block3_conv1", [.init(filter: 5, seed: 1)]))
        XCTAssertEqual(a.images, b.images)
        let batch = try e.run(lucidJob("block3_conv1", [.init(filter: 9, seed: 2), .init(filter: 5, seed: 1)]))
        let px = 32 * 32 * 3
        XCTAssertEqual(Array(batch.images[px..<(2 * px)]), a.images, "a batch gives each image what it gets alone")
        let other = try e.run(lucidJob("block3_conv1", [.init(filter: 5, seed: 2)]))
        XCTAssertNotEqual(other.images, a.images)
    }

    /// The reason for the preset: block5_conv3 filter 10 never fires from the notebook's start
    /// (a grey result), but with the lucid parts its objective climbs from the first steps.
    func testLucidStyleMovesAFilterTheNotebookCannot() throws {
        _ = try RealWeights.load()
        let e = GradientAscent(network: Self.simd!)
        let seed = try e.run(AscentJob(layer: "block5_conv3", items: [.init(filter: 10, seed: 0)], size: 64, steps: 5, stepSize: 1))
        XCTAssertEqual(seed.neverFired, [true])
        var losses: [Float] = []
        let lucid = try e.run(lucidJob("block5_conv3", [.init(filter: 10, seed: 0)], size: 64, steps: 24)) { losses.append($0.losses[0]) }
        XCTAssertEqual(lucid.neverFired, [false])
        XCTAssertGreaterThan(losses.suffix(4).reduce(0, +) / 4, losses.prefix(4).reduce(0, +) / 4 + 1)
        let rgb = lucid.rgb(0)
        let mean = Double(rgb.reduce(0) { $0 + Int($1) }) / Double(rgb.count)
        let std = (rgb.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / Double(rgb.count)).squareRoot()
        XCTAssertGreaterThan(std, 2, "not a grey picture")
    }
}
