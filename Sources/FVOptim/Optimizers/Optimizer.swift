/// How the parameters move given their gradient, image by image (each image's step is its own,
/// so a batch gives the images its items would give alone).
public protocol Optimizer {
    /// Ascent: moves `parameters` of image `image` (its `count` values start at `offset`) up
    /// the gradient `g` (same layout).
    mutating func step(_ parameters: inout [Double], gradient g: UnsafePointer<Float>, image: Int, offset: Int, count: Int)
}
