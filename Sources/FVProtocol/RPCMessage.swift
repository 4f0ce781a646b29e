/// JSON-RPC 2.0 messages: what a line from a client means, and the lines fvd sends back.
public struct RPCRequest: Equatable, Sendable {
    /// nil for a notification (which is never answered). Otherwise a string, a number or null,
    /// echoed back with its type.
    public var id: JSON?
    public var method: String
    public var params: JSON?

    public init(id: JSON?, method: String, params: JSON?) {
        self.id = id
        self.method = method
        self.params = params
    }

    public var json: JSON {
        var o: [String: JSON] = ["jsonrpc": "2.0", "method": .string(method)]
        if let id { o["id"] = id }
        if let params { o["params"] = params }
        return .object(o)
    }
}

/// One parsed line: a single message or a batch, each element a request or the error to send.
public enum RPCIncoming: Equatable {
    case single(RPCEntry)
    case batch([RPCEntry])
}

public enum RPCEntry: Equatable {
    case request(RPCRequest)
    /// Invalid: answer with this error (id null unless the id itself was readable).
    case invalid(id: JSON, error: RPCError)
}

public enum RPCMessage {
    /// Largest batch fvd takes in one line.
    public static let maxBatch = 64

    public static func parse(line: [UInt8]) -> RPCIncoming {
        let value: JSON
        do {
            value = try JSONCodec.parse(line)
        } catch {
            return .single(.invalid(id: .null, error: RPCError(RPCError.parseError, "parse error: \(error); send one JSON-RPC 2.0 message per line")))
        }
        if case .array(let items) = value {
            if items.isEmpty {
                return .single(.invalid(id: .null, error: RPCError(RPCError.invalidRequest, "empty batch; a batch needs at least one request")))
            }
            if items.count > maxBatch {
                return .single(.invalid(id: .null, error: RPCError(RPCError.invalidRequest, "batch of \(items.count) requests; at most \(maxBatch) in one batch")))
            }
            return .batch(items.map(entry))
        }
        return .single(entry(value))
    }

    static func entry(_ v: JSON) -> RPCEntry {
        guard case .object(let o) = v else {
            return .invalid(id: .null, error: RPCError(RPCError.invalidRequest, "a request must be a JSON object, got \(v.typeName)"))
        }
        var id: JSON? = nil
        if let raw = o["id"] {
            switch raw {
            case .string, .int, .double, .bigInteger, .null: id = raw
            default:
                return .invalid(id: .null, error: RPCError(RPCError.invalidRequest, "\"id\" must be a string, a number or null, got \(raw.typeName)"))
            }
        }
        let answerID = id ?? .null
        guard o["jsonrpc"] == .string("2.0") else {
            return .invalid(id: answerID, error: RPCError(RPCError.invalidRequest, "\"jsonrpc\" must be \"2.0\""))
        }
        guard case .string(let method)? = o["method"] else {
            return .invalid(id: answerID, error: RPCError(RPCError.invalidRequest, "\"method\" must be a string naming a method"))
        }
        if let p = o["params"] {
            switch p {
            case .object, .array: break
            default:
                return .invalid(id: answerID, error: RPCError(RPCError.invalidRequest, "\"params\" must be an object or an array, got \(p.typeName)"))
            }
        }
        if let extra = o.keys.first(where: { !["jsonrpc", "method", "params", "id"].contains($0) }) {
            return .invalid(id: answerID, error: RPCError(RPCError.invalidRequest, "unknown member \"\(extra)\" in the request"))
        }
        return .request(RPCRequest(id: id, method: method, params: o["params"]))
    }

    public static func response(id: JSON, result: JSON) -> JSON {
        ["jsonrpc": "2.0", "id": id, "result": result]
    }

    public static func error(id: JSON, _ e: RPCError) -> JSON {
        ["jsonrpc": "2.0", "id": id, "error": e.json]
    }

    public static func notification(method: String, params: JSON) -> JSON {
        ["jsonrpc": "2.0", "method": .string(method), "params": params]
    }
}
