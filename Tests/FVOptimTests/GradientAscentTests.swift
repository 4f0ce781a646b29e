import FVModel
import FVOptim
import FVTestSupport
import XCTest

final class GradientAscentTests: XCTestCase {
    static let simd: VGG16Network? = RealWeights.shared.map { VGG16Network(weights: $0, backend: .simd) }

    func engine() throws -> GradientAscent {
        _ = try RealWeights.load()
        return GradientAscent(network: Self.simd!)
    }

    func testSeedPresetLossRisesOverTheFirstSteps() throws {
        let p = Preset.seed
        let job = AscentJob(layer: "block3_conv1", items: [.init(filter: 27, seed: 0)], size: p.size, steps: 8, stepSize: p.stepSize)
        var losses: [Float] = []
        let r = try engine().run(job) { losses.append($0.losses[0]) }
        XCTAssertEqual(losses.count, 8)
        for i in 1..<losses.count { XCTAssertGreaterThan(losses[i], losses[i - 1], "step \(i): \(losses)") }
        XCTAssertGreaterThan(r.losses[0], losses.last!)
    }

    /// The seed preset's first steps at its full 150 px give the same image with the SIMD
    /// kernels as with the reference kernels (Double-accumulating loops), within 1e-3 of the
    /// 0-255 pixel scale. (All 1000 steps with the reference take over an hour.)
    func testSeedPresetGivesTheSameImageWithReferenceKernels() throws {
        let w = try RealWeights.load()
        let job = AscentJob(layer: "block3_conv1", items: [.init(filter: 27, seed: 0)], size: Preset.seed.size, steps: 2, stepSize: Preset.seed.stepSize)
        let fast = try GradientAscent(network: Self.simd!).run(job)
        let slow = try GradientAscent(network: VGG16Network(weights: w, backend: .reference)).run(job)
        var worst: Float = 0
        for (a, b) in zip(fast.images, slow.images) { worst = max(worst, abs(a - b)) }
        XCTAssertLessThan(worst / 255, 1e-3, "largest pixel difference \(worst)")
        XCTAssertEqual(Double(fast.losses[0]), Double(slow.losses[0]), accuracy: 1e-3 * Double(slow.losses[0]))
        let a = fast.rgb(0), b = slow.rgb(0)
        XCTAssertFalse(zip(a, b).contains { abs(Int($0) - Int($1)) > 1 }, "8-bit pixels differ by more than one level")
        print("seed preset, 2 steps at 150 px: SIMD vs reference largest pixel difference \(worst) (of 255); loss \(fast.losses[0]) vs \(slow.losses[0])")
    }

    func testSameSeedSameImageOtherSeedOtherImage() throws {
        let e = try engine()
        func run(_ seed: UInt32) throws -> [Float] {
            try e.run(AscentJob(layer: "block2_conv1", items: [.init(filter: 3, seed: seed)], size: 32, steps: 3, stepSize: 1)).images
        }
        XCTAssertEqual(try run(7), try run(7))
        XCTAssertNotEqual(try run(7), try run(8))
    }

    func testBatchGivesTheSameImagesAsSingleRuns() throws {
        let e = try engine()
        let items: [AscentJob.Item] = [.init(filter: 5, seed: 1), .init(filter: 9, seed: 2), .init(filter: 5, seed: 3)]
        let batch = try e.run(AscentJob(layer: "block3_conv2", items: items, size: 24, steps: 3, stepSize: 1))
        for (i, it) in items.enumerated() {
            let solo = try e.run(AscentJob(layer: "block3_conv2", items: [it], size: 24, steps: 3, stepSize: 1))
            let px = 24 * 24 * 3
            XCTAssertEqual(Array(batch.images[(i * px)..<((i + 1) * px)]), solo.images, "item \(i)")
            XCTAssertEqual(batch.losses[i], solo.losses[0])
        }
    }

    /// A filter that never fires has a zero gradient, so no step changes its image: the engine
    /// stops after the first step when no image fired, and the result is exactly what all the
    /// steps would have given (the start). A batch with one live image runs every step.
    func testAFilterThatNeverFiresStopsAfterOneStepWithTheSameImage() throws {
        let e = try engine()
        let dead = AscentJob.Item(filter: 3, seed: 0), alive = AscentJob.Item(filter: 0, seed: 0)
        let short = try e.run(AscentJob(layer: "block5_conv3", items: [dead], size: 16, steps: 1000, stepSize: 1))
        XCTAssertEqual(short.stepsRun, 1)
        XCTAssertEqual(short.neverFired, [true])
        XCTAssertEqual(short.images, PixelImage(side: 16, seeds: [0]).images(), "the start image, unchanged")
        let full = try e.run(AscentJob(layer: "block5_conv3", items: [dead], size: 16, steps: 3, stepSize: 1))
        XCTAssertEqual(full.images, short.images)

        // block4_conv3 at 16 px: filter 1 never fires from seed 0, filter 0 does.
        let mixed = try e.run(AscentJob(layer: "block4_conv3", items: [.init(filter: 1, seed: 0), alive], size: 16, steps: 4, stepSize: 1))
        XCTAssertEqual(mixed.stepsRun, 4, "a live image runs every step")
        XCTAssertEqual(mixed.neverFired, [true, false])
        XCTAssertEqual(Array(mixed.images[0..<(16 * 16 * 3)]), PixelImage(side: 16, seeds: [0]).images(), "the dead one is unchanged")
    }

    func testRandomStartIsTheNotebooksNoise() throws {
        // Zero steps are not allowed, so check the start through a 1-step run with a tiny step:
        // every value stays within the notebook's [128, 148) start range.
        let r = try engine().run(AscentJob(layer: "block1_conv1", items: [.init(filter: 0, seed: 0)], size: 16, steps: 1, stepSize: 1e-6))
        var m = MersenneTwister(seed: 0)
        XCTAssertEqual(Double(r.images[0]), m.nextDouble() * 20 + 128, accuracy: 1e-3)
        XCTAssertTrue(r.images.allSatisfy { $0 >= 127.99 && $0 < 148.01 })
    }

    func testCancellationStopsTheJob() throws {
        let token = CancellationToken()
        var seen = 0
        XCTAssertThrowsError(try engine().run(AscentJob(layer: "block1_conv2", items: [.init(filter: 0, seed: 0)], size: 32, steps: 100, stepSize: 1), cancel: token) { p in
            seen = p.step
            if p.step == 3 { token.cancel("test") }
        }) { XCTAssertEqual($0 as? AscentError, .cancelled("test")) }
        XCTAssertEqual(seen, 3)
    }

    func testInvalidJobsNameTheBadValueAndTheRange() {
        func message(_ j: AscentJob) -> String {
            do { try j.validate(); return "accepted" } catch { return "\(error)" }
        }
        let ok = AscentJob(layer: "block3_conv1", items: [.init(filter: 27, seed: 0)], size: 150, steps: 10, stepSize: 0.1)
        XCTAssertEqual(message(ok), "accepted")
        var j = ok; j.settings.objective = .channel(layer: "block9_conv1")
        XCTAssertTrue(message(j).hasPrefix("unknown layer \"block9_conv1\"; valid layers: block1_conv1, block1_conv2"))
        j = ok; j.items = [.init(filter: 256, seed: 0)]
        XCTAssertEqual(message(j), "filter 256 does not exist in block3_conv1; valid filters are 0...255")
        j = ok; j.settings.size = 15
        XCTAssertEqual(message(j), "size 15 is out of range; use 16...1024 pixels")
        j = ok; j.settings.steps = 0
        XCTAssertEqual(message(j), "steps 0 is out of range; use 1...100000")
        j = ok; j.settings.stepSize = .nan
        XCTAssertTrue(message(j).hasPrefix("step size nan is out of range"))
        j = ok; j.items = []
        XCTAssertEqual(message(j), "no filters given; give at least one filter index")
    }

    /// "stretch" (Chollet's deprocess_image): a faint image uses the whole range, centred on grey.
    func testStretchDisplayUsesTheFullRange() {
        let faint: [Float] = (0..<300).map { 128 + Float($0 % 7) }  // BGR, 100 pixels within 128...134
        let clip = ModelImage.rgb(fromBGR: faint, display: .clip)
        XCTAssertLessThanOrEqual(clip.max()! - clip.min()!, 6, "the notebook's mapping shows a 6-level image")
        let stretched = ModelImage.rgb(fromBGR: faint, display: .stretch)
        XCTAssertGreaterThan(Int(stretched.max()!) - Int(stretched.min()!), 60, "about 0.1 x 255 per standard deviation")
        let mean = stretched.reduce(0.0) { $0 + Double($1) } / Double(stretched.count)
        XCTAssertEqual(mean, 127.5, accuracy: 3)
    }

    func testDisplayMappingSwapsToRGBAndClips() {
        // BGR (10, 20, 300) -> RGB (255 clipped, 20, 10)
        XCTAssertEqual(ModelImage.rgb(fromBGR: [10, 20, 300, -5, 127.6, 0]), [255, 20, 10, 0, 128, 0])
        XCTAssertEqual(ModelImage.bgr(fromRGB: [255, 0, 10], subtractMean: false), [10, 0, 255])
    }
}
