import FVFuzzTargets

/// The main of a plain build: replays the files named on the command line through the target.
/// SwiftPM links an executable module's entry point under the name `fvfuzz_jpeg_main` (an alias
/// of `main`); this module has no main file (two files, neither of them main.swift), so that
/// entry point is this function. A fuzzing build (Fuzz/run-fuzz.sh) makes no such alias and
/// libFuzzer's own main drives `LLVMFuzzerTestOneInput` instead.
@_cdecl("fvfuzz_jpeg_main")
public func replay(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    FuzzHarness.replay(argc: argc, argv: argv, through: JPEGBytes.exercise)
}
