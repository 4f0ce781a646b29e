import Foundation
import XCTest

/// Every input the fuzzers kept (Fuzz/corpus-*) replayed through its target by the plain build
/// of the fuzz executables: a parser change that crashes on one of them fails here, in every
/// `swift test`, without a fuzzing build.
final class FuzzCorpusTests: XCTestCase {
    func testEveryCorpusInputStillPassesItsTarget() throws {
        for target in ["rpc", "json", "png", "jpeg"] {
            guard let bin = builtBinary("fvfuzz-\(target)") else { throw XCTSkip("fvfuzz-\(target) is not built") }
            let corpus = repoRoot + "/Fuzz/corpus-\(target)"
            let count = try FileManager.default.contentsOfDirectory(atPath: corpus).count
            XCTAssertGreaterThan(count, 3, "\(target) has a corpus")
            let (status, out, err) = try runProgram(bin, [corpus])
            XCTAssertEqual(status, 0, "\(target): \(err)")
            XCTAssertEqual(out.trimmingCharacters(in: .whitespacesAndNewlines), "replayed \(count) inputs without a crash")
        }
    }
}
