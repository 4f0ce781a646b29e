import FVFuzzTargets

/// libFuzzer's entry point: every input goes through everything that parses client bytes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    ClientBytes.exercise(UnsafeBufferPointer(start: data, count: size))
    return 0
}
