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
            "[00]", "[1.]", "[1.e5]", "[-]", "[.5]", "[1e]", "[+1]", "[-01]", "[1.5e+]",  // not RFC 8259 numbers (json-c took the first three)
        ]
        for s in bad {
            XCTAssertThrowsError(try JSONCodec.parse(s), "accepted \(s)")
        }
    }

    func testEveryRFC8259NumberFormIsAccepted() throws {
        for n in ["0", "-0", "10", "0.5", "-1.25", "1e5", "1E+5", "2.5e-3", "123456789"] {
            XCTAssertNoThrow(try JSONCodec.parse("[\(n)]"), n)
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

    /// Keys are compared as the parser will read them, after unescaping.
    func testDuplicateKeysAreFoundAfterUnescaping() {
        XCTAssertThrowsError(try JSONCodec.parse(#"{"id":1,"i\u0064":2}"#)) {
            XCTAssertTrue("\($0)".contains("duplicate key \"id\""), "\($0)")
        }
        XCTAssertThrowsError(try JSONCodec.parse(#"{"a\/b":1,"a/b":2}"#), "\\/ is /")
        XCTAssertThrowsError(try JSONCodec.parse(#"{"\u00e9":1,"\u00E9":2}"#), "hex digits in either case")
        XCTAssertThrowsError(try JSONCodec.parse("{\"\u{e9}\":1,\"\\u00e9\":2}"), "raw and escaped forms of one character")
    }

    func testNULInAKeyIsRefused() {
        // json-c would hand "job\u0000x" to C as "job": a request could act on a key it did not name.
        XCTAssertThrowsError(try JSONCodec.parse(#"{"job\u0000x":1}"#))
        XCTAssertThrowsError(try JSONCodec.parse(#"{"params":{"job\u0000":5}}"#))
    }

    func testEveryInvalidUTF8FormIsRefused() {
        let forms: [(String, [UInt8])] = [
            ("overlong slash", [0xC0, 0xAF]),
            ("overlong 2-byte", [0xC1, 0xBF]),
            ("overlong 3-byte", [0xE0, 0x80, 0xAF]),
            ("overlong 4-byte", [0xF0, 0x80, 0x80, 0xAF]),
            ("encoded high surrogate", [0xED, 0xA0, 0x80]),
            ("encoded low surrogate", [0xED, 0xBF, 0xBF]),
            ("above U+10FFFF", [0xF4, 0x90, 0x80, 0x80]),
            ("F5 lead byte", [0xF5, 0x80, 0x80, 0x80]),
            ("lone continuation", [0x80]),
            ("truncated sequence", [0xE2, 0x82]),
        ]
        for (label, bytes) in forms {
            XCTAssertThrowsError(try JSONCodec.parse([0x22] + bytes + [0x22]), label)
            XCTAssertThrowsError(try JSONCodec.parse(Array(#"{""#.utf8) + bytes + Array(#"":1}"#.utf8)), "\(label) in a key")
        }
        XCTAssertThrowsError(try JSONCodec.parse(#""\ud800""#), "lone high surrogate escape")
        XCTAssertThrowsError(try JSONCodec.parse(#""\udc00x""#), "lone low surrogate escape")
        XCTAssertThrowsError(try JSONCodec.parse(#""\ud800\u0041""#), "high surrogate without its low half")
        XCTAssertEqual(try JSONCodec.parse(#""\ud83d\ude00""#), .string("\u{1F600}"), "a valid pair is fine")
        XCTAssertEqual(try JSONCodec.parse([0x22, 0xF0, 0x9F, 0x98, 0x80, 0xE2, 0x82, 0xAC, 0x22]), .string("\u{1F600}\u{20AC}"))
    }

    func testIntegersBeyondInt64AreKeptExactly() throws {
        for text in ["9223372036854775808", "18446744073709551616", "-9223372036854775809", "100000000000000000000000000000"] {
            let v = try JSONCodec.parse("[\(text)]")
            XCTAssertEqual(v.arrayValue?[0], .bigInteger(text))
            XCTAssertNil(v.arrayValue?[0].intValue)
            XCTAssertEqual(JSONCodec.serialize(v), "[\(text)]", "written back exactly as sent")
        }
    }
}
