/// Reads a method's named params with exact type checks, so `"filter": "27"` or `"size": 1e9`
/// becomes an invalid-params error naming the member, never a silent coercion. Unknown members
/// are refused too (a typo like "filer" would otherwise be ignored).
public struct ParamReader {
    let members: [String: JSON]
    let method: String

    public init(_ params: JSON?, method: String, allowed: [String]) throws {
        self.method = method
        switch params {
        case nil: members = [:]
        case .object(let o)?: members = o
        case .array?: throw RPCError.invalidParams("\(method) takes named params (an object), not an array")
        default: throw RPCError.invalidParams("params must be an object")
        }
        if let bad = members.keys.sorted().first(where: { !allowed.contains($0) }) {
            throw RPCError.invalidParams("\(method) has no param \"\(bad)\"; its params are: \(allowed.joined(separator: ", "))")
        }
    }

    func typeError(_ key: String, _ want: String, _ got: JSON) -> RPCError {
        .invalidParams("param \"\(key)\" must be \(want), got \(got.typeName)")
    }

    public func string(_ key: String) throws -> String? {
        guard let v = members[key], v != .null else { return nil }
        guard let s = v.stringValue else { throw typeError(key, "a string", v) }
        return s
    }

    public func requiredString(_ key: String) throws -> String {
        guard let s = try string(key) else { throw RPCError.invalidParams("\(method) needs param \"\(key)\"") }
        return s
    }

    /// An integer within `range` (the range keeps huge numbers out before any arithmetic).
    public func int(_ key: String, in range: ClosedRange<Int64>) throws -> Int? {
        guard let v = members[key], v != .null else { return nil }
        guard let i = v.intValue else { throw typeError(key, "an integer", v) }
        guard range.contains(i) else {
            throw RPCError.invalidParams("param \"\(key)\" is \(i); it must be in \(range.lowerBound)...\(range.upperBound)")
        }
        return Int(i)
    }

    public func requiredInt(_ key: String, in range: ClosedRange<Int64>) throws -> Int {
        guard let i = try int(key, in: range) else { throw RPCError.invalidParams("\(method) needs param \"\(key)\"") }
        return i
    }

    /// A finite number. An explicit null is refused too: it is what a client's NaN or infinity
    /// turns into on the way to JSON, and must not silently become the default.
    public func double(_ key: String) throws -> Double? {
        guard let v = members[key] else { return nil }
        guard let d = v.doubleValue, d.isFinite else { throw typeError(key, "a finite number", v) }
        return d
    }

    public func bool(_ key: String) throws -> Bool? {
        guard let v = members[key], v != .null else { return nil }
        guard let b = v.boolValue else { throw typeError(key, "true or false", v) }
        return b
    }

    public func intArray(_ key: String, in range: ClosedRange<Int64>, maxCount: Int) throws -> [Int]? {
        guard let v = members[key], v != .null else { return nil }
        guard let a = v.arrayValue else { throw typeError(key, "an array of integers", v) }
        guard a.count <= maxCount else { throw RPCError.invalidParams("param \"\(key)\" has \(a.count) entries; at most \(maxCount)") }
        return try a.map { e in
            guard let i = e.intValue else { throw typeError(key, "an array of integers", e) }
            guard range.contains(i) else { throw RPCError.invalidParams("param \"\(key)\" contains \(i); entries must be in \(range.lowerBound)...\(range.upperBound)") }
            return Int(i)
        }
    }

    public func doubleArray(_ key: String, maxCount: Int) throws -> [Double]? {
        guard let v = members[key], v != .null else { return nil }
        guard let a = v.arrayValue else { throw typeError(key, "an array of numbers", v) }
        guard a.count <= maxCount else { throw RPCError.invalidParams("param \"\(key)\" has \(a.count) entries; at most \(maxCount)") }
        return try a.map { e in
            guard let d = e.doubleValue, d.isFinite else { throw typeError(key, "an array of finite numbers", e) }
            return d
        }
    }

    /// A nested object, read by its own reader (`what` names it in errors).
    public func object(_ key: String, what: String, allowed: [String]) throws -> ParamReader? {
        guard let v = members[key], v != .null else { return nil }
        guard case .object = v else { throw typeError(key, "an object", v) }
        return try ParamReader(v, method: what, allowed: allowed)
    }

    /// An array of objects, each read by its own reader.
    public func objects(_ key: String, what: String, allowed: [String], maxCount: Int) throws -> [ParamReader]? {
        guard let v = members[key], v != .null else { return nil }
        guard let a = v.arrayValue else { throw typeError(key, "an array of objects", v) }
        guard a.count <= maxCount else { throw RPCError.invalidParams("param \"\(key)\" has \(a.count) entries; at most \(maxCount)") }
        return try a.map { e in
            guard case .object = e else { throw typeError(key, "an array of objects", e) }
            return try ParamReader(e, method: what, allowed: allowed)
        }
    }

    public func raw(_ key: String) -> JSON? { members[key] }
}
