/// Lucid's decorrelated colour space: rgb = matrix * t, where t's three channels are
/// (roughly) uncorrelated in ImageNet's photographs. The matrix is the square root of
/// ImageNet's colour covariance (Lucid's `color_correlation_svd_sqrt`), scaled so its largest
/// column has norm 1. Its first column is close to grey, so channel 0 is luminance and 1, 2
/// are colour opponents.
///
/// One home for the numbers: the lucid and natural presets draw through it (FVOptim's
/// `DecorrelatedColor`), and `AmplitudeSpectrum` takes users' photographs back through its
/// inverse.
public enum ColorDecorrelation {
    /// Rows R, G, B; columns the decorrelated channels.
    public static let matrix: [[Double]] = {
        let rows: [[Double]] = [[0.26, 0.09, 0.02], [0.27, 0.00, -0.05], [0.27, -0.09, 0.03]]
        let maxNorm = (0..<3).map { j in rows.reduce(0.0) { $0 + $1[j] * $1[j] }.squareRoot() }.max()!
        return rows.map { r in r.map { $0 / maxNorm } }
    }()

    /// `matrix`'s inverse: t = inverse * rgb.
    public static let inverse: [[Double]] = {
        let m = matrix
        func cofactor(_ r: Int, _ c: Int) -> Double {
            let r1 = (r + 1) % 3, r2 = (r + 2) % 3, c1 = (c + 1) % 3, c2 = (c + 2) % 3
            return m[r1][c1] * m[r2][c2] - m[r1][c2] * m[r2][c1]
        }
        let det = (0..<3).reduce(0.0) { $0 + m[0][$1] * cofactor(0, $1) }
        return (0..<3).map { r in (0..<3).map { c in cofactor(c, r) / det } }
    }()
}
