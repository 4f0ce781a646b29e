/// What json-c does not check, checked on the raw text before json-c sees it:
/// - UTF-8 strictly by RFC 3629: json-c's validator lets overlong forms (`C0 AF`) and encoded
///   surrogates (`ED A0 80`) through, and those can smuggle a `/` or `"` past a byte-level check;
/// - every string's escapes: a `\u` surrogate must come in a valid high-low pair, and no string
///   may contain NUL (json-c keeps `"job\u0000x"` whole, but hands keys to C as `"job"`);
/// - keys repeated within one object, compared *after* unescaping (`"id"` and `"i\u0064"` are
///   the same key; json-c silently keeps the last, so which one counts would be ambiguous);
/// - single-quoted strings (json-c accepts them even in strict mode);
/// - nesting depth, refused before any structure is built.
/// It also records every number exactly as written, in document order, so a value json-c would
/// clamp (an id of 2^64) can be echoed as sent.
struct JSONPreScan {
    /// Each number's text, in the order a depth-first walk of the parsed value meets them.
    private(set) var numbers: [ArraySlice<UInt8>] = []
    private let b: [UInt8]
    private var i = 0

    typealias ParseError = JSONCodec.ParseError

    static func scan(_ bytes: [UInt8], maxDepth: Int) throws -> JSONPreScan {
        try validateUTF8(bytes)
        var s = JSONPreScan(b: bytes)
        try s.walk(maxDepth: maxDepth)
        return s
    }

    private init(b: [UInt8]) { self.b = b }

    private mutating func walk(maxDepth: Int) throws {
        var objects: [Set<[UInt8]>?] = []  // one entry per open bracket; nil for arrays
        var expectKey = false
        while i < b.count {
            switch b[i] {
            case 0x22:  // "
                // Only a key's bytes are kept (to compare); a value (a 1 MiB image) is only checked.
                let isKey = expectKey && objects.last.map { $0 != nil } == true
                let text = try readString(keep: isKey)
                if isKey, let last = objects.indices.last {
                    if !objects[last]!.insert(text).inserted {
                        throw ParseError(description: "duplicate key \"\(String(decoding: text, as: UTF8.self))\" in an object; give each member once")
                    }
                    expectKey = false
                }
                continue  // readString moved past the closing quote
            case 0x27:
                throw ParseError(description: "single-quoted strings are not JSON; use double quotes")
            case 0x7B:  // {
                objects.append([])
                expectKey = true
            case 0x5B:  // [
                objects.append(nil)
                expectKey = false
            case 0x7D, 0x5D:  // } ]
                if !objects.isEmpty { objects.removeLast() }
                expectKey = false
            case 0x2C:  // ,
                expectKey = objects.last.map { $0 != nil } ?? false
            case 0x2D, 0x30...0x39:  // - and digits start a number
                let start = i
                while i < b.count, JSONPreScan.isNumberByte(b[i]) { i += 1 }
                guard JSONPreScan.isJSONNumber(b[start..<i]) else {
                    throw ParseError(description: "\(String(decoding: b[start..<i], as: UTF8.self)) is not a JSON number (RFC 8259: no leading zeros, digits on both sides of the point, e.g. 0.5, 10, 1.0e5)")
                }
                numbers.append(b[start..<i])
                continue
            default:
                break
            }
            if objects.count > maxDepth {
                throw ParseError(description: "nesting deeper than \(maxDepth) levels")
            }
            i += 1
        }
    }

    /// RFC 8259's number: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`. json-c also
    /// takes `00`, `1.` and `1.e5`, which no other JSON parser a client uses would write or read.
    static func isJSONNumber(_ t: ArraySlice<UInt8>) -> Bool {
        var k = t.startIndex
        func digits() -> Int {
            let from = k
            while k < t.endIndex, (0x30...0x39).contains(t[k]) { k += 1 }
            return k - from
        }
        if k < t.endIndex, t[k] == 0x2D { k += 1 }
        guard k < t.endIndex else { return false }
        if t[k] == 0x30 {
            k += 1
        } else if digits() == 0 {
            return false
        }
        if k < t.endIndex, t[k] == 0x2E {
            k += 1
            guard digits() > 0 else { return false }
        }
        if k < t.endIndex, t[k] == 0x45 || t[k] == 0x65 {
            k += 1
            if k < t.endIndex, t[k] == 0x2B || t[k] == 0x2D { k += 1 }
            guard digits() > 0 else { return false }
        }
        return k == t.endIndex
    }

    static func isNumberByte(_ c: UInt8) -> Bool {
        (0x30...0x39).contains(c) || c == 0x2D || c == 0x2B || c == 0x2E || c == 0x45 || c == 0x65
    }

    /// Reads the string starting at the quote at `i`, checks its escapes, and leaves `i` after the
    /// closing quote; returns its unescaped UTF-8 bytes when `keep` (else nothing). An
    /// unterminated string stops at the end (json-c reports it).
    private mutating func readString(keep: Bool) throws -> [UInt8] {
        var out: [UInt8] = []
        i += 1
        while i < b.count && b[i] != 0x22 {
            guard b[i] == 0x5C else {
                if keep { out.append(b[i]) }
                i += 1
                continue
            }
            guard i + 1 < b.count else { break }
            let e = b[i + 1]
            i += 2
            switch e {
            case 0x75:  // \uXXXX
                guard let unit = hex4(at: i) else { return out }  // json-c reports the bad escape
                i += 4
                var scalar = UInt32(unit)
                if (0xD800...0xDBFF).contains(unit) {
                    guard i + 6 <= b.count, b[i] == 0x5C, b[i + 1] == 0x75, let low = hex4(at: i + 2), (0xDC00...0xDFFF).contains(low) else {
                        throw ParseError(description: "a \\u escape encodes half of a surrogate pair; escape characters above U+FFFF as a high-low pair")
                    }
                    i += 6
                    scalar = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
                } else if (0xDC00...0xDFFF).contains(unit) {
                    throw ParseError(description: "a \\u escape encodes half of a surrogate pair; escape characters above U+FFFF as a high-low pair")
                }
                if scalar == 0 { throw ParseError(description: "a string contains a NUL character (\\u0000)") }
                if keep { out.append(contentsOf: Array(String(Character(Unicode.Scalar(scalar)!)).utf8)) }
            case 0x62: if keep { out.append(0x08) }
            case 0x66: if keep { out.append(0x0C) }
            case 0x6E: if keep { out.append(0x0A) }
            case 0x72: if keep { out.append(0x0D) }
            case 0x74: if keep { out.append(0x09) }
            default: if keep { out.append(e) }  // \" \\ \/ (anything else json-c refuses)
            }
        }
        i += 1
        return out
    }

    private func hex4(at k: Int) -> UInt16? {
        guard k + 4 <= b.count else { return nil }
        var v: UInt16 = 0
        for c in b[k..<(k + 4)] {
            let d: UInt16
            switch c {
            case 0x30...0x39: d = UInt16(c - 0x30)
            case 0x41...0x46: d = UInt16(c - 0x41 + 10)
            case 0x61...0x66: d = UInt16(c - 0x61 + 10)
            default: return nil
            }
            v = v << 4 | d
        }
        return v
    }

    /// RFC 3629 UTF-8: shortest forms only, no surrogates (U+D800...U+DFFF), nothing above
    /// U+10FFFF. (Table 3-7 of the Unicode standard, byte by byte.)
    static func validateUTF8(_ b: [UInt8]) throws {
        var i = 0
        func bad() -> ParseError {
            ParseError(description: "invalid UTF-8 at byte \(i) (overlong, surrogate or malformed sequence); send UTF-8 text")
        }
        while i < b.count {
            let c = b[i]
            if c < 0x80 {
                i += 1
                continue
            }
            let n: Int
            var lo: UInt8 = 0x80, hi: UInt8 = 0xBF
            switch c {
            case 0xC2...0xDF: n = 1
            case 0xE0: n = 2; lo = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: n = 2
            case 0xED: n = 2; hi = 0x9F
            case 0xF0: n = 3; lo = 0x90
            case 0xF1...0xF3: n = 3
            case 0xF4: n = 3; hi = 0x8F
            default: throw bad()
            }
            guard i + n < b.count, (lo...hi).contains(b[i + 1]) else { throw bad() }
            for k in stride(from: 2, through: n, by: 1) where !(0x80...0xBF).contains(b[i + k]) { throw bad() }
            i += n + 1
        }
    }
}
