/// What a kernel does to each value it writes, after the bias: the ReLU step that belongs to
/// the layer whose output (or output gradient) it is writing, done as the value is stored
/// rather than in a pass of its own over the whole tensor.
public enum OutputReLU {
    /// Store the value as it is.
    case none
    /// The forward ReLU: max(v, 0), recording in the mask which values were positive
    /// (`ReLU.maskBits`, one bit per element).
    case record(UnsafeMutablePointer<UInt8>)
    /// The backward ReLU of the layer this is the output gradient of: zero wherever its mask
    /// says the forward value was not positive. The same bits as `ReLU.backward` afterwards,
    /// without its read and write of the whole gradient (4% of a seed-job step at 150 px).
    case apply(UnsafePointer<UInt8>)

    /// `v`, element `e` of the output (a multiple of 8: eight channels of one pixel), through
    /// this step.
    @inline(__always)
    func store(_ v: SIMD8<Float>, element e: Int) -> SIMD8<Float> {
        switch self {
        case .none:
            return v
        case .record(let mask):
            mask[e / 8] = ReLU.maskBits(v)
            return ReLU.relu(v)
        case .apply(let mask):
            return ReLU.applyMask(v, mask[e / 8])
        }
    }
}
