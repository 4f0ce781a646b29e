import FVOptim
import Foundation
import XCTest

/// The quality benchmark's spectrum measures on pictures whose answer LUCID.md gives: white
/// noise (HFEF 0.80, slope about 0) and a 1/f^2-power image (HFEF about 0.15, slope about 2).
final class SpectrumMeasuresTests: XCTestCase {
    func testWhiteNoise() {
        var r = MersenneTwister(seed: 1)
        let side = 64
        let rgb = (0..<(side * side)).flatMap { _ -> [UInt8] in
            let v = UInt8(r.nextDouble() * 255)
            return [v, v, v]
        }
        let m = SpectrumMeasures.measure(rgb: rgb, side: side)
        XCTAssertEqual(m.hfef, 0.80, accuracy: 0.05)
        XCTAssertEqual(m.slope, 0, accuracy: 0.3)
    }

    func testOneOverFImage() {
        // Amplitude 1/f with random phases, summed directly as cosines.
        let side = 64
        var r = MersenneTwister(seed: 2)
        var img = [Double](repeating: 0, count: side * side)
        for ky in -side / 2..<side / 2 {
            for kx in 0..<side / 2 where ky != 0 || kx != 0 {
                let f = (Double(kx * kx + ky * ky)).squareRoot() / Double(side)
                let phase = r.nextDouble() * 2 * Double.pi
                for y in 0..<side {
                    for x in 0..<side {
                        img[y * side + x] += cos(2 * Double.pi * Double(kx * x + ky * y) / Double(side) + phase) / f
                    }
                }
            }
        }
        let lo = img.min()!, hi = img.max()!
        let rgb = img.flatMap { v -> [UInt8] in
            let b = UInt8(((v - lo) / (hi - lo) * 255).rounded())
            return [b, b, b]
        }
        let m = SpectrumMeasures.measure(rgb: rgb, side: side)
        XCTAssertLessThan(m.hfef, 0.25)  // 0.20 here: 8-bit rounding adds a little white noise
        XCTAssertEqual(m.slope, 2, accuracy: 0.4)
    }

    /// Colourfulness on pictures whose value is known by hand: grey is 0; half pure red, half
    /// pure green has sd(rg) = 255, sd(yb) = 0, mean(rg) = 0, mean(yb) = 127.5.
    func testColourfulnessByHand() {
        XCTAssertEqual(SpectrumMeasures.colourfulness(rgb: [UInt8](repeating: 128, count: 300)), 0, accuracy: 1e-9)
        let redGreen: [UInt8] = [255, 0, 0, 0, 255, 0]
        XCTAssertEqual(SpectrumMeasures.colourfulness(rgb: redGreen), 255 + 0.3 * 127.5, accuracy: 1e-9)
    }

    func testConcentrationOfFlatAndPointMaps() {
        XCTAssertEqual(SpectrumMeasures.concentration([Float](repeating: 1, count: 100), top: 0.2), 0.2, accuracy: 1e-9)
        var point = [Float](repeating: 0, count: 100)
        point[37] = 5
        XCTAssertEqual(SpectrumMeasures.concentration(point, top: 0.2), 1, accuracy: 1e-9)
    }
}
