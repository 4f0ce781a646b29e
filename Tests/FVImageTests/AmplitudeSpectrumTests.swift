@testable import FVImage
import Foundation
import XCTest

/// `--spectrum-from`'s measurement: on synthetic pictures whose spectrum is known by
/// construction, the table gives it back; a photograph's non-matching edges add no false cross;
/// the colour channels are Lucid's decorrelated ones; tables from clients are checked.
final class AmplitudeSpectrumTests: XCTestCase {
    /// A known spectrum: per channel a weight, a 1/f^alpha fall-off, and twice the energy on
    /// horizontal frequencies (vertical stripes) as on vertical ones, as photographs have.
    func known(_ c: Int, fy: Double, fx: Double) -> Double {
        let rho = (fy * fy + fx * fx).squareRoot(), theta = atan2(fy, fx)
        return [1.0, 0.5, 0.3][c] * pow(rho, -1.3) * (1 + cos(theta) * cos(theta))
    }

    /// A picture drawn from `known` with random phases: a sum of cosines, one per frequency of
    /// the half plane, exactly periodic; RGB through Lucid's colour matrix, in [0, 1].
    func picture(side: Int, seed: UInt64) -> [Float] {
        var rng = seed
        func uniform() -> Double {
            rng = rng &* 6364136223846793005 &+ 1442695040888963407
            return Double(rng >> 11) / Double(1 << 53)
        }
        var t = [[Double]](repeating: [Double](repeating: 0, count: side * side), count: 3)
        for fy in -(side / 2 - 1)...(side / 2 - 1) {
            for fx in 0...(side / 2 - 1) where fx > 0 || fy > 0 {
                for c in 0..<3 {
                    let a = known(c, fy: Double(fy), fx: Double(fx)), phi = 2 * Double.pi * uniform()
                    for y in 0..<side {
                        for x in 0..<side {
                            t[c][y * side + x] += a * cos(2 * Double.pi * Double(fx * x + fy * y) / Double(side) + phi)
                        }
                    }
                }
            }
        }
        var out = [Float](repeating: 0, count: side * side * 3)
        let m = ColorDecorrelation.matrix
        for p in 0..<(side * side) {
            for k in 0..<3 {
                out[p * 3 + k] = Float(0.5 + 0.05 * (m[k][0] * t[0][p] + m[k][1] * t[1][p] + m[k][2] * t[2][p]))
            }
        }
        return out
    }

    func testAPictureSetOfKnownSpectrumIsMeasuredBack() throws {
        let side = 32
        var estimator = SpectrumEstimator(size: side)
        for seed in 1...8 { estimator.add(rgb: picture(side: side, seed: UInt64(seed))) }
        let table = try estimator.spectrum()
        XCTAssertEqual(table.radii, 24)
        // A cosine of amplitude a has DFT coefficients a * side^2 / 2, a * side / 2 orthonormal;
        // the picture went through 0.05 and back.
        var errors: [Double] = []
        for c in 0..<3 {
            for fy in -12...12 {
                for fx in 0...12 {
                    let rho = (Double(fy * fy + fx * fx)).squareRoot()
                    guard rho >= 2 && rho <= 12 else { continue }
                    let measured = Double(table.amplitude(channel: c, fy: Double(fy), fx: Double(fx)))
                    errors.append(abs(measured / (0.05 * Double(side) / 2 * known(c, fy: Double(fy), fx: Double(fx))) - 1))
                }
            }
        }
        errors.sort()
        let median = errors[errors.count / 2], p90 = errors[errors.count * 9 / 10]
        print("known spectrum measured back: median error \(median), 90th percentile \(p90)")
        XCTAssertLessThan(median, 0.06)
        XCTAssertLessThan(p90, 0.15)
        // What the natural preset takes from it: the fall-off and the orientation.
        let c0 = { (fy: Double, fx: Double) in Double(table.amplitude(channel: 0, fy: fy, fx: fx)) }
        XCTAssertEqual(log(c0(0, 4) / c0(0, 8)) / log(2), 1.3, accuracy: 0.15, "the slope of the fall-off")
        XCTAssertEqual(c0(0, 6) / c0(6, 0), 2, accuracy: 0.3, "horizontal frequencies carry twice the vertical ones")
        XCTAssertEqual(Double(table.amplitude(channel: 1, fy: 3, fx: 3)) / c0(3, 3), 0.5, accuracy: 0.08, "the channels' balance")
    }

    /// A picture whose left and right edges do not match (a ramp) is, to a DFT, a tile with a
    /// jump: energy on the horizontal axis falling as 1/f. The periodic component has none.
    func testAPictureWhoseEdgesDoNotMatchAddsNoCross() throws {
        let side = 32
        var rgb = [Float](repeating: 0, count: side * side * 3)
        for y in 0..<side { for x in 0..<side { for k in 0..<3 { rgb[(y * side + x) * 3 + k] = 0.2 + 0.6 * Float(x) / Float(side - 1) } } }
        var estimator = SpectrumEstimator(size: side)
        estimator.add(rgb: rgb)
        let table = try estimator.spectrum()
        // The plain DFT of the same luminance plane, for scale.
        let inverse = ColorDecorrelation.inverse
        let plane = (0..<(side * side)).map { p in (0..<3).reduce(0.0) { $0 + inverse[0][$1] * Double(rgb[p * 3 + $1]) } }
        let plain = ForwardRealDFT(size: side).transform(plane)
        for fx in [4, 8, 12] {
            let raw = (plain.re[fx] * plain.re[fx] + plain.im[fx] * plain.im[fx]).squareRoot() / Double(side)
            let measured = Double(table.amplitude(channel: 0, fy: 0, fx: Double(fx)))
            // Not zero: the periodic component of a ramp is a faint tent (the border columns
            // lack a neighbour in the interior Laplacian), falling as 1/f^2.
            XCTAssertLessThan(measured, 0.05 * raw, "frequency \(fx) on the axis: \(measured) against the plain DFT's \(raw)")
        }
    }

    /// Grey pictures are all luminance: Lucid's first decorrelated channel.
    func testGreyPicturesHaveNoColourOpponentEnergy() throws {
        let side = 32
        var estimator = SpectrumEstimator(size: side)
        for seed in 1...3 {
            var rgb = picture(side: side, seed: UInt64(seed))
            for p in 0..<(side * side) {
                let g = (rgb[p * 3] + rgb[p * 3 + 1] + rgb[p * 3 + 2]) / 3
                for k in 0..<3 { rgb[p * 3 + k] = g }
            }
            estimator.add(rgb: rgb)
        }
        let t = try estimator.spectrum()
        for c in [1, 2] {
            XCTAssertLessThan(t.amplitude(channel: c, fy: 2, fx: 3), 0.1 * t.amplitude(channel: 0, fy: 2, fx: 3), "channel \(c)")
        }
    }

    /// Shrinking averages: a one-pixel checkerboard halved is flat grey, not an aliased pattern.
    func testShrinkingAveragesInsteadOfSampling() throws {
        var pixels = [UInt8](repeating: 0, count: 64 * 48 * 3)
        for y in 0..<48 { for x in 0..<64 where (x + y) % 2 == 0 { for k in 0..<3 { pixels[(y * 64 + x) * 3 + k] = 255 } } }
        let square = RGBImage(width: 64, height: 48, pixels: pixels).centredSquare(size: 24)
        XCTAssertEqual(square.count, 24 * 24 * 3)
        for v in square { XCTAssertEqual(v, 0.5, accuracy: 1e-5) }
        for (from, to) in [(100, 32), (33, 32), (32, 32), (1000, 7)] {
            for taps in RGBImage.boxWeights(from: from, to: to) { XCTAssertEqual(taps.reduce(0) { $0 + $1.1 }, 1, accuracy: 1e-9) }
        }
        var estimator = SpectrumEstimator(size: 32)
        XCTAssertThrowsError(try estimator.add(RGBImage(width: 40, height: 31, pixels: [UInt8](repeating: 9, count: 40 * 31 * 3)))) {
            XCTAssertTrue("\($0)".contains("smaller than the 32 px render size"), "\($0)")
        }
        XCTAssertThrowsError(try estimator.spectrum()) { XCTAssertTrue("\($0)".contains("no pictures"), "\($0)") }
    }

    /// A table from a client: its shape and numbers are checked, and the cache key tells apart
    /// tables that differ in one bit.
    func testATableFromAClientIsCheckedAndKeyedExactly() throws {
        let n = 3 * AmplitudeSpectrum.radii(size: 16) * 4
        let good = (0..<n).map { Float($0 % 7) + 0.5 }
        let t = try AmplitudeSpectrum(size: 16, angles: 4, amplitude: good)
        XCTAssertEqual(t.radii, 12)
        XCTAssertEqual(t.halfSpectrum(channel: 2).count, 16 * 9)
        var nudged = good
        nudged[17] = nudged[17].nextUp
        XCTAssertNotEqual(t.canonicalText, try AmplitudeSpectrum(size: 16, angles: 4, amplitude: nudged).canonicalText)
        func refusal(_ size: Int, _ angles: Int, _ a: [Float]) -> String {
            do { _ = try AmplitudeSpectrum(size: size, angles: angles, amplitude: a); return "accepted" } catch { return "\(error)" }
        }
        XCTAssertTrue(refusal(16, 4, Array(good.dropLast())).contains("3 x 12 x 4 = 144 amplitudes, got 143"))
        XCTAssertTrue(refusal(4, 4, good).contains("size must be 8-4096"))
        XCTAssertTrue(refusal(16, 0, good).contains("angles must be 1-32"))
        var bad = good
        bad[5] = -1
        XCTAssertTrue(refusal(16, 4, bad).contains("number 5 is -1"))
        bad[5] = .nan
        XCTAssertTrue(refusal(16, 4, bad).contains("number 5 is nan"))
        XCTAssertTrue(refusal(16, 4, [Float](repeating: 0, count: n)).contains("zero everywhere"))
    }
}
