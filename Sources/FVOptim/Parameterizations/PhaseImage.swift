import FVImage
import FVModel
import Foundation
import SIMDKernels

/// The natural preset's picture (MACO, Fel et al. 2023): per image and decorrelated colour
/// channel, a spectrum whose magnitude is fixed to a natural image's, with no DC (by default
/// M(f) = 1/f for every channel; with a measured `AmplitudeSpectrum`, the user's pictures'
/// mean amplitude per channel), and whose phases are the parameters; the orthonormal inverse
/// real DFT, each channel centred and all three divided by the luminance channel's (0's)
/// standard deviation, times `gain`, mixed by Lucid's decorrelated colour matrix and squashed
/// by a sigmoid into (0, 1).
///
/// Why by the luminance's deviation: it sets the contrast, the same for every spectrum, and
/// leaves the colour channels in the spectrum's own proportion to it. With 1/f the three
/// channels have equal energy (Parseval: the same magnitudes), so this is the whole picture's
/// standardisation; a spectrum measured from greyscale photographs, whose colour channels are
/// near 0, gives a greyscale picture of natural contrast where a joint standardisation put
/// three times the variance into luminance and clipped it black and white.
///
/// Why: every picture has a natural amplitude spectrum by construction (Lucid's only starts
/// with one), so the optimisation can move where things are but not make them saturated
/// high-frequency texture. Phases are plain real numbers: cos and sin are periodic, so a phase
/// that leaves [-pi, pi) needs no wrapping, and Adam's moment estimates see a smooth function.
///
/// The half spectrum's edge columns (kx = 0 and side/2) stand for themselves and their mirror
/// images: there coefficient (side - ky) is the conjugate of (ky), so its phase is minus that of
/// (ky) (its own parameter is unused), and the four self-conjugate coefficients, which must be
/// real, have magnitude 0. So the picture's spectrum is M exactly, after any number of steps.
public final class PhaseImage: ImageParameterization {
    /// The standardised image's scale before the sigmoid: sets the contrast and saturation.
    /// At 2.2 the pictures' colourfulness (Hasler-Süsstrunk) is about 46, "quite colourful" and
    /// within natural photographs' range; at 1.6 it was 35 and they looked washed out; at 3 they clip.
    public static let defaultGain: Float = 2.2

    public let imageCount: Int
    public let side: Int
    public let parametersPerImage: Int
    public var parameters: [Double]
    public let gain: Float
    let dft: InverseRealDFT
    /// The magnitude per channel and coefficient [c * side * columns + ky * columns + kx].
    public let magnitude: [Float]
    /// Per image: the three channels' images t before standardisation, then z after it.
    let linear: AlignedBuffer<Float>
    let standardised: AlignedBuffer<Float>
    /// Per image: the luminance channel's standard deviation, which it was divided by.
    var deviations: [Float]
    let picture: AlignedBuffer<Float>
    let linearGradient: AlignedBuffer<Float>
    let gradient: AlignedBuffer<Float>

    var coefficients: Int { side * dft.columns }

    /// - Parameters:
    ///   - seeds: one per image; phases start uniform in [-pi, pi).
    ///   - spectrum: measured amplitudes at this side (`--spectrum-from`); nil for 1/f.
    public init(side: Int, seeds: [UInt32], gain: Float = PhaseImage.defaultGain, spectrum: AmplitudeSpectrum? = nil) {
        precondition(spectrum == nil || spectrum!.size == side, "a spectrum measured at another size")
        self.side = side
        self.gain = gain
        imageCount = seeds.count
        dft = InverseRealDFT(height: side, width: side)
        let cols = dft.columns
        var m = [Float](repeating: 0, count: 3 * side * cols)
        for c in 0..<3 {
            if let spectrum {
                var h = spectrum.halfSpectrum(channel: c)
                // On the edge columns coefficient (side - ky) is (ky)'s conjugate, so it has
                // its magnitude; on the Nyquist column the table's orientation would differ.
                for ky in (side / 2 + 1)..<side { for kx in [0, side / 2] { h[ky * cols + kx] = h[(side - ky) * cols + kx] } }
                m.replaceSubrange((c * side * cols)..<((c + 1) * side * cols), with: h)
            } else {
                for ky in 0..<side {
                    for kx in 0..<cols { m[c * side * cols + ky * cols + kx] = Float(dft.frequencyScale(ky: ky, kx: kx)) }
                }
            }
            // DC and the real Nyquist terms
            for ky in [0, side / 2] { for kx in [0, side / 2] { m[c * side * cols + ky * cols + kx] = 0 } }
        }
        magnitude = m
        parametersPerImage = 3 * side * cols
        parameters = []
        parameters.reserveCapacity(seeds.count * parametersPerImage)
        for seed in seeds {
            var r = MersenneTwister(seed: seed)
            for _ in 0..<parametersPerImage { parameters.append((2 * r.nextDouble() - 1) * Double.pi) }
        }
        linear = AlignedBuffer(count: seeds.count * 3 * side * side)
        standardised = AlignedBuffer(count: linear.count)
        deviations = Array(repeating: 1, count: seeds.count)
        picture = AlignedBuffer(count: seeds.count * side * side * 3)
        linearGradient = AlignedBuffer(count: linear.count)
        gradient = AlignedBuffer(count: seeds.count * parametersPerImage)
    }

    /// The coefficient whose phase coefficient (ky, kx) takes, and the sign: on the edge
    /// columns the lower half mirrors the upper.
    @inline(__always)
    func source(_ ky: Int, _ kx: Int) -> (Int, Float) {
        if (kx == 0 || kx == side / 2) && ky > side / 2 { return ((side - ky) * dft.columns + kx, -1) }
        return (ky * dft.columns + kx, 1)
    }

    /// The phase of coefficient (ky, kx) of channel c of image n.
    @inline(__always)
    func phase(_ n: Int, _ c: Int, _ ky: Int, _ kx: Int) -> Double {
        let (k, sign) = source(ky, kx)
        return Double(sign) * parameters[n * parametersPerImage + c * coefficients + k]
    }

    public func render(into out: UnsafeMutablePointer<Float>) {
        let px = side * side, pc = dft.paddedColumns, cols = dft.columns
        let planeCount = dft.planeCount
        Parallel.forEach(imageCount * 3) { job in
            let n = job / 3, c = job % 3
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 4 * planeCount) { buf in
                let re = buf.baseAddress!, im = re + planeCount, zr = im + planeCount, zi = zr + planeCount
                re.update(repeating: 0, count: 2 * planeCount)
                for ky in 0..<side {
                    for kx in 0..<cols {
                        let m = magnitude[c * side * cols + ky * cols + kx]
                        if m == 0 { continue }
                        let phi = phase(n, c, ky, kx)
                        re[ky * pc + kx] = m * Float(cos(phi))
                        im[ky * pc + kx] = m * Float(sin(phi))
                    }
                }
                dft.inverse(re: re, im: im, image: linear.pointer + (n * 3 + c) * px, zr: zr, zi: zi)
            }
        }
        for n in 0..<imageCount {
            let t = linear.pointer + n * 3 * px, z = standardised.pointer + n * 3 * px
            var means = [0.0, 0.0, 0.0], squares = 0.0
            for c in 0..<3 { for k in (c * px)..<((c + 1) * px) { means[c] += Double(t[k]) } }
            for c in 0..<3 { means[c] /= Double(px) }
            for k in 0..<px { squares += (Double(t[k]) - means[0]) * (Double(t[k]) - means[0]) }
            let deviation = max((squares / Double(px)).squareRoot(), 1e-12)
            deviations[n] = Float(deviation)
            for c in 0..<3 { for k in (c * px)..<((c + 1) * px) { z[k] = Float((Double(t[k]) - means[c]) / deviation) } }
            DecorrelatedColor.picture(channels: z, pixels: px, gain: gain, into: out + n * px * 3)
        }
        picture.pointer.update(from: out, count: imageCount * px * 3)
    }

    /// dLoss/d(phases) from dLoss/d(pictures): through the sigmoid, the colour matrix's
    /// transpose, the gain, the standardisation (dt_c = (dz_c - mean(dz_c) - [c = 0] z_0 sum(dz z) / N)
    /// / sigma_0, N the pixels of a channel: sigma_0 is channel 0's alone), the
    /// DFT's adjoint, and the phases (d re = -M sin(phi) dphi, d im = M cos(phi) dphi).
    public func parameterGradient(imageGradient g: UnsafePointer<Float>) -> UnsafePointer<Float> {
        let px = side * side, pc = dft.paddedColumns, cols = dft.columns
        let planeCount = dft.planeCount
        let dt = linearGradient.pointer
        for n in 0..<imageCount {
            let z = standardised.pointer + n * 3 * px, d = dt + n * 3 * px
            DecorrelatedColor.channelGradient(g + n * px * 3, picture: picture.pointer + n * px * 3, pixels: px, gain: gain, into: d)
            var meanD = [0.0, 0.0, 0.0], sumDZ = 0.0
            for c in 0..<3 { for k in (c * px)..<((c + 1) * px) { meanD[c] += Double(d[k]) } }
            for c in 0..<3 { meanD[c] /= Double(px) }
            for k in 0..<(3 * px) { sumDZ += Double(d[k]) * Double(z[k]) }
            let sigma = Double(deviations[n]), scale = sumDZ / Double(px)
            for c in 0..<3 {
                for k in (c * px)..<((c + 1) * px) {
                    d[k] = Float((Double(d[k]) - meanD[c] - (c == 0 ? Double(z[k]) * scale : 0)) / sigma)
                }
            }
        }
        gradient.pointer.update(repeating: 0, count: imageCount * parametersPerImage)
        Parallel.forEach(imageCount * 3) { job in
            let n = job / 3, c = job % 3
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 4 * planeCount) { buf in
                let re = buf.baseAddress!, im = re + planeCount, zr = im + planeCount, zi = zr + planeCount
                dft.adjoint(image: dt + (n * 3 + c) * px, re: re, im: im, zr: zr, zi: zi)
                let base = n * parametersPerImage + c * coefficients
                for ky in 0..<side {
                    for kx in 0..<cols {
                        let m = magnitude[c * side * cols + ky * cols + kx]
                        if m == 0 { continue }
                        let phi = phase(n, c, ky, kx)
                        let dphi = m * (-Float(sin(phi)) * re[ky * pc + kx] + Float(cos(phi)) * im[ky * pc + kx])
                        let (k, sign) = source(ky, kx)
                        gradient.pointer[base + k] += sign * dphi
                    }
                }
            }
        }
        return UnsafePointer(gradient.pointer)
    }

    public func images() -> [Float] { modelSpaceImages(pixels: imageCount * side * side) }
}
