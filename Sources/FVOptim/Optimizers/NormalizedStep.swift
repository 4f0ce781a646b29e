/// The notebook's step: x += stepSize * g / (sqrt(mean(g^2)) + 1e-5), per image, in the
/// notebook's precision (float32 gradient and scale, float64 image).
public struct NormalizedStep: Optimizer {
    public let stepSize: Float

    public init(stepSize: Float) { self.stepSize = stepSize }

    public mutating func step(_ x: inout [Double], gradient g: UnsafePointer<Float>, image: Int, offset: Int, count: Int) {
        var sq = 0.0
        for k in offset..<(offset + count) { sq += Double(g[k]) * Double(g[k]) }
        let scale = Float((sq / Double(count)).squareRoot()) + 1e-5
        for k in offset..<(offset + count) {
            x[k] += Double(g[k] / scale) * Double(stepSize)
        }
    }
}
