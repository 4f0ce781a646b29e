import Foundation

/// MACO's transforms (Fel et al. 2023, Horama's `optimization_step`), as a trial against Lucid's
/// for the natural preset (issue 23: "whichever measures better at the same cost"; only
/// `fvbench --quality --transforms maco` draws with them, and docs/QUALITY.md has the result):
/// each step a square box of the picture, its side a uniform fraction of the picture's in
/// `boxes`, its centre the picture's plus normal jitter, resized (bilinear) to the picture's
/// size, plus normal and uniform noise of `noise` (on 0...1 pixel values). MACO crops a 1280 px
/// canvas at 20-25% of its side into a 224 px input; on a 128 px picture the boxes are larger,
/// so the network sees the picture a little magnified, as at MACO's scale.
public struct MACOTransforms {
    public static let boxes: ClosedRange<Double> = 0.75...0.95
    public static let centreJitter = 0.05
    public static let noise: Float = 0.02

    var rng: MersenneTwister
    var gaussian: GaussianSource
    public let side: Int

    public init(side: Int, seed: UInt32) {
        self.side = side
        rng = MersenneTwister(seed: seed)
        gaussian = GaussianSource(seed: seed &+ 1)
    }

    /// This step's crop as a sampler (side x side out; outside the picture reads grey 0.5).
    public mutating func next() -> BilinearSampler {
        let box = (Self.boxes.lowerBound + (Self.boxes.upperBound - Self.boxes.lowerBound) * rng.nextDouble()) * Double(side)
        let cy = (0.5 + Self.centreJitter * gaussian.next()) * Double(side)
        let cx = (0.5 + Self.centreJitter * gaussian.next()) * Double(side)
        let step = box / Double(side)
        return BilinearSampler(inputSide: side, outputHeight: side, outputWidth: side, inFrameFill: 0.5, outsideFill: 0.5) { i, j in
            // Pixel centres to pixel centres, as roi_align samples a box.
            (cy - box / 2 + (Double(i) + 0.5) * step - 0.5, cx - box / 2 + (Double(j) + 0.5) * step - 0.5)
        }
    }

    /// This step's noise for `count` sampled values.
    public mutating func noise(into values: UnsafeMutablePointer<Float>, count: Int) {
        for k in 0..<count { values[k] = Self.noise * (Float(gaussian.next()) + Float(rng.nextDouble() - 0.5)) }
    }
}
