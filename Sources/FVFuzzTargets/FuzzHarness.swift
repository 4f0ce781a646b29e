import Foundation

/// What each fuzz executable (`Sources/fvfuzz-*`) shares. Built for fuzzing
/// (`Fuzz/run-fuzz.sh`), libFuzzer's main drives the executable's `LLVMFuzzerTestOneInput`.
/// Built plainly (every `swift build`), its main (`Replay.swift`) replays the files it is
/// given through the same target, so a crash the fuzzer found can be rerun and debugged
/// without the fuzzing build.
public enum FuzzHarness {
    /// Runs each file named on the command line (or each file in a named directory) through
    /// `target`; the exit status.
    public static func replay(argc: CInt, argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>,
                              through target: (UnsafeBufferPointer<UInt8>) -> Void) -> CInt {
        let arguments = (1..<Int(argc)).compactMap { argv[$0].map { String(cString: $0) } }
        guard !arguments.isEmpty else {
            print("usage: fvfuzz-TARGET FILE_OR_DIRECTORY...  (replays inputs; Fuzz/run-fuzz.sh fuzzes)")
            return 64
        }
        var count = 0
        for arg in arguments {
            var isDir: ObjCBool = false
            guard FileManager.default.fileExists(atPath: arg, isDirectory: &isDir) else {
                print("no such file: \(arg)")
                return 66
            }
            let files = isDir.boolValue ? ((try? FileManager.default.contentsOfDirectory(atPath: arg)) ?? []).sorted().map { arg + "/" + $0 } : [arg]
            for f in files {
                guard let data = FileManager.default.contents(atPath: f) else { continue }
                [UInt8](data).withUnsafeBufferPointer { target($0) }
                count += 1
            }
        }
        print("replayed \(count) inputs without a crash")
        return 0
    }
}
