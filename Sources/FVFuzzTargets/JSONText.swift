import FVProtocol

/// The JSON parser alone (the strict pre-scan and json-c): any bytes either parse, and then
/// serialize to text that parses back to the same value, or are refused with an error.
public enum JSONText {
    public static func exercise(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let value = try? JSONCodec.parse(Array(bytes.prefix(1 << 16))) else { return }
        let text = JSONCodec.serialize(value)
        guard let again = try? JSONCodec.parse(text) else { preconditionFailure("serializer produced unparsable JSON: \(text)") }
        precondition(again == value || containsDouble(value), "round trip changed the value: \(text)")
    }

    /// Doubles may print shorter (1.50 -> 1.5) but must still parse; other values must round-trip exactly.
    static func containsDouble(_ v: JSON) -> Bool {
        switch v {
        case .double: return true
        case .array(let a): return a.contains(where: containsDouble)
        case .object(let o): return o.values.contains(where: containsDouble)
        default: return false
        }
    }
}
