@testable import FVOptim
import FVModel
import FVTestSupport
import XCTest

/// DeepDream on a picture: the result keeps the photo's size, changes it, raises the objective
/// within each octave, is reproducible, and the jitter's roll is undone exactly.
final class DeepDreamTests: XCTestCase {
    static let simd: VGG16Network? = RealWeights.shared.map { VGG16Network(weights: $0, backend: .simd) }

    func photo(width: Int, height: Int) -> [UInt8] {
        (0..<(width * height)).flatMap { p -> [UInt8] in
            let x = p % width, y = p / width
            return [UInt8(x * 255 / width), UInt8(y * 255 / height), UInt8((x ^ y) & 0xff)]
        }
    }

    func testDreamKeepsTheSizeAndClimbsWithinEachOctave() throws {
        _ = try RealWeights.load()
        let e = GradientAscent(network: Self.simd!)
        let job = DreamJob(photo: photo(width: 56, height: 40), width: 56, height: 40, layer: "block3_conv3",
                           stepsPerOctave: 6, octaves: 2, jitter: 4, seed: 1)
        XCTAssertEqual(job.octaveSizes.map(\.width), [40, 56])
        let r = try e.dream(job)
        XCTAssertEqual(r.rgb.count, 56 * 40 * 3)
        XCTAssertEqual(r.history.count, 12)
        XCTAssertGreaterThan(r.history[5], r.history[0])
        XCTAssertGreaterThan(r.history[11], r.history[6])
        let changed = zip(r.rgb, job.photo).filter { abs(Int($0) - Int($1)) > 8 }.count
        XCTAssertGreaterThan(changed, r.rgb.count / 10, "the dream changed the photo")
        XCTAssertEqual(try e.dream(job).rgb, r.rgb, "same job, same picture")
        var one = job
        one.filter = 17
        XCTAssertNotEqual(try e.dream(one).rgb, r.rgb)
    }

    func testRollIsUndoneExactly() {
        let size = (height: 5, width: 7)
        let x = (0..<(5 * 7 * 3)).map(Float.init)
        let rolled = UnsafeMutablePointer<Float>.allocate(capacity: x.count)
        defer { rolled.deallocate() }
        Roll.apply(x, size, 2, -3, into: rolled)
        XCTAssertEqual(rolled[((2 * 7) + 0) * 3], x[(0 * 7 + 3) * 3], "pixel (0, 3) moved to (2, 0)")
        let back = UnsafeMutablePointer<Float>.allocate(capacity: x.count)
        defer { back.deallocate() }
        Roll.unapply(rolled, size, 2, -3, into: back)
        XCTAssertEqual(Array(UnsafeBufferPointer(start: back, count: x.count)), x)
    }

    func testBadDreamsAreRefused() {
        let ok = DreamJob(photo: photo(width: 16, height: 16), width: 16, height: 16, layer: "block3_conv3")
        var bad = ok; bad.layer = "block6_conv1"
        XCTAssertThrowsError(try bad.validate())
        bad = ok; bad.filter = 256
        XCTAssertThrowsError(try bad.validate()) { XCTAssertEqual("\($0)", "filter 256 does not exist in block3_conv3; valid filters are 0...255") }
        bad = ok; bad.octaves = 9
        XCTAssertThrowsError(try bad.validate()) { XCTAssertEqual("\($0)", "octaves 9 is out of range; use 1...8") }
    }
}
