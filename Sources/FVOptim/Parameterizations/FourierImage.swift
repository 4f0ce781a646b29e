import FVImage
import FVModel
import SIMDKernels

/// Lucid's image parameterisation: per image and colour channel, the half spectrum of the image
/// (real and imaginary part of each coefficient), scaled by 1/f, taken back to pixels by the
/// orthonormal inverse real DFT, divided by 4, mixed by the decorrelated colour matrix and
/// squashed by a sigmoid into (0, 1).
///
/// Why: Adam moves every parameter by about its learning rate, so through the 1/f scale each
/// step changes the image with the amplitude spectrum of a natural photograph instead of white
/// noise, and the colour matrix makes steps follow ImageNet's colour statistics. The picture
/// (what `render` writes and the result saves) is RGB in (0, 1), n x side x side x 3.
public final class FourierImage: ImageParameterization {
    public let imageCount: Int
    public let side: Int
    public let parametersPerImage: Int
    public var parameters: [Double]
    let dft: InverseRealDFT
    /// 0.25 * 1/f per coefficient [ky * columns + kx].
    let scale: [Float]
    /// Per image: the three channels' pre-colour images t (side^2 each), kept from `render` for
    /// the gradient through the sigmoid.
    let linear: AlignedBuffer<Float>
    let picture: AlignedBuffer<Float>
    /// dLoss/d(t), then dLoss/d(parameters): the gradient's two stages.
    let linearGradient: AlignedBuffer<Float>
    let gradient: AlignedBuffer<Float>

    /// Coefficients of one channel: re and im planes of side x (side/2+1).
    var coefficients: Int { side * dft.columns }

    /// - Parameter seeds: one per image; coefficients start i.i.d. N(0, 0.01^2), as Lucid's.
    public init(side: Int, seeds: [UInt32]) {
        self.side = side
        imageCount = seeds.count
        dft = InverseRealDFT(height: side, width: side)
        let coefficients = side * dft.columns
        parametersPerImage = 3 * 2 * coefficients
        var scale = [Float](repeating: 0, count: coefficients)
        for ky in 0..<side {
            for kx in 0..<dft.columns { scale[ky * dft.columns + kx] = Float(0.25 * dft.frequencyScale(ky: ky, kx: kx)) }
        }
        self.scale = scale
        parameters = []
        parameters.reserveCapacity(seeds.count * parametersPerImage)
        for seed in seeds {
            var normal = GaussianSource(seed: seed)
            for _ in 0..<parametersPerImage { parameters.append(0.01 * normal.next()) }
        }
        linear = AlignedBuffer(count: seeds.count * 3 * side * side)
        picture = AlignedBuffer(count: seeds.count * side * side * 3)
        linearGradient = AlignedBuffer(count: seeds.count * 3 * side * side)
        gradient = AlignedBuffer(count: seeds.count * parametersPerImage)
    }

    /// The pictures (RGB, 0...1) for the current parameters.
    public func render(into out: UnsafeMutablePointer<Float>) {
        let px = side * side, pc = dft.paddedColumns, cols = dft.columns
        let planeCount = dft.planeCount
        Parallel.forEach(imageCount * 3) { job in
            let n = job / 3, c = job % 3
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 4 * planeCount) { buf in
                let re = buf.baseAddress!, im = re + planeCount, zr = im + planeCount, zi = zr + planeCount
                re.update(repeating: 0, count: 2 * planeCount)
                let base = n * parametersPerImage + c * 2 * coefficients
                for ky in 0..<side {
                    for kx in 0..<cols {
                        let k = ky * cols + kx
                        re[ky * pc + kx] = Float(parameters[base + k]) * scale[k]
                        im[ky * pc + kx] = Float(parameters[base + coefficients + k]) * scale[k]
                    }
                }
                dft.inverse(re: re, im: im, image: linear.pointer + (n * 3 + c) * px, zr: zr, zi: zi)
            }
        }
        for n in 0..<imageCount {
            DecorrelatedColor.picture(channels: linear.pointer + n * 3 * px, pixels: px, into: out + n * px * 3)
        }
        picture.pointer.update(from: out, count: imageCount * px * 3)
    }

    /// dLoss/d(parameters) from dLoss/d(pictures): through the sigmoid (s' = s(1-s), from the
    /// picture `render` kept), the colour matrix's transpose and the DFT's adjoint.
    public func parameterGradient(imageGradient g: UnsafePointer<Float>) -> UnsafePointer<Float> {
        let px = side * side, pc = dft.paddedColumns, cols = dft.columns
        let planeCount = dft.planeCount
        let dt = linearGradient
        for n in 0..<imageCount {
            DecorrelatedColor.channelGradient(g + n * px * 3, picture: picture.pointer + n * px * 3, pixels: px, into: dt.pointer + n * 3 * px)
        }
        Parallel.forEach(imageCount * 3) { job in
            let n = job / 3, c = job % 3
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 4 * planeCount) { buf in
                let re = buf.baseAddress!, im = re + planeCount, zr = im + planeCount, zi = zr + planeCount
                dft.adjoint(image: dt.pointer + (n * 3 + c) * px, re: re, im: im, zr: zr, zi: zi)
                let base = n * parametersPerImage + c * 2 * coefficients
                for ky in 0..<side {
                    for kx in 0..<cols {
                        let k = ky * cols + kx
                        gradient.pointer[base + k] = re[ky * pc + kx] * scale[k]
                        gradient.pointer[base + coefficients + k] = im[ky * pc + kx] * scale[k]
                    }
                }
            }
        }
        return UnsafePointer(gradient.pointer)
    }

    /// The pictures in model input space (BGR, 0...255 visible), as results carry images.
    public func images() -> [Float] { modelSpaceImages(pixels: imageCount * side * side) }
}

/// Lucid's colour decorrelation (FVImage's `ColorDecorrelation` holds the matrix) as the
/// presets draw through it: decorrelated channel planes to RGB in (0, 1), and the adjoint.
public enum DecorrelatedColor {
    static let matrix: [SIMD3<Float>] = ColorDecorrelation.matrix.map { r in SIMD3(Float(r[0]), Float(r[1]), Float(r[2])) }

    @inline(__always)
    public static func toRGB(_ t0: Float, _ t1: Float, _ t2: Float) -> SIMD3<Float> {
        let t = SIMD3(t0, t1, t2)
        return SIMD3((matrix[0] * t).sum(), (matrix[1] * t).sum(), (matrix[2] * t).sum())
    }

    /// The matrix's transpose applied to `d` (the colour step's adjoint).
    @inline(__always)
    public static func transposed(_ d: SIMD3<Float>) -> SIMD3<Float> {
        matrix[0] * d[0] + matrix[1] * d[1] + matrix[2] * d[2]
    }

    @inline(__always)
    public static func sigmoid(_ x: Float) -> Float { 1 / (1 + exp(-x)) }

    /// One picture (px pixels of RGB in (0, 1), into `out`) from its three decorrelated channel
    /// planes `t` (px each): sigmoid(matrix * gain * t).
    static func picture(channels t: UnsafePointer<Float>, pixels px: Int, gain: Float = 1, into out: UnsafeMutablePointer<Float>) {
        for p in 0..<px {
            let rgb = toRGB(gain * t[p], gain * t[px + p], gain * t[2 * px + p])
            for c in 0..<3 { out[p * 3 + c] = sigmoid(rgb[c]) }
        }
    }

    /// `picture`'s adjoint: dLoss/d(t) into `d` (three planes) from dLoss/d(picture) `g` and the
    /// picture `s` it drew (the sigmoid's derivative is s(1 - s)).
    static func channelGradient(_ g: UnsafePointer<Float>, picture s: UnsafePointer<Float>, pixels px: Int, gain: Float = 1,
                                into d: UnsafeMutablePointer<Float>) {
        for p in 0..<px {
            var v = SIMD3<Float>()
            for c in 0..<3 { v[c] = g[p * 3 + c] * s[p * 3 + c] * (1 - s[p * 3 + c]) }
            let back = transposed(v) * gain
            for c in 0..<3 { d[c * px + p] = back[c] }
        }
    }
}

/// Standard normal draws (Box-Muller) from the Mersenne Twister, so a seed fixes the start.
struct GaussianSource {
    var rng: MersenneTwister
    var spare: Double?

    init(seed: UInt32) { rng = MersenneTwister(seed: seed) }

    mutating func next() -> Double {
        if let s = spare {
            spare = nil
            return s
        }
        let u1 = 1 - rng.nextDouble(), u2 = rng.nextDouble()  // u1 in (0, 1]: log is finite
        let r = (-2 * Foundation.log(u1)).squareRoot()
        spare = r * Foundation.sin(2 * Double.pi * u2)
        return r * Foundation.cos(2 * Double.pi * u2)
    }
}

import Foundation
