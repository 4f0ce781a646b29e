import SIMDKernels

/// A change made to the images between the parameterisation and the network, anew at every step
/// (Lucid's jitter, scale, rotate): robustness against it is what makes a feature visualisation
/// readable. A transform must come with its exact adjoint, so the gradient flows back through
/// it: for all x and y, <forward(x), y> == <x, adjoint(y)> (tested by the dot-product test).
/// None is used yet; the `lucid` preset adds them.
public protocol ImageTransform {
    /// The shape `forward` produces from `input`.
    func outputShape(for input: TensorShape) -> TensorShape
    func forward(_ x: UnsafePointer<Float>, _ shape: TensorShape, into y: UnsafeMutablePointer<Float>)
    /// The adjoint of `forward` (input shape `shape`): from dLoss/dy to dLoss/dx.
    func adjoint(_ dy: UnsafePointer<Float>, _ shape: TensorShape, into dx: UnsafeMutablePointer<Float>)
}
