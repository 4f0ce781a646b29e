/// Which kernels a network runs: the plain reference loops (the oracle, slow) or the SIMD8
/// Winograd/direct kernels (the product). Both compute the same function to within float error.
public enum KernelBackend: String, CaseIterable, Sendable {
    case reference
    case simd
}
