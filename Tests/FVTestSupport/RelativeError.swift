/// Largest |a - b| divided by the largest |b| (the activation scale): the figure every kernel
/// tolerance in fvd's tests is stated in.
public func relativeError(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ count: Int) -> Double {
    var maxDiff = 0.0, scale = 0.0
    for i in 0..<count {
        maxDiff = max(maxDiff, abs(Double(a[i]) - Double(b[i])))
        scale = max(scale, abs(Double(b[i])))
    }
    return scale == 0 ? maxDiff : maxDiff / scale
}

public func relativeError(_ a: [Float], _ b: [Float]) -> Double {
    precondition(a.count == b.count, "comparing arrays of different lengths")
    return a.withUnsafeBufferPointer { x in b.withUnsafeBufferPointer { y in relativeError(x.baseAddress!, y.baseAddress!, a.count) } }
}
