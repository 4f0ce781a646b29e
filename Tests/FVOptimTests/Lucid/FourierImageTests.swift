@testable import FVOptim
import Foundation
import SIMDKernels
import XCTest

/// The Fourier parameterisation: the inverse real DFT against a naive Double DFT written as
/// numpy defines irfft2, its adjoint by the dot-product test, Lucid's scale values, and the
/// whole parameterisation's gradient (DFT, colour, sigmoid) against finite differences.
final class FourierImageTests: XCTestCase {
    func randomPlanes(_ dft: InverseRealDFT, seed: UInt32) -> (AlignedBuffer<Float>, AlignedBuffer<Float>) {
        var r = MersenneTwister(seed: seed)
        let re = AlignedBuffer<Float>(count: dft.planeCount), im = AlignedBuffer<Float>(count: dft.planeCount)
        re.pointer.update(repeating: 0, count: dft.planeCount)
        im.pointer.update(repeating: 0, count: dft.planeCount)
        for ky in 0..<dft.height {
            for kx in 0..<dft.columns {
                re[ky * dft.paddedColumns + kx] = Float(r.nextDouble() * 2 - 1)
                im[ky * dft.paddedColumns + kx] = Float(r.nextDouble() * 2 - 1)
            }
        }
        return (re, im)
    }

    /// numpy's irfft2(X) * sqrt(h*w): ifft down the columns, then each row's Hermitian
    /// extension (imaginary parts of columns 0 and w/2 dropped) through a full inverse DFT.
    func naive(_ dft: InverseRealDFT, _ re: AlignedBuffer<Float>, _ im: AlignedBuffer<Float>) -> [Double] {
        let h = dft.height, w = dft.width, pc = dft.paddedColumns
        var out = [Double](repeating: 0, count: h * w)
        for y in 0..<h {
            var zr = [Double](repeating: 0, count: dft.columns), zi = zr
            for kx in 0..<dft.columns {
                for ky in 0..<h {
                    let a = 2 * Double.pi * Double(ky * y) / Double(h)
                    let xr = Double(re[ky * pc + kx]), xi = Double(im[ky * pc + kx])
                    zr[kx] += (xr * cos(a) - xi * sin(a)) / Double(h)
                    zi[kx] += (xr * sin(a) + xi * cos(a)) / Double(h)
                }
            }
            zi[0] = 0
            zi[w / 2] = 0
            for x in 0..<w {
                var sum = 0.0
                for k in 0..<w {
                    let (r, i) = k <= w / 2 ? (zr[k], zi[k]) : (zr[w - k], -zi[w - k])
                    let a = 2 * Double.pi * Double(k * x) / Double(w)
                    sum += r * cos(a) - i * sin(a)
                }
                out[y * w + x] = sum / Double(w) * Double(h * w).squareRoot()
            }
        }
        return out
    }

    func testInverseMatchesNaiveDFT() {
        for (h, w) in [(8, 12), (16, 16), (6, 10)] {
            let dft = InverseRealDFT(height: h, width: w)
            let (re, im) = randomPlanes(dft, seed: UInt32(h * w))
            let img = AlignedBuffer<Float>(count: h * w)
            let zr = AlignedBuffer<Float>(count: dft.planeCount), zi = AlignedBuffer<Float>(count: dft.planeCount)
            dft.inverse(re: re.pointer, im: im.pointer, image: img.pointer, zr: zr.pointer, zi: zi.pointer)
            let ref = naive(dft, re, im)
            for k in 0..<(h * w) { XCTAssertEqual(Double(img[k]), ref[k], accuracy: 1e-4, "\(h)x\(w) pixel \(k)") }
        }
    }

    func testAdjointPassesTheDotProductTest() {
        let dft = InverseRealDFT(height: 16, width: 12)
        let (re, im) = randomPlanes(dft, seed: 5)
        let img = AlignedBuffer<Float>(count: 16 * 12), g = AlignedBuffer<Float>(count: 16 * 12)
        var r = MersenneTwister(seed: 9)
        for k in 0..<g.count { g[k] = Float(r.nextDouble() * 2 - 1) }
        let zr = AlignedBuffer<Float>(count: dft.planeCount), zi = AlignedBuffer<Float>(count: dft.planeCount)
        dft.inverse(re: re.pointer, im: im.pointer, image: img.pointer, zr: zr.pointer, zi: zi.pointer)
        let are = AlignedBuffer<Float>(count: dft.planeCount), aim = AlignedBuffer<Float>(count: dft.planeCount)
        dft.adjoint(image: g.pointer, re: are.pointer, im: aim.pointer, zr: zr.pointer, zi: zi.pointer)
        var lhs = 0.0, rhs = 0.0
        for k in 0..<img.count { lhs += Double(img[k]) * Double(g[k]) }
        for k in 0..<dft.planeCount { rhs += Double(re[k]) * Double(are[k]) + Double(im[k]) * Double(aim[k]) }
        XCTAssertEqual(lhs, rhs, accuracy: 1e-5 * max(abs(lhs), 1))
    }

    func testLucidScaleValuesAt128() {
        let dft = InverseRealDFT(height: 128, width: 128)
        // Lucid's scale times sqrt(h*w): 16384 at DC, 181.02 at the (Nyquist, Nyquist) corner.
        XCTAssertEqual(dft.frequencyScale(ky: 0, kx: 0) * 128, 16384, accuracy: 1e-9)
        XCTAssertEqual(dft.frequencyScale(ky: 64, kx: 64) * 128, 181.02, accuracy: 0.01)
        XCTAssertEqual(dft.frequencyScale(ky: 127, kx: 0), dft.frequencyScale(ky: 1, kx: 0))
    }

    func testStartPictureIsAlmostFlatGrey() {
        let img = FourierImage(side: 128, seeds: [0])
        let pic = AlignedBuffer<Float>(count: 128 * 128 * 3)
        img.render(into: pic.pointer)
        let v = pic.toArray().map(Double.init)
        let mean = v.reduce(0, +) / Double(v.count)
        let std = (v.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(v.count)).squareRoot()
        XCTAssertEqual(mean, 0.5, accuracy: 0.001)
        XCTAssertGreaterThan(std, 0.001)
        XCTAssertLessThan(std, 0.006)
    }

    /// d(sum of w * picture)/d(parameters) against central differences, for parameters of each
    /// colour channel, at DC, the Nyquist edges and inside (where coefficients count twice).
    func testParameterGradientMatchesFiniteDifferences() {
        let side = 8
        let img = FourierImage(side: side, seeds: [3, 4])
        for k in 0..<img.parameters.count { img.parameters[k] *= 40 }  // away from flat grey
        var r = MersenneTwister(seed: 11)
        let weights = (0..<(2 * side * side * 3)).map { _ in Float(r.nextDouble() * 2 - 1) }
        let pic = AlignedBuffer<Float>(count: weights.count)
        func loss() -> Double {
            img.render(into: pic.pointer)
            return (0..<weights.count).reduce(0.0) { $0 + Double(weights[$1]) * Double(pic[$1]) }
        }
        _ = loss()
        let g = weights.withUnsafeBufferPointer { Array(UnsafeBufferPointer(start: img.parameterGradient(imageGradient: $0.baseAddress!), count: img.parameters.count)) }
        let cols = side / 2 + 1, coeffs = side * cols
        let probes = [0, 1, cols - 1, 3 * cols + 2, coeffs, coeffs + 2, 2 * coeffs + 5, 4 * coeffs + 7, img.parametersPerImage + 9]
        for k in probes {
            let keep = img.parameters[k], eps = 1e-2
            img.parameters[k] = keep + eps
            let up = loss()
            img.parameters[k] = keep - eps
            let down = loss()
            img.parameters[k] = keep
            let fd = (up - down) / (2 * eps)
            XCTAssertEqual(Double(g[k]), fd, accuracy: 2e-3 * max(abs(fd), 1e-2), "parameter \(k)")
        }
    }
}
