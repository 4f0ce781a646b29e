@testable import FVOptim
import FVImage
import FVModel
import FVTestSupport
import SIMDKernels
import XCTest

/// The natural preset's picture: its spectrum's magnitude is exactly the fixed one after any
/// number of steps, and its phase gradient matches central differences.
final class PhaseImageTests: XCTestCase {
    /// The orthonormal forward real DFT of one channel (Double, straight from the definition).
    func spectrum(_ t: UnsafePointer<Float>, side: Int) -> [(re: Double, im: Double)] {
        let cols = side / 2 + 1
        var out: [(Double, Double)] = []
        for ky in 0..<side {
            for kx in 0..<cols {
                var re = 0.0, im = 0.0
                for y in 0..<side {
                    for x in 0..<side {
                        let a = -2 * Double.pi * (Double(ky * y) / Double(side) + Double(kx * x) / Double(side))
                        re += Double(t[y * side + x]) * cos(a)
                        im += Double(t[y * side + x]) * sin(a)
                    }
                }
                out.append((re / Double(side), im / Double(side)))
            }
        }
        return out
    }

    /// A measured spectrum's table (as `--spectrum-from` sends): each channel its own level,
    /// fall-off and orientation.
    static func measured(side: Int) throws -> AmplitudeSpectrum {
        let radii = AmplitudeSpectrum.radii(size: side), angles = 4
        var a = [Float](repeating: 0, count: 3 * radii * angles)
        for c in 0..<3 {
            for r in 0..<radii {
                for o in 0..<angles { a[(c * radii + r) * angles + o] = Float(c + 1) / Float(max(r, 1) + c) * Float(1 + o % 2) }
            }
        }
        return try AmplitudeSpectrum(size: side, angles: angles, amplitude: a)
    }

    func testTheMagnitudeIsExactlyTheNaturalOneAfterAnyNumberOfSteps() throws {
        try magnitudeStaysExact(spectrum: nil)
    }

    /// With `--spectrum-from`, each channel keeps the measured table's amplitudes exactly.
    func testAMeasuredSpectrumIsKeptExactlyPerChannel() throws {
        let side = 16, spectrum = try Self.measured(side: side)
        let image = PhaseImage(side: side, seeds: [1], spectrum: spectrum)
        let cols = side / 2 + 1
        for c in 0..<3 {
            let want = spectrum.halfSpectrum(channel: c)
            // Except the DC and Nyquist terms, and the edge columns' lower halves, which mirror
            // their upper halves.
            for k in 1..<(side * cols) where ![side / 2, (side / 2) * cols, (side / 2) * cols + side / 2].contains(k) {
                let (ky, kx) = (k / cols, k % cols)
                let mirrored = (kx == 0 || kx == side / 2) && ky > side / 2
                XCTAssertEqual(image.magnitude[c * side * cols + k], want[mirrored ? (side - ky) * cols + kx : k], "channel \(c), coefficient \(k)")
            }
        }
        XCTAssertNotEqual(image.magnitude[3], image.magnitude[side * cols + 3], "the channels differ, as the table's do")
        try magnitudeStaysExact(spectrum: spectrum)
    }

    func magnitudeStaysExact(spectrum measured: AmplitudeSpectrum?) throws {
        let side = 16
        let image = PhaseImage(side: side, seeds: [3, 9], spectrum: measured)
        let out = AlignedBuffer<Float>(count: 2 * side * side * 3)
        var adam = Adam(learningRate: 0.2)
        var r = MersenneTwister(seed: 5)
        let g = AlignedBuffer<Float>(count: out.count)
        for step in 0...20 {
            image.render(into: out.pointer)
            if step % 10 == 0 {
                for n in 0..<2 {
                    for c in 0..<3 {
                        let s = spectrum(image.linear.pointer + (n * 3 + c) * side * side, side: side)
                        let base = c * s.count
                        for k in s.indices {
                            let m = (s[k].re * s[k].re + s[k].im * s[k].im).squareRoot()
                            XCTAssertEqual(m, Double(image.magnitude[base + k]), accuracy: 1e-4 * Double(image.magnitude.max()!),
                                           "step \(step), image \(n), channel \(c), coefficient \(k)")
                        }
                        XCTAssertEqual(image.magnitude[base], 0, "no DC: the picture's mean is the standardisation's")
                    }
                }
            }
            for k in 0..<g.count { g[k] = Float(r.nextDouble() - 0.5) }
            let grad = image.parameterGradient(imageGradient: g.pointer)
            for n in 0..<2 {
                adam.step(&image.parameters, gradient: grad, image: n, offset: n * image.parametersPerImage, count: image.parametersPerImage)
            }
        }
    }

    /// d(sum of G * picture)/d(phases) against central differences, for ordinary coefficients,
    /// an edge-column coefficient whose mirror image shares its phase, and an unused parameter.
    func testThePhaseGradientMatchesFiniteDifferences() throws {
        try phaseGradientMatches(spectrum: nil)
        try phaseGradientMatches(spectrum: try Self.measured(side: 16))
    }

    func phaseGradientMatches(spectrum: AmplitudeSpectrum?) throws {
        let side = 16, cols = side / 2 + 1
        let image = PhaseImage(side: side, seeds: [11], spectrum: spectrum)
        let n = side * side * 3
        var r = MersenneTwister(seed: 2)
        let g = AlignedBuffer<Float>(count: n)
        for k in 0..<n { g[k] = Float(r.nextDouble() - 0.5) }
        let out = AlignedBuffer<Float>(count: n)
        func loss() -> Double {
            image.render(into: out.pointer)
            var s = 0.0
            for k in 0..<n { s += Double(g[k]) * Double(out[k]) }
            return s
        }
        _ = loss()
        let analytic = Array(UnsafeBufferPointer(start: image.parameterGradient(imageGradient: g.pointer), count: image.parametersPerImage))
        let coefficients = side * cols
        let edge = 3 * cols + 0          // (ky 3, kx 0): its mirror (13, 0) takes minus its phase
        let unused = 13 * cols + 0       // (ky 13, kx 0): mirrors (3, 0), its own parameter unused
        for p in [5, cols + 2, edge, coefficients + 7 * cols + 4, 2 * coefficients + edge, 2 * coefficients + 40, unused] {
            let keep = image.parameters[p], eps = 1e-3
            image.parameters[p] = keep + eps
            let up = loss()
            image.parameters[p] = keep - eps
            let down = loss()
            image.parameters[p] = keep
            let fd = (up - down) / (2 * eps)
            if p == unused {
                XCTAssertEqual(analytic[p], 0)
                XCTAssertEqual(fd, 0, accuracy: 1e-6)
            } else {
                XCTAssertEqual(Double(analytic[p]), fd, accuracy: 2e-2 * abs(fd) + 1e-4, "parameter \(p)")
            }
        }
    }

    /// A spectrum measured from greyscale photographs (colour channels near 0) gives a
    /// greyscale picture with the contrast of 1/f's, not one clipped black and white: the
    /// contrast is set by the luminance channel alone.
    func testAGreyscaleSpectrumGivesAGreyscalePictureOfNaturalContrast() throws {
        let side = 64, radii = AmplitudeSpectrum.radii(size: side)
        var a = [Float](repeating: 0, count: 3 * radii)
        for r in 0..<radii { a[r] = 1 / Float(max(r, 1)); a[radii + r] = 0.001 * a[r]; a[2 * radii + r] = 0.001 * a[r] }
        let grey = try AmplitudeSpectrum(size: side, angles: 1, amplitude: a)
        func stats(_ spectrum: AmplitudeSpectrum?) -> (sd: Float, clipped: Float, colour: Float) {
            let image = PhaseImage(side: side, seeds: [1], spectrum: spectrum)
            let out = AlignedBuffer<Float>(count: side * side * 3)
            image.render(into: out.pointer)
            let v = Array(UnsafeBufferPointer(start: out.pointer, count: out.count))
            let mean = v.reduce(0, +) / Float(v.count)
            let sd = (v.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(v.count)).squareRoot()
            let clipped = Float(v.filter { $0 < 0.02 || $0 > 0.98 }.count) / Float(v.count)
            var colour: Float = 0
            for p in 0..<(side * side) { colour += abs(v[p * 3] - v[p * 3 + 1]) + abs(v[p * 3 + 1] - v[p * 3 + 2]) }
            return (sd, clipped, colour / Float(side * side))
        }
        let g = stats(grey), natural = stats(nil)
        XCTAssertLessThan(g.clipped, 0.05, "not clipped: \(g)")
        XCTAssertEqual(g.sd, natural.sd, accuracy: 0.25 * natural.sd, "the contrast of 1/f's: \(g) against \(natural)")
        XCTAssertLessThan(g.colour, 0.1 * natural.colour, "grey: \(g) against \(natural)")
    }

    /// The picture has natural contrast: neither grey nor clipped, and its colours vary.
    func testTheStartIsNeitherGreyNorClipped() {
        let image = PhaseImage(side: 64, seeds: [1])
        let out = AlignedBuffer<Float>(count: 64 * 64 * 3)
        image.render(into: out.pointer)
        let v = Array(UnsafeBufferPointer(start: out.pointer, count: out.count))
        let mean = v.reduce(0, +) / Float(v.count)
        let sd = (v.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(v.count)).squareRoot()
        XCTAssertGreaterThan(sd, 0.1, "not grey")
        XCTAssertLessThan(Float(v.filter { $0 < 0.01 || $0 > 0.99 }.count) / Float(v.count), 0.05, "not clipped")
    }
}

/// MACO's importance map on a case whose answer is known: an objective that reads one corner of
/// the picture puts its importance in that corner.
final class ImportanceMapTests: XCTestCase {
    func testAnObjectiveReadingOneCornerPutsItsImportanceThere() throws {
        let net = VGG16Network(weights: try RealWeights.load(), backend: .simd)
        let engine = GradientAscent(network: net)
        let side = 64
        for (corner, at) in [("top left", 12), ("bottom right", 51)] {
            let objective = ObjectiveSpec.terms(layer: "block1_conv2", preReLU: true, terms: [WeightedTerm(.neuron(y: at, x: at))], diversityWeight: 0)
            let job = AscentJob(preset: .natural, layer: "block1_conv2", objective: objective, items: [.init(filter: 7, seed: 0)], size: side, steps: 12)
            let r = try engine.run(job)
            let map = r.smoothedImportance(0)
            XCTAssertEqual(map.max(), 1, "scaled to its largest value")
            var quadrant: Float = 0
            for y in 0..<side {
                for x in 0..<side where (y < side / 2) == (at < side / 2) && (x < side / 2) == (at < side / 2) { quadrant += map[y * side + x] }
            }
            let share = quadrant / map.reduce(0, +)
            XCTAssertGreaterThan(share, 0.9, "\(corner): \(share) of the importance in its quadrant")
        }
    }
}
