import FVFuzzTargets

/// libFuzzer's entry point (Fuzz/run-fuzz.sh).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    JPEGBytes.exercise(UnsafeBufferPointer(start: data, count: size))
    return 0
}
