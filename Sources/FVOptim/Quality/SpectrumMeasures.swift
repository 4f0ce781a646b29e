import Foundation

/// Two numbers for how natural a picture's texture is, from its luminance power spectrum
/// (../shared/LUCID.md section 6): HFEF, the share of energy above 0.25 cycles/pixel (white
/// noise 0.80, natural-like 1/f images 0.15-0.18), and the spectral slope alpha of log radially
/// averaged power against log frequency between 2/S and 0.45 cycles/pixel (natural images
/// about 2, white noise about 0). Both use a Hann window and remove the mean first.
public enum SpectrumMeasures {
    /// 8-bit RGB, `side` x `side`.
    public static func measure(rgb: [UInt8], side: Int) -> (hfef: Double, slope: Double) {
        let power = powerSpectrum(rgb: rgb, side: side)
        var high = 0.0, total = 0.0
        var ring = [Double](repeating: 0, count: side), ringCount = [Int](repeating: 0, count: side)
        for ky in 0..<side {
            for kx in 0..<side {
                let fy = Double(ky < (side + 1) / 2 ? ky : ky - side) / Double(side)
                let fx = Double(kx < (side + 1) / 2 ? kx : kx - side) / Double(side)
                let f = (fx * fx + fy * fy).squareRoot()
                let p = power[ky * side + kx]
                total += p
                if f > 0.25 { high += p }
                let r = Int((f * Double(side)).rounded())
                if r < side {
                    ring[r] += p
                    ringCount[r] += 1
                }
            }
        }
        // Least squares of log P(r) on log f over rings 2 ... 0.45 * side.
        var xs: [Double] = [], ys: [Double] = []
        for r in 2...Int(0.45 * Double(side)) where ringCount[r] > 0 && ring[r] > 0 {
            xs.append(log(Double(r) / Double(side)))
            ys.append(log(ring[r] / Double(ringCount[r])))
        }
        let mx = xs.reduce(0, +) / Double(xs.count), my = ys.reduce(0, +) / Double(ys.count)
        var sxy = 0.0, sxx = 0.0
        for (x, y) in zip(xs, ys) {
            sxy += (x - mx) * (y - my)
            sxx += (x - mx) * (x - mx)
        }
        return (total > 0 ? high / total : 0, sxx > 0 ? -sxy / sxx : 0)
    }

    /// |DFT|^2 of the windowed, mean-removed luminance, [ky * side + kx] (a separable DFT:
    /// pictures are small and this runs once per picture).
    static func powerSpectrum(rgb: [UInt8], side: Int) -> [Double] {
        let n = side * side
        var lum = [Double](repeating: 0, count: n)
        for p in 0..<n {
            let r = 0.299 * Double(rgb[3 * p]), g = 0.587 * Double(rgb[3 * p + 1]), b = 0.114 * Double(rgb[3 * p + 2])
            lum[p] = r + g + b
        }
        let mean = lum.reduce(0, +) / Double(n)
        let hann = (0..<side).map { 0.5 - 0.5 * cos(2 * Double.pi * Double($0) / Double(side - 1)) }
        for y in 0..<side { for x in 0..<side { lum[y * side + x] = (lum[y * side + x] - mean) * hann[y] * hann[x] } }
        let c = (0..<n).map { cos(2 * Double.pi * Double($0 % side) / Double(side)) }
        let s = (0..<n).map { sin(2 * Double.pi * Double($0 % side) / Double(side)) }
        // Rows: R[y][kx] = sum over x of lum[y][x] e^(-2 pi i kx x / side).
        var rr = [Double](repeating: 0, count: n), ri = rr
        for y in 0..<side {
            for kx in 0..<side {
                var a = 0.0, b = 0.0
                for x in 0..<side {
                    let v = lum[y * side + x], k = (kx * x) % side
                    a += v * c[k]
                    b -= v * s[k]
                }
                rr[y * side + kx] = a
                ri[y * side + kx] = b
            }
        }
        var power = [Double](repeating: 0, count: n)
        for kx in 0..<side {
            for ky in 0..<side {
                var a = 0.0, b = 0.0
                for y in 0..<side {
                    let k = (ky * y) % side
                    let (xr, xi) = (rr[y * side + kx], ri[y * side + kx])
                    a += xr * c[k] + xi * s[k]
                    b += xi * c[k] - xr * s[k]
                }
                power[ky * side + kx] = a * a + b * b
            }
        }
        return power
    }
}
