/// The notebook's parameterisation: the pixels themselves, starting from numpy's noise
/// `uniform[0,1) * 20 + 128` (`np.random.seed(s); np.random.random(...)`), one seed per image.
/// The parameters are the image; its gradient is the image gradient.
public final class PixelImage: ImageParameterization {
    public let imageCount: Int
    public let parametersPerImage: Int
    public var parameters: [Double]

    public init(side: Int, seeds: [UInt32]) {
        imageCount = seeds.count
        parametersPerImage = side * side * 3
        parameters = [Double](repeating: 0, count: seeds.count * side * side * 3)
        for (i, seed) in seeds.enumerated() {
            var rng = MersenneTwister(seed: seed)
            for k in 0..<parametersPerImage { parameters[i * parametersPerImage + k] = rng.nextDouble() * 20 + 128 }
        }
    }

    /// As TensorFlow sees the notebook's float64 array: converted to float32.
    public func render(into input: UnsafeMutablePointer<Float>) {
        for k in 0..<parameters.count { input[k] = Float(parameters[k]) }
    }

    public func parameterGradient(imageGradient: UnsafePointer<Float>) -> UnsafePointer<Float> { imageGradient }

    public func images() -> [Float] { parameters.map { Float($0) } }
}
