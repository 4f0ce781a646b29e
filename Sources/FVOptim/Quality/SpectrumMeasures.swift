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

    /// Hasler and Süsstrunk's colourfulness (2003) of an 8-bit RGB picture: sqrt(sd(rg)^2 +
    /// sd(yb)^2) + 0.3 sqrt(mean(rg)^2 + mean(yb)^2), rg = R - G, yb = (R + G)/2 - B. Their
    /// scale: 15 slightly, 33 moderately, 45 quite, 59 highly, 82 extremely colourful.
    public static func colourfulness(rgb: [UInt8]) -> Double {
        let n = rgb.count / 3
        guard n > 0 else { return 0 }
        var srg = 0.0, syb = 0.0, qrg = 0.0, qyb = 0.0
        for p in 0..<n {
            let r = Double(rgb[3 * p]), g = Double(rgb[3 * p + 1]), b = Double(rgb[3 * p + 2])
            let rg = r - g, yb = 0.5 * (r + g) - b
            srg += rg; syb += yb; qrg += rg * rg; qyb += yb * yb
        }
        let mrg = srg / Double(n), myb = syb / Double(n)
        let sd = (max(0, qrg / Double(n) - mrg * mrg) + max(0, qyb / Double(n) - myb * myb)).squareRoot()
        return sd + 0.3 * (mrg * mrg + myb * myb).squareRoot()
    }

    /// The share of `values`' sum in its largest `top` fraction (an importance map's
    /// concentration: 0.2 for a flat map at top 0.2, 1 for one point).
    public static func concentration(_ values: [Float], top: Double) -> Double {
        let total = values.reduce(0.0) { $0 + Double($1) }
        guard total > 0 else { return 0 }
        let k = max(1, Int((Double(values.count) * top).rounded()))
        return values.sorted(by: >).prefix(k).reduce(0.0) { $0 + Double($1) } / total
    }
}
