import FVProtocol
import XCTest

final class JSONCodecTests: XCTestCase {
    func testRoundTripKeepsTypesAndValues() throws {
        let v: JSON = ["a": 1, "b": [true, false, nil], "c": "x\"y\\z\n\u{e9}", "d": 0.1, "e": -9_007_199_254_740_993, "f": ["g": []]]
        let text = JSONCodec.serialize(v)
        XCTAssertFalse(text.contains("\n"), "one line: \(text)")
        XCTAssertEqual(try JSONCodec.parse(text), v)
        XCTAssertEqual(JSONCodec.serialize(["b": 1, "a": 2]), #"{"a":2,"b":1}"#, "keys sorted, compact")
        XCTAssertEqual(JSONCodec.serialize(["path": "/a/b"]), #"{"path":"/a/b"}"#, "slashes not escaped")
    }

    func testStrictParsingRefusesWhatLenientJsonCAccepts() {
        let bad = [
            "{'a': 1}",            // single quotes
            "{\"a\": 1,}",         // trailing comma
            "[1, 2] x",            // trailing text
            "{\"a\": NaN}",        // not JSON
            "{\"a\": Infinity}",
            "[1, 2",               // unterminated
            "",                    // nothing
            "{\"a\": 01}",         // leading zero
            "/* c */ {}",          // comments
            "{\"a\": 1e999}",      // overflows to infinity
        ]
        for s in bad {
            XCTAssertThrowsError(try JSONCodec.parse(s), "accepted \(s)")
        }
    }

    func testDepthLimitInvalidUTF8AndNUL() {
        let deep = String(repeating: "[", count: 40) + String(repeating: "]", count: 40)
        XCTAssertThrowsError(try JSONCodec.parse(deep))
        let ok = String(repeating: "[", count: 20) + String(repeating: "]", count: 20)
        XCTAssertNoThrow(try JSONCodec.parse(ok))
        XCTAssertThrowsError(try JSONCodec.parse([0x22, 0xff, 0xfe, 0x22]), "invalid UTF-8")
        XCTAssertThrowsError(try JSONCodec.parse(Array("{\"a\":1}".utf8) + [0]), "raw NUL")
        XCTAssertThrowsError(try JSONCodec.parse(#"{"a":"x\u0000y"}"#), "escaped NUL inside a string")
    }

    func testDuplicateKeysAreRefusedAtAnyDepth() {
        XCTAssertThrowsError(try JSONCodec.parse(#"{"a":1,"a":2}"#)) {
            XCTAssertEqual("\($0)", #"duplicate key "a" in an object; give each member once"#)
        }
        XCTAssertThrowsError(try JSONCodec.parse(#"{"p":{"x":[{"k":1,"k":1}]}}"#))
        XCTAssertNoThrow(try JSONCodec.parse(#"[{"a":1},{"a":2}]"#), "same key in sibling objects is fine")
        XCTAssertNoThrow(try JSONCodec.parse(#"{"a":{"a":{"a":"a"}},"b":"a"}"#), "values and nested keys are not duplicates")
        XCTAssertNoThrow(try JSONCodec.parse(#"{"a\"b":1,"a":2}"#), "escaped quotes inside keys")
    }

    func testHugeIntegersAreNotSilentlyClamped() throws {
        // json-c clamps 2^64 to INT64_MAX; fvd must not pass that on as if it were the value.
        let v = try JSONCodec.parse("[18446744073709551616, 9223372036854775807]")
        XCTAssertEqual(v.arrayValue?[1], .int(Int64.max))
        XCTAssertNotEqual(v.arrayValue?[0], .int(Int64.max))
        XCTAssertNil(v.arrayValue?[0].intValue, "2^64 is not a usable integer")
    }
}
