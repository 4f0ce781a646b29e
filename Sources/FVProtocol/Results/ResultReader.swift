/// Reads a result object with type checks, for clients: a member missing or of the wrong type
/// means the daemon and the client disagree about the protocol, and says so.
public struct ResultReader {
    public struct Mismatch: Error, CustomStringConvertible, Equatable {
        public let description: String
    }

    let members: [String: JSON]
    let what: String

    public init(_ json: JSON, _ what: String) throws {
        guard case .object(let o) = json else {
            throw Mismatch(description: "the daemon's \(what) is \(json.typeName), not an object; is fvd the same version as this client?")
        }
        members = o
        self.what = what
    }

    func missing(_ key: String, _ type: String) -> Mismatch {
        Mismatch(description: "the daemon's \(what) has no \(type) \"\(key)\"; is fvd the same version as this client?")
    }

    public func int(_ key: String) throws -> Int {
        guard let v = members[key]?.intValue else { throw missing(key, "integer") }
        return Int(v)
    }

    public func double(_ key: String) throws -> Double {
        guard let v = members[key]?.doubleValue else { throw missing(key, "number") }
        return v
    }

    public func float(_ key: String) throws -> Float { Float(try double(key)) }

    public func string(_ key: String) throws -> String {
        guard let v = members[key]?.stringValue else { throw missing(key, "string") }
        return v
    }

    public func bool(_ key: String) throws -> Bool {
        guard let v = members[key]?.boolValue else { throw missing(key, "boolean") }
        return v
    }

    public func optionalString(_ key: String) -> String? { members[key]?.stringValue }
    public func optionalDouble(_ key: String) -> Double? { members[key]?.doubleValue }
    public func optionalInt(_ key: String) -> Int? { members[key]?.intValue.map { Int($0) } }

    public func array(_ key: String) throws -> [JSON] {
        guard let v = members[key]?.arrayValue else { throw missing(key, "array") }
        return v
    }

    /// An array of numbers; absent reads as empty (results from before it existed).
    public func floats(_ key: String) throws -> [Float] {
        guard let v = members[key] else { return [] }
        guard let a = v.arrayValue else { throw missing(key, "array of numbers") }
        return try a.map { x in
            guard let d = x.doubleValue else { throw missing(key, "array of numbers") }
            return Float(d)
        }
    }

    public func optionalArray(_ key: String) throws -> [JSON]? {
        guard let v = members[key] else { return nil }
        guard let a = v.arrayValue else { throw missing(key, "array") }
        return a
    }

    public func optionalObject(_ key: String) -> JSON? {
        guard let v = members[key], case .object = v else { return nil }
        return v
    }

    public func object(_ key: String) throws -> ResultReader {
        guard let v = members[key] else { throw missing(key, "object") }
        return try ResultReader(v, "\(what)'s \(key)")
    }

    /// Base64 bytes (an image).
    public func bytes(_ key: String) throws -> [UInt8] {
        guard let s = members[key]?.stringValue, let d = Base64.decode(s) else { throw missing(key, "base64 string") }
        return d
    }
}
