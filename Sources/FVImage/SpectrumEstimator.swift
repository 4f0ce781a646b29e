import Foundation

/// Measures the mean amplitude spectrum of photographs at a render size, after Lucid's colour
/// decorrelation: what `--spectrum-from FOLDER` gives the natural preset, so its pictures take
/// on the statistics of the user's own data.
///
/// Each picture: the centred square, box-averaged to size x size (averaging, not sampling, so
/// that shrinking adds no aliased high frequencies), taken to decorrelated channels by the
/// inverse of Lucid's colour matrix, its periodic component (below), then the orthonormal DFT's
/// amplitude per coefficient, averaged over the pictures and binned by `AmplitudeSpectrum`.
///
/// The periodic component (Moisan, "Periodic plus smooth image decomposition", 2011): a DFT
/// treats the picture as a tile, so a photograph's top and bottom, left and right edges, which
/// do not match, become a bright cross of false horizontal and vertical frequencies, and the
/// natural pictures would inherit it as stripes. The smooth component s solves
/// Laplacian(s) = v, v the jumps across the borders; its DFT is V / (2 cos(2 pi ky / n) +
/// 2 cos(2 pi kx / n) - 4), and P = U - S is the picture without the cross.
public struct SpectrumEstimator {
    public let size: Int
    public private(set) var pictures = 0
    let columns: Int
    /// Per channel, the sum over pictures of each coefficient's amplitude.
    var sums: [Double]
    let dft: ForwardRealDFT

    public init(size: Int) {
        precondition(AmplitudeSpectrum.sizeRange.contains(size), "size \(size) out of range")
        self.size = size
        columns = size / 2 + 1
        sums = [Double](repeating: 0, count: 3 * size * columns)
        dft = ForwardRealDFT(size: size)
    }

    /// The estimator fed with every picture of `folder` (`PictureFolder`) that can be used;
    /// `skipped` gets "NAME: why" for each one that cannot (undecodable, or too small).
    public static func measuring(folder: String, option: String, size: Int, skipped: (String) -> Void) throws -> SpectrumEstimator {
        var estimator = SpectrumEstimator(size: size)
        try PictureFolder.forEach(in: folder, option: option, skipped: skipped) { name, _, image in
            do { try estimator.add(image) } catch { skipped("\(name): \(error)") }
        }
        return estimator
    }

    /// Adds a picture; one smaller than the render size on its short side is refused (enlarging
    /// it would add a spectrum of blur, not of the data).
    public mutating func add(_ image: RGBImage) throws {
        let side = min(image.width, image.height)
        guard side >= size else {
            throw SpectrumError("\(image.width)x\(image.height) px is smaller than the \(size) px render size")
        }
        add(rgb: image.centredSquare(size: size))
    }

    /// Adds a picture given as size x size x 3 interleaved RGB in [0, 1].
    public mutating func add(rgb: [Float]) {
        precondition(rgb.count == size * size * 3)
        let n = size * size, inverse = ColorDecorrelation.inverse
        for c in 0..<3 {
            var t = [Double](repeating: 0, count: n)
            for p in 0..<n {
                t[p] = inverse[c][0] * Double(rgb[p * 3]) + inverse[c][1] * Double(rgb[p * 3 + 1]) + inverse[c][2] * Double(rgb[p * 3 + 2])
            }
            let periodic = periodicSpectrum(t)
            let scale = 1 / Double(size)  // orthonormal
            for k in 0..<(size * columns) {
                sums[c * size * columns + k] += (periodic.re[k] * periodic.re[k] + periodic.im[k] * periodic.im[k]).squareRoot() * scale
            }
        }
        pictures += 1
    }

    /// The DFT of the periodic component of plane `t` (size x size).
    func periodicSpectrum(_ t: [Double]) -> (re: [Double], im: [Double]) {
        let s = size
        var v = [Double](repeating: 0, count: s * s)
        for x in 0..<s {
            let jump = t[(s - 1) * s + x] - t[x]
            v[x] += jump
            v[(s - 1) * s + x] -= jump
        }
        for y in 0..<s {
            let jump = t[y * s + s - 1] - t[y * s]
            v[y * s] += jump
            v[y * s + s - 1] -= jump
        }
        var u = dft.transform(t)
        let b = dft.transform(v)
        for ky in 0..<s {
            for kx in 0..<columns {
                let k = ky * columns + kx
                let denominator = 2 * dft.cosines[ky] + 2 * dft.cosines[kx] - 4
                if denominator == 0 { continue }  // the DC term, which the natural preset does not use
                u.re[k] -= b.re[k] / denominator
                u.im[k] -= b.im[k] / denominator
            }
        }
        return u
    }

    /// The mean amplitude, binned: each bin the mean of its coefficients; a bin no coefficient
    /// falls in (near the centre there are few) is interpolated around its circle, and the
    /// centre's bins copy radius 1's.
    public func spectrum(angles: Int = AmplitudeSpectrum.defaultAngles) throws -> AmplitudeSpectrum {
        guard pictures > 0 else { throw SpectrumError("no pictures to measure a spectrum from") }
        let radii = AmplitudeSpectrum.radii(size: size)
        var total = [Double](repeating: 0, count: 3 * radii * angles), count = [Int](repeating: 0, count: radii * angles)
        for ky in 0..<size {
            let fy = Double(ky <= size / 2 ? ky : ky - size)
            for kx in 0..<columns where !(ky == 0 && kx == 0) {
                let fx = Double(kx)
                let r = min(Int((fy * fy + fx * fx).squareRoot().rounded()), radii - 1)
                var theta = atan2(fy, fx)
                if theta < 0 { theta += Double.pi }
                let a = min(Int(theta / Double.pi * Double(angles)), angles - 1)
                count[r * angles + a] += 1
                for c in 0..<3 { total[(c * radii + r) * angles + a] += sums[c * size * columns + ky * columns + kx] / Double(pictures) }
            }
        }
        var table = [Float](repeating: 0, count: 3 * radii * angles)
        for c in 0..<3 {
            for r in 1..<radii {
                let known = (0..<angles).filter { count[r * angles + $0] > 0 }
                guard !known.isEmpty else { continue }
                for a in 0..<angles {
                    let value: Double
                    if count[r * angles + a] > 0 {
                        value = total[(c * radii + r) * angles + a] / Double(count[r * angles + a])
                    } else {
                        // The nearest known bins before and after, around the circle.
                        let before = known.last { $0 < a } ?? known.last!, after = known.first { $0 > a } ?? known.first!
                        let db = Double((a - before + angles) % angles), da = Double((after - a + angles) % angles)
                        let vb = total[(c * radii + r) * angles + before] / Double(count[r * angles + before])
                        let va = total[(c * radii + r) * angles + after] / Double(count[r * angles + after])
                        value = before == after ? vb : (vb * da + va * db) / (da + db)
                    }
                    table[(c * radii + r) * angles + a] = Float(value)
                }
            }
            for a in 0..<angles { table[(c * radii) * angles + a] = table[(c * radii + 1) * angles + a] }
        }
        return try AmplitudeSpectrum(size: size, angles: angles, amplitude: table)
    }
}

/// The forward DFT of a real size x size plane, its half spectrum [ky * (size / 2 + 1) + kx]:
/// rows, then columns, with a table of twiddles. O(size^3), plenty for a few hundred
/// photographs at render sizes; no FFT library needed.
struct ForwardRealDFT {
    let size: Int
    let cosines: [Double], sines: [Double]

    init(size: Int) {
        self.size = size
        cosines = (0..<size).map { cos(2 * Double.pi * Double($0) / Double(size)) }
        sines = (0..<size).map { sin(2 * Double.pi * Double($0) / Double(size)) }
    }

    func transform(_ t: [Double]) -> (re: [Double], im: [Double]) {
        let s = size, cols = s / 2 + 1
        var rowRe = [Double](repeating: 0, count: s * cols), rowIm = rowRe
        for y in 0..<s {
            for kx in 0..<cols {
                var re = 0.0, im = 0.0, k = 0
                for x in 0..<s {
                    let value = t[y * s + x]
                    re += value * cosines[k]
                    im -= value * sines[k]
                    k += kx
                    if k >= s { k -= s }
                }
                rowRe[y * cols + kx] = re
                rowIm[y * cols + kx] = im
            }
        }
        var re = [Double](repeating: 0, count: s * cols), im = re
        for ky in 0..<s {
            for kx in 0..<cols {
                var sr = 0.0, si = 0.0, k = 0
                for y in 0..<s {
                    let a = rowRe[y * cols + kx], b = rowIm[y * cols + kx], c = cosines[k], d = sines[k]
                    // (a + ib) e^{-i theta} = (a c + b d) + i (b c - a d)
                    sr += a * c + b * d
                    si += b * c - a * d
                    k += ky
                    if k >= s { k -= s }
                }
                re[ky * cols + kx] = sr
                im[ky * cols + kx] = si
            }
        }
        return (re, im)
    }
}

extension RGBImage {
    /// The centred square of the picture, box-averaged to size x size, as interleaved RGB in
    /// [0, 1]: each output pixel the exact area-weighted mean of the source pixels it covers.
    public func centredSquare(size: Int) -> [Float] {
        let side = min(width, height), x0 = (width - side) / 2, y0 = (height - side) / 2
        let weights = Self.boxWeights(from: side, to: size)
        // Columns first, into a side x size plane per channel, then rows.
        var across = [Double](repeating: 0, count: side * size * 3)
        for y in 0..<side {
            let row = (y0 + y) * width + x0
            for (o, taps) in weights.enumerated() {
                var sum = SIMD3<Double>()
                for (i, w) in taps {
                    let k = (row + i) * 3
                    sum += w * SIMD3(Double(pixels[k]), Double(pixels[k + 1]), Double(pixels[k + 2]))
                }
                for c in 0..<3 { across[(y * size + o) * 3 + c] = sum[c] }
            }
        }
        var out = [Float](repeating: 0, count: size * size * 3)
        for (o, taps) in weights.enumerated() {
            for x in 0..<size {
                var sum = SIMD3<Double>()
                for (i, w) in taps {
                    let k = (i * size + x) * 3
                    sum += w * SIMD3<Double>(across[k], across[k + 1], across[k + 2])
                }
                for c in 0..<3 { out[(o * size + x) * 3 + c] = Float(sum[c] / 255) }
            }
        }
        return out
    }

    /// For each of `to` output pixels, the source pixels of [0, from) it covers and their
    /// shares (summing to 1).
    static func boxWeights(from: Int, to: Int) -> [[(Int, Double)]] {
        let scale = Double(from) / Double(to)
        return (0..<to).map { o in
            let start = Double(o) * scale, end = Double(o + 1) * scale
            var taps: [(Int, Double)] = []
            var i = Int(start)
            while Double(i) < end && i < from {
                let cover = min(end, Double(i + 1)) - max(start, Double(i))
                if cover > 1e-12 { taps.append((i, cover / scale)) }
                i += 1
            }
            return taps
        }
    }
}
