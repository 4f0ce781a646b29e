/// Penalties on the picture itself (RGB in (0, 1)), subtracted from the objective with their
/// weights (../shared/LUCID.md section 4): total variation, L1 distance from grey, and Lucid's
/// blur penalty 0.5 * sum (I - stopgrad(blur3x3(I)))^2. Each pulls towards smoother or calmer
/// pictures; all weights 0 (the default) leave a render exactly as without them.
public struct PicturePenalties: Hashable, Sendable, CustomStringConvertible {
    public var totalVariation: Float = 0
    public var l1: Float = 0
    public var blur: Float = 0

    public init(totalVariation: Float = 0, l1: Float = 0, blur: Float = 0) {
        self.totalVariation = totalVariation
        self.l1 = l1
        self.blur = blur
    }

    public var isEmpty: Bool { totalVariation == 0 && l1 == 0 && blur == 0 }

    public var description: String { "penalties(tv \(totalVariation.bitPattern),l1 \(l1.bitPattern),blur \(blur.bitPattern))" }

    /// Image n's weighted penalty, and its gradient subtracted from `gradient` (both NHWC, side
    /// x side x 3 per image): the objective being maximised is value - penalty.
    public func apply(_ pictures: UnsafePointer<Float>, side: Int, images: Int, gradient: UnsafeMutablePointer<Float>) -> [Float] {
        guard !isEmpty else { return Array(repeating: 0, count: images) }
        let px = side * side
        var out = [Float](repeating: 0, count: images)
        for n in 0..<images {
            let img = pictures + n * px * 3, g = gradient + n * px * 3
            var value = 0.0
            func at(_ y: Int, _ x: Int, _ c: Int) -> Int { (y * side + x) * 3 + c }
            if totalVariation != 0 {
                let w = totalVariation
                for y in 0..<side {
                    for x in 0..<side {
                        for c in 0..<3 {
                            let v = img[at(y, x, c)]
                            if y + 1 < side {
                                let d = img[at(y + 1, x, c)] - v
                                value += Double(w * abs(d))
                                let s: Float = d > 0 ? 1 : (d < 0 ? -1 : 0)
                                g[at(y + 1, x, c)] -= w * s
                                g[at(y, x, c)] += w * s
                            }
                            if x + 1 < side {
                                let d = img[at(y, x + 1, c)] - v
                                value += Double(w * abs(d))
                                let s: Float = d > 0 ? 1 : (d < 0 ? -1 : 0)
                                g[at(y, x + 1, c)] -= w * s
                                g[at(y, x, c)] += w * s
                            }
                        }
                    }
                }
            }
            if l1 != 0 {
                for k in 0..<(px * 3) {
                    let d = img[k] - 0.5
                    value += Double(l1 * abs(d))
                    g[k] -= l1 * (d > 0 ? 1 : (d < 0 ? -1 : 0))
                }
            }
            if blur != 0 {
                for y in 0..<side {
                    for x in 0..<side {
                        for c in 0..<3 {
                            var sum: Float = 0, count: Float = 0
                            for yy in max(0, y - 1)...min(side - 1, y + 1) {
                                for xx in max(0, x - 1)...min(side - 1, x + 1) {
                                    sum += img[at(yy, xx, c)]
                                    count += 1
                                }
                            }
                            let d = img[at(y, x, c)] - sum / count
                            value += Double(blur * 0.5 * d * d)
                            g[at(y, x, c)] -= blur * d  // the blurred copy is held constant
                        }
                    }
                }
            }
            out[n] = Float(value)
        }
        return out
    }
}
