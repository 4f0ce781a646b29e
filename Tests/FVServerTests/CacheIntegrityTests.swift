import FVImage
import FVProtocol
@testable import FVServer
import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#endif

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

    /// Two keys whose entry files have one name (forced here; SHA-256 makes it infeasible) never
    /// get each other's result: the key stored inside is compared, and a mismatch is a miss.
    func testTwoKeysSharingAnEntryFileEachGetOnlyTheirOwnResult() throws {
        let saved = ResultCache.fileNameHash
        ResultCache.fileNameHash = { _ in "same-file-for-every-key" }
        defer { ResultCache.fileNameHash = saved }
        let d = try TestDaemon()
        defer { d.stop() }
        let a = try d.client().call("pattern", smallPattern(5, steps: 3))
        let b = try d.client().call("pattern", smallPattern(6, steps: 3))
        XCTAssertEqual(try cacheFiles(d).count, 1, "both went to one file")
        XCTAssertNotEqual(a["png"], b["png"])
        let again = try d.client().call("pattern", smallPattern(5, steps: 3))
        XCTAssertEqual(again["cached"], false, "the file holds the other key's result: a miss, not a wrong answer")
        XCTAssertEqual(again["png"], a["png"])
    }

    /// Red team round 3, items 5 and 6: the cache directory is the daemon's alone, and what the
    /// index in memory says (entries, bytes) is what is on disk, through stores and evictions.
    func testTheCacheIsPrivateAndItsIndexMatchesTheDisk() throws {
        let cache = NSTemporaryDirectory() + "fvd-cache-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        defer { try? FileManager.default.removeItem(atPath: cache) }
        let d = try TestDaemon {
            $0.cacheDirectory = cache
            $0.cacheMaxBytes = 60_000
        }
        defer { d.stop() }
        var st = stat()
        XCTAssertEqual(stat(cache, &st), 0)
        XCTAssertEqual(st.st_mode & 0o777, 0o700, "an existing cache left open to others is closed")
        for f in 0..<12 { _ = try d.client().call("pattern", smallPattern(f, steps: 2, size: 48)) }
        let s = try d.client().call("status")["cache"]
        let files = try FileManager.default.contentsOfDirectory(atPath: cache).filter { $0.hasSuffix(".json") }
        let bytes = try files.reduce(0) { $0 + ((try FileManager.default.attributesOfItem(atPath: cache + "/" + $1)[.size] as? NSNumber)?.intValue ?? 0) }
        XCTAssertEqual(s?["entries"]?.intValue, Int64(files.count))
        XCTAssertEqual(s?["bytes"]?.intValue, Int64(bytes))
        XCTAssertLessThanOrEqual(bytes, 60_000, "evicted down to the cap")
        XCTAssertLessThan(files.count, 12, "some entries were evicted")
    }

    /// Red team round 3, item 6, and the second pass's cache keys: a dream of a user's photo is
    /// that user's. Another user sending the same bytes computes their own (no `cached: true`
    /// that would tell them the first user dreamed it), and the photo is named by SHA-256.
    func testADreamIsCachedForItsOwnUserOnly() throws {
        guard canSwitchUsers, let fvctl = builtBinary("fvctl") else { throw XCTSkip("needs root, setpriv and fvctl") }
        let d = try TestDaemon { $0.socketMode = 0o666 }
        defer { d.stop() }
        chmod(d.dir, 0o755)
        let photo = d.dir + "/photo.png"
        var rng = SystemRandomNumberGenerator()
        let img = RGBImage(width: 32, height: 32, pixels: (0..<(32 * 32 * 3)).map { _ in UInt8.random(in: 0...255, using: &rng) })
        try Data(try PNGCodec.encode(img)).write(to: URL(fileURLWithPath: photo))
        chmod(photo, 0o644)
        func dream(as uid: Int) throws -> String {
            let args = ["dream", photo, "block2_conv1", "--steps", "2", "--octaves", "1", "-o", "/dev/null", "--socket", d.socketPath]
            let (s, o, e) = uid == 0 ? try runProgram(fvctl, args) : try runAs(uid, fvctl, args)
            XCTAssertEqual(s, 0, o + e)
            return e
        }
        XCTAssertFalse(try dream(as: 0).contains("(cached)"))
        XCTAssertTrue(try dream(as: 0).contains("(cached)"), "the same user's second dream is a cache hit")
        XCTAssertFalse(try dream(as: 65534).contains("(cached)"), "another user's same photo is not answered from the first user's cache")
        XCTAssertTrue(try dream(as: 65534).contains("(cached)"), "but from their own")
        let keys = try FileManager.default.contentsOfDirectory(atPath: d.dir + "/cache").compactMap {
            try? String(contentsOfFile: d.dir + "/cache/" + $0, encoding: .utf8)
        }
        let sha = ContentDigest.sha256([UInt8](try Data(contentsOf: URL(fileURLWithPath: photo))))
        XCTAssertEqual(keys.filter { $0.contains("photo sha256 \(sha)") }.count, 2, "one entry per user, the photo named by its SHA-256")
    }
}
