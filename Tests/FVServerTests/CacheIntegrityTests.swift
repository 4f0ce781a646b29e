import FVProtocol
import Foundation
import XCTest

/// The result cache on disk may be damaged (a bad disk, a half-written file after a crash, a
/// meddling user with access to it): fvd must not serve a damaged entry as a success forever.
final class CacheIntegrityTests: XCTestCase {
    func cacheFiles(_ d: TestDaemon) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: d.dir + "/cache").filter { $0.hasSuffix(".json") }.map { d.dir + "/cache/" + $0 }
    }

    func testADamagedEntryIsDroppedAndComputedAgain() throws {
        let d = try TestDaemon()
        defer { d.stop() }
        let params = smallPattern(5, steps: 3)
        let first = try d.client().call("pattern", params)
        let entry = try XCTUnwrap(try cacheFiles(d).first)
        // Damage the image inside while keeping the file valid JSON: one base64 character.
        var text = try String(contentsOfFile: entry, encoding: .utf8)
        let png = try XCTUnwrap(first["png"]?.stringValue)
        let i = png.index(png.startIndex, offsetBy: 40)
        let flipped = png.replacingCharacters(in: i...i, with: png[i] == "A" ? "B" : "A")
        XCTAssertTrue(text.contains(png))
        text = text.replacingOccurrences(of: png, with: flipped)
        try text.write(toFile: entry, atomically: false, encoding: .utf8)

        let second = try d.client().call("pattern", params)
        XCTAssertEqual(second["cached"], false, "the damaged entry was not served")
        XCTAssertEqual(second["png"], first["png"], "it was computed again, correctly")
        XCTAssertEqual(try d.client().call("pattern", params)["cached"], true, "and cached again")

        // Not JSON at all (a torn write): the same.
        try Data("{\"key\":\"pat".utf8).write(to: URL(fileURLWithPath: entry))
        let third = try d.client().call("pattern", params)
        XCTAssertEqual(third["cached"], false)
        XCTAssertEqual(third["png"], first["png"])
    }

    func testStaleTemporaryFilesAreRemovedAtStartUp() throws {
        let cache = NSTemporaryDirectory() + "fvd-cache-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: cache) }
        let stale = cache + "/0123456789abcdef.json.tmp4242"
        FileManager.default.createFile(atPath: stale, contents: Data(repeating: 1, count: 4096))
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-3600)], ofItemAtPath: stale)
        let fresh = cache + "/fedcba9876543210.json.tmp4243"
        FileManager.default.createFile(atPath: fresh, contents: Data(repeating: 1, count: 16))
        let d = try TestDaemon { $0.cacheDirectory = cache }
        defer { d.stop() }
        XCTAssertFalse(FileManager.default.fileExists(atPath: stale), "an hour-old temporary file is gone")
        XCTAssertTrue(FileManager.default.fileExists(atPath: fresh), "one being written right now (by another daemon) is left alone")
    }
}
