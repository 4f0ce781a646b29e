/// Newline-delimited framing: bytes in, complete lines out, with a hard cap on a line's length.
/// A line over the cap is an error the connection closes on (the rest of it cannot be trusted
/// to be one message).
public struct LineFramer {
    public let maxLine: Int
    var pending: [UInt8] = []

    public init(maxLine: Int) { self.maxLine = maxLine }

    public enum Output: Equatable {
        case line([UInt8])
        case tooLong
    }

    /// Feeds bytes; returns the complete lines they finish (without the newline, CR stripped).
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) -> [Output] {
        var out: [Output] = []
        var start = 0
        for i in 0..<bytes.count where bytes[i] == 0x0A {
            pending.append(contentsOf: bytes[start..<i])
            start = i + 1
            if pending.count > maxLine {
                pending.removeAll()
                return out + [.tooLong]
            }
            if pending.last == 0x0D { pending.removeLast() }
            if !pending.isEmpty { out.append(.line(pending)) }
            pending.removeAll(keepingCapacity: true)
        }
        pending.append(contentsOf: bytes[start...])
        if pending.count > maxLine {
            pending.removeAll()
            out.append(.tooLong)
        }
        return out
    }

    public mutating func feed(_ bytes: [UInt8]) -> [Output] {
        bytes.withUnsafeBytes { feed($0) }
    }

    /// Bytes of an unfinished line held.
    public var pendingCount: Int { pending.count }
}
