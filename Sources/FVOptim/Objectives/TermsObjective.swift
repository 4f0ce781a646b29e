import FVModel
import SIMDKernels

/// A weighted sum of terms, each on its own layer and filter or the objective's (every channel
/// of each layer read is computed), minus Lucid's diversity penalty when `diversityWeight` > 0:
/// per image G_b = F_b^T F_b (F_b: the image's activations at the home layer as positions x
/// channels), normalised to unit Frobenius norm, and D = (1/B) * sum over ordered pairs b != b'
/// of <G_b, G_b'>. Image b's value carries its share, (1/B) * sum over b' != b, times the
/// weight; the images of such a batch interact, so they never share a batch with other jobs.
///
/// The network runs to the deepest layer any term reads (`layer`); the shallower ones are taps,
/// read on the way up and given their gradient on the way down (`NetworkWorkspace`).
public struct TermsObjective: Objective {
    /// The diversity penalty's weight when a request gives none: 1e4, Lucid's 1e2 scaled to
    /// VGG16, whose activations on 0-255 caffe input are about a hundred times InceptionV1's. At
    /// Lucid's 1e2 the penalty was a few percent of the objective and `--diversity 4` drew one
    /// texture four times (mean Gram cosine 0.985 at block4_conv3 12, as four independent seeds);
    /// at 1e4 the four pictures are different facets (0.082), at a quarter of the objective
    /// (`fvbench --diversity`, docs/QUALITY.md).
    public static let defaultDiversityWeight: Float = 10_000

    /// The deepest layer read: where the network stops.
    public let layer: Int
    /// The request's layer: terms that name none read it, and the diversity penalty does.
    public let home: Int
    public let taps: [Int]
    public let preReLU: Bool
    public let terms: [WeightedTerm]
    public let filters: [Int]
    public let negated: [Bool]
    public let diversityWeight: Float
    /// Each layer read's height and width for the untransformed picture (neuron positions refer to it).
    let nominalSides: [Int: Int]

    /// - Parameter layer: the home layer (the request's).
    public init(layer: Int, preReLU: Bool, terms: [WeightedTerm], filters: [Int], negated: [Bool]? = nil,
                diversityWeight: Float = 0, pictureSide: Int) {
        home = layer
        let read = Set(terms.map { $0.layer ?? layer } + [layer])
        self.layer = read.max()!
        taps = read.subtracting([self.layer]).sorted()
        self.preReLU = preReLU
        self.terms = terms
        self.filters = filters
        self.negated = negated ?? Array(repeating: false, count: filters.count)
        self.diversityWeight = diversityWeight
        nominalSides = Dictionary(uniqueKeysWithValues: read.map { ($0, VGG16.outputShape(layer: $0, n: 1, h: pictureSide, w: pictureSide).h) })
    }

    public var needs: TargetOutput { .layer }
    public var imagesAreIndependent: Bool { diversityWeight == 0 }

    /// A neuron's position in layer `l` of shape `s` (scaled from the nominal size, clamped).
    func position(_ y: Int?, _ x: Int?, layer l: Int, _ s: TensorShape) -> (Int, Int) {
        guard let y, let x else { return (s.h / 2, s.w / 2) }
        let nominal = nominalSides[l]!
        func scaled(_ v: Int, _ n: Int) -> Int { min(max(0, Int((Double(v) * Double(n) / Double(nominal)).rounded(.down))), n - 1) }
        return (scaled(y, s.h), scaled(x, s.w))
    }

    func termValues(_ ws: NetworkWorkspace, grams: [GramDiversity.Gram]?) -> [Float] {
        let batch = ws.outputShape.n
        var out = [Float](repeating: 0, count: batch)
        for n in 0..<batch {
            var v = 0.0
            for t in terms {
                let l = t.layer ?? home, s = ws.outputShape(layer: l)
                let img = ws.activations(layer: l) + n * s.pixels * s.c
                let f = t.filter ?? filters[n]
                var tv = 0.0
                switch t.term {
                case .channel:
                    for p in 0..<s.pixels { tv += Double(img[p * s.c + f]) }
                    tv /= Double(s.pixels)
                case .neuron(let y, let x):
                    let (py, px) = position(y, x, layer: l, s)
                    tv = Double(img[(py * s.w + px) * s.c + f])
                case .direction(let d):
                    for p in 0..<s.pixels { for c in 0..<s.c { tv += Double(img[p * s.c + c]) * Double(d[c]) } }
                    tv /= Double(s.pixels)
                case .deepdream:
                    for k in 0..<(s.pixels * s.c) { tv += Double(img[k]) * Double(img[k]) }
                    tv /= Double(s.pixels * s.c)
                }
                v += Double(t.weight) * tv
            }
            out[n] = Float(negated[n] ? -v : v)
        }
        if let grams {
            let share = GramDiversity.shares(grams)
            for n in 0..<batch { out[n] -= diversityWeight * share[n] }
        }
        return out
    }

    func grams(_ ws: NetworkWorkspace) -> [GramDiversity.Gram]? {
        diversityWeight > 0 ? GramDiversity.grams(ws.activations(layer: home), ws.outputShape(layer: home)) : nil
    }

    public func values(_ ws: NetworkWorkspace) -> [Float] { termValues(ws, grams: grams(ws)) }

    public func gradient(_ ws: NetworkWorkspace) { termGradient(ws, grams: grams(ws)) }

    /// One set of Gram matrices for both (they cost more than all the terms together).
    public func valuesAndGradient(_ ws: NetworkWorkspace) -> [Float] {
        let grams = grams(ws)
        let v = termValues(ws, grams: grams)
        termGradient(ws, grams: grams)
        return v
    }

    func termGradient(_ ws: NetworkWorkspace, grams: [GramDiversity.Gram]?) {
        for l in taps + [layer] { ws.gradient(layer: l).update(repeating: 0, count: ws.outputShape(layer: l).count) }
        for n in 0..<ws.outputShape.n {
            let sign: Float = negated[n] ? -1 : 1
            for t in terms {
                let l = t.layer ?? home, s = ws.outputShape(layer: l)
                let img = ws.activations(layer: l) + n * s.pixels * s.c, gi = ws.gradient(layer: l) + n * s.pixels * s.c
                let f = t.filter ?? filters[n]
                let w = sign * t.weight
                switch t.term {
                case .channel:
                    for p in 0..<s.pixels { gi[p * s.c + f] += w / Float(s.pixels) }
                case .neuron(let y, let x):
                    let (py, px) = position(y, x, layer: l, s)
                    gi[(py * s.w + px) * s.c + f] += w
                case .direction(let d):
                    for p in 0..<s.pixels { for c in 0..<s.c { gi[p * s.c + c] += w * d[c] / Float(s.pixels) } }
                case .deepdream:
                    let k2 = 2 * w / Float(s.pixels * s.c)
                    for k in 0..<(s.pixels * s.c) { gi[k] += k2 * img[k] }
                }
            }
        }
        if let grams {
            GramDiversity.addGradient(grams, ws.activations(layer: home), ws.outputShape(layer: home), weight: -diversityWeight,
                                      into: ws.gradient(layer: home))
        }
    }
}

/// Lucid's diversity term on a batch of activations (NHWC): Gram matrices per image,
/// normalised, and their pairwise inner products.
enum GramDiversity {
    /// An image's Gram matrix (c x c, row-major) and its Frobenius norm.
    typealias Gram = (g: [Float], norm: Double)

    /// Per image, G = F^T F with F its activations as positions x channels. Row i gathers
    /// f[i] * (the position's whole row): contiguous, so it vectorises.
    static func grams(_ a: UnsafePointer<Float>, _ s: TensorShape) -> [Gram] {
        (0..<s.n).map { n in
            var g = [Float](repeating: 0, count: s.c * s.c)
            let img = a + n * s.pixels * s.c
            g.withUnsafeMutableBufferPointer { gp in
                Parallel.forRanges(s.c, minChunk: 8) { rows in
                    for i in rows {
                        for p in 0..<s.pixels {
                            let fi = img[p * s.c + i]
                            if fi == 0 { continue }
                            let row = img + p * s.c
                            for j in 0..<s.c { gp[i * s.c + j] += fi * row[j] }
                        }
                    }
                }
            }
            let norm = g.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
            return (g, norm)
        }
    }

    /// Image n's share of D: (1/B) * sum over b != n of <G_n/|G_n|, G_b/|G_b|>.
    static func shares(_ gs: [Gram]) -> [Float] {
        (0..<gs.count).map { n in
            var sum = 0.0
            for b in 0..<gs.count where b != n && gs[n].norm > 0 && gs[b].norm > 0 {
                var dot = 0.0
                for k in 0..<gs[n].g.count { dot += Double(gs[n].g[k]) * Double(gs[b].g[k]) }
                sum += dot / (gs[n].norm * gs[b].norm)
            }
            return Float(sum / Double(gs.count))
        }
    }

    /// Image n's share of D for activations `a` (computing the Gram matrices).
    static func shares(_ a: UnsafePointer<Float>, _ s: TensorShape) -> [Float] { shares(grams(a, s)) }

    /// Adds weight * dD/dA to `out`, D = sum of the shares, from the Gram matrices of `a`.
    static func addGradient(_ gs: [Gram], _ a: UnsafePointer<Float>, _ s: TensorShape, weight: Float, into out: UnsafeMutablePointer<Float>) {
        let c = s.c
        for n in 0..<s.n where gs[n].norm > 0 {
            // dD/dGhat_n = (2/B) * sum over b != n of Ghat_b (ordered pairs count both ways).
            var p = [Double](repeating: 0, count: c * c)
            for b in 0..<s.n where b != n && gs[b].norm > 0 {
                let k = 2 / (Double(s.n) * gs[b].norm)
                for i in 0..<(c * c) { p[i] += k * Double(gs[b].g[i]) }
            }
            // Through the normalisation: dD/dG = (P - Ghat <P, Ghat>) / |G|.
            let norm = gs[n].norm
            var dot = 0.0
            for i in 0..<(c * c) { dot += p[i] * Double(gs[n].g[i]) / norm }
            var dG = [Float](repeating: 0, count: c * c)
            for i in 0..<(c * c) { dG[i] = Float((p[i] - Double(gs[n].g[i]) / norm * dot) / norm) }
            // G = F^T F: dD/dF = F S with S = dG + dG^T, taken row by row of S (contiguous).
            var sym = [Float](repeating: 0, count: c * c)
            for i in 0..<c { for j in 0..<c { sym[i * c + j] = weight * (dG[i * c + j] + dG[j * c + i]) } }
            let img = a + n * s.pixels * c, o = out + n * s.pixels * c
            sym.withUnsafeBufferPointer { sp in
                Parallel.forRanges(s.pixels, minChunk: 4) { pixels in
                    for q in pixels {
                        let f = img + q * c, row = o + q * c
                        for i in 0..<c where f[i] != 0 {
                            let fi = f[i], srow = sp.baseAddress! + i * c
                            for j in 0..<c { row[j] += fi * srow[j] }
                        }
                    }
                }
            }
        }
    }
}
