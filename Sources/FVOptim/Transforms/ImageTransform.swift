import SIMDKernels

/// A change made to the images between the parameterisation and the network, anew at every step
/// (Lucid's jitter, scale, rotate): robustness against it is what makes a feature visualisation
/// readable. A transform may add constants (a fill colour), so it is affine: forward(x) =
/// L x + c. It must come with the exact adjoint of its linear part, so the gradient flows back
/// through it: for all x and y, <L x, y> == <x, adjoint(y)> (tested by the dot-product test).
public protocol ImageTransform {
    /// The shape `forward` produces from `input`.
    func outputShape(for input: TensorShape) -> TensorShape
    func forward(_ x: UnsafePointer<Float>, _ shape: TensorShape, into y: UnsafeMutablePointer<Float>)
    /// The adjoint of `forward`'s linear part (input shape `shape`): from dLoss/dy to dLoss/dx.
    func adjoint(_ dy: UnsafePointer<Float>, _ shape: TensorShape, into dx: UnsafeMutablePointer<Float>)
}
