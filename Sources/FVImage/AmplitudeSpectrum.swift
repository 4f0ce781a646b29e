import Foundation

/// The mean Fourier amplitude of a set of pictures at one render size, per decorrelated colour
/// channel, as the natural preset's `--spectrum-from` gives its pictures (`SpectrumEstimator`
/// measures it; docs/PROTOCOL.md, "spectrum").
///
/// Kept as a polar table, not the full half spectrum: `radii` bins of one cycle per picture
/// (bin r holds the frequencies whose radius rounds to r, up to the corner of the spectrum) by
/// `angles` bins of orientation over [0, pi) (a real picture's spectrum is symmetric through
/// the origin). That is what a natural spectrum has to say (its fall-off with frequency, and its
/// preference for horizontal and vertical edges), it averages away the noise of single
/// coefficients, and it stays small on the wire at every size: 3 x 91 x 16 numbers at 128 px,
/// where the half spectrum would be 3 x 128 x 65.
public struct AmplitudeSpectrum: Hashable, Sendable {
    /// The render size it was measured at, in pixels (square).
    public let size: Int
    public let angles: Int
    /// [(channel * radii + r) * angles + a], amplitudes of the orthonormal DFT, at least 0.
    public let amplitude: [Float]

    public static let defaultAngles = 16
    public static let angleRange = 1...32
    public static let sizeRange = 8...4096

    /// Radial bins for a size: 0 ... the corner's radius, size / sqrt(2), rounded.
    public static func radii(size: Int) -> Int { Int((Double(size) / 2.0.squareRoot()).rounded()) + 1 }
    public var radii: Int { Self.radii(size: size) }

    /// Checks the table as it comes from a client, naming what is wrong.
    public init(size: Int, angles: Int, amplitude: [Float]) throws {
        guard Self.sizeRange.contains(size) else {
            throw SpectrumError("a spectrum's size must be \(Self.sizeRange.lowerBound)-\(Self.sizeRange.upperBound) pixels, got \(size)")
        }
        guard Self.angleRange.contains(angles) else {
            throw SpectrumError("a spectrum's angles must be \(Self.angleRange.lowerBound)-\(Self.angleRange.upperBound), got \(angles)")
        }
        let want = 3 * Self.radii(size: size) * angles
        guard amplitude.count == want else {
            throw SpectrumError("a spectrum of size \(size) with \(angles) angles has 3 x \(Self.radii(size: size)) x \(angles) = \(want) amplitudes, got \(amplitude.count)")
        }
        if let bad = amplitude.firstIndex(where: { !($0.isFinite && $0 >= 0) }) {
            throw SpectrumError("a spectrum's amplitudes are finite numbers of at least 0; number \(bad) is \(amplitude[bad])")
        }
        guard amplitude.contains(where: { $0 > 0 }) else {
            throw SpectrumError("the spectrum is zero everywhere; a picture drawn from it would be flat grey")
        }
        self.size = size
        self.angles = angles
        self.amplitude = amplitude
    }

    @inline(__always)
    func value(_ c: Int, _ r: Int, _ a: Int) -> Float { amplitude[(c * radii + r) * angles + a] }

    /// The amplitude of channel `c` at frequency (fy, fx) in cycles per picture, interpolated
    /// linearly in radius and circularly in orientation between the bins' centres.
    public func amplitude(channel c: Int, fy: Double, fx: Double) -> Float {
        let rho = min((fy * fy + fx * fx).squareRoot(), Double(radii - 1))
        let r0 = min(Int(rho), radii - 2), wr = Float(rho - Double(r0))
        var theta = atan2(fy, fx)
        if theta < 0 { theta += Double.pi }
        let position = theta / Double.pi * Double(angles) - 0.5  // in bins, centres at integers
        let a0f = position.rounded(.down), wa = Float(position - a0f)
        let a0 = (Int(a0f) % angles + angles) % angles, a1 = (a0 + 1) % angles
        func at(_ r: Int) -> Float { (1 - wa) * value(c, r, a0) + wa * value(c, r, a1) }
        return (1 - wr) * at(r0) + wr * at(r0 + 1)
    }

    /// Channel `c`'s amplitude at every coefficient of a size x size picture's half spectrum,
    /// [ky * (size / 2 + 1) + kx], rows ky = 0 ..< size (frequency ky, or ky - size past the
    /// middle).
    public func halfSpectrum(channel c: Int) -> [Float] {
        let cols = size / 2 + 1
        var out = [Float](repeating: 0, count: size * cols)
        for ky in 0..<size {
            let fy = Double(ky <= size / 2 ? ky : ky - size)
            for kx in 0..<cols { out[ky * cols + kx] = amplitude(channel: c, fy: fy, fx: Double(kx)) }
        }
        return out
    }

    /// Every number exactly (bit patterns), for a cache key: two tables give the same text only
    /// if they draw the same pictures.
    public var canonicalText: String {
        "\(size),\(angles)," + amplitude.map { String($0.bitPattern, radix: 16) }.joined(separator: ",")
    }
}

public struct SpectrumError: Error, CustomStringConvertible, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
