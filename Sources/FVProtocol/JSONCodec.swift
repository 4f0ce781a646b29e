import CJSONC

/// The only Swift face of json-c. Parsing is strict (`JSON_TOKENER_STRICT`, UTF-8 validated), must
/// consume the whole text, and is depth-limited; every value is type-checked before it is read
/// (json-c's getters coerce silently). Serialisation is compact, one line, keys sorted.
public enum JSONCodec {
    public struct ParseError: Error, CustomStringConvertible, Equatable {
        public let description: String
    }

    /// Nesting deeper than this is refused: fvd's messages need 4 levels.
    public static let maxDepth = 32

    public static func parse(_ bytes: [UInt8]) throws -> JSON {
        if bytes.contains(0) { throw ParseError(description: "the message contains a NUL byte") }
        let scan = try JSONPreScan.scan(bytes, maxDepth: maxDepth)
        // A trailing space ends a bare top-level number ("5"), which json-c otherwise reports
        // as unfinished; it changes nothing else.
        let bytes = bytes + [0x20]
        guard let tok = json_tokener_new_ex(Int32(maxDepth)) else { throw ParseError(description: "out of memory") }
        defer { json_tokener_free(tok) }
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8)
        let obj: OpaquePointer? = bytes.withUnsafeBufferPointer { buf in
            buf.withMemoryRebound(to: CChar.self) { json_tokener_parse_ex(tok, $0.baseAddress, Int32($0.count)) }
        }
        defer { if let obj { json_object_put(obj) } }
        let err = json_tokener_get_error(tok)
        if err == json_tokener_continue {
            throw ParseError(description: "the JSON text ends in the middle of a value")
        }
        guard err == json_tokener_success else {
            throw ParseError(description: String(cString: json_tokener_error_desc(err)))
        }
        guard json_tokener_get_parse_end(tok) == bytes.count || bytes[json_tokener_get_parse_end(tok)...].allSatisfy(isSpace) else {
            throw ParseError(description: "unexpected text after the JSON value")
        }
        var numbers = scan.numbers[...]
        return try convert(obj, &numbers)
    }

    public static func parse(_ text: String) throws -> JSON { try parse(Array(text.utf8)) }

    static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D }

    /// `numbers` holds the text of every number not yet met, in document order (json-c keeps
    /// members in insertion order, so a depth-first walk meets them in that order too).
    static func convert(_ obj: OpaquePointer?, _ numbers: inout ArraySlice<ArraySlice<UInt8>>) throws -> JSON {
        guard let obj else { return .null }
        switch json_object_get_type(obj) {
        case json_type_null: return .null
        case json_type_boolean: return .bool(json_object_get_boolean(obj) != 0)
        case json_type_int:
            // json-c clamps integers beyond Int64 (2^64 reads as INT64_MAX): keep the text instead,
            // so such a value is neither mistaken for another number nor echoed as one.
            let text = String(decoding: numbers.popFirst() ?? [], as: UTF8.self)
            if let v = Int64(text) { return .int(v) }
            guard !text.isEmpty, text.utf8.allSatisfy({ $0 == 0x2D || (0x30...0x39).contains($0) }) else {
                throw ParseError(description: "number \(text) is out of range")
            }
            return .bigInteger(text)
        case json_type_double:
            _ = numbers.popFirst()
            let d = json_object_get_double(obj)
            guard d.isFinite else { throw ParseError(description: "number out of range") }
            return .double(d)
        case json_type_string:
            let n = Int(json_object_get_string_len(obj))
            let p = json_object_get_string(obj)!
            let bytes = UnsafeRawBufferPointer(start: p, count: n)
            if bytes.contains(0) { throw ParseError(description: "a string contains a NUL character") }
            return .string(String(decoding: bytes, as: UTF8.self))
        case json_type_array:
            let n = json_object_array_length(obj)
            var out: [JSON] = []
            out.reserveCapacity(n)
            for i in 0..<n { out.append(try convert(json_object_array_get_idx(obj, i), &numbers)) }
            return .array(out)
        case json_type_object:
            var out: [String: JSON] = [:]
            var it = json_object_iter_begin(obj)
            var end = json_object_iter_end(obj)
            while json_object_iter_equal(&it, &end) == 0 {
                let key = String(cString: json_object_iter_peek_name(&it))
                out[key] = try convert(json_object_iter_peek_value(&it), &numbers)
                json_object_iter_next(&it)
            }
            return .object(out)
        default:
            throw ParseError(description: "unsupported JSON value")
        }
    }

    /// One line of compact JSON (no newline), keys in sorted order.
    public static func serialize(_ value: JSON) -> String {
        let obj = build(value)
        defer { json_object_put(obj) }
        let flags = JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE
        return String(cString: json_object_to_json_string_ext(obj, flags))
    }

    static func build(_ v: JSON) -> OpaquePointer? {
        switch v {
        case .null: return nil
        case .bool(let b): return json_object_new_boolean(b ? 1 : 0)
        case .int(let i): return json_object_new_int64(i)
        case .bigInteger(let text): return json_object_new_double_s(0, text)  // written out as the text
        case .double(let d):
            guard d.isFinite else { return nil }
            // Shortest text that reads back to the same double.
            return json_object_new_double_s(d, "\(d)")
        case .string(let s):
            var s = s
            return s.withUTF8 { b in b.withMemoryRebound(to: CChar.self) { json_object_new_string_len($0.baseAddress, Int32($0.count)) } }
        case .array(let a):
            let arr = json_object_new_array_ext(Int32(a.count))
            for e in a { json_object_array_add(arr, build(e)) }
            return arr
        case .object(let o):
            let obj = json_object_new_object()
            for k in o.keys.sorted() { json_object_object_add(obj, k, build(o[k]!)) }
            return obj
        }
    }
}
