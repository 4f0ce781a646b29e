/// A JSON-RPC error object. Codes: the standard ones, then fvd's own in -32000...-32099.
/// Messages say what was wrong and what to change.
public struct RPCError: Error, Equatable, CustomStringConvertible, Sendable {
    public var code: Int
    public var message: String
    public var data: JSON?

    public init(_ code: Int, _ message: String, data: JSON? = nil) {
        self.code = code
        self.message = message
        self.data = data
    }

    public var description: String { message }

    public var json: JSON {
        var o: [String: JSON] = ["code": JSON(code), "message": .string(message)]
        if let data { o["data"] = data }
        return .object(o)
    }

    // The JSON-RPC 2.0 codes.
    public static let parseError = -32700
    public static let invalidRequest = -32600
    public static let methodNotFound = -32601
    public static let invalidParams = -32602
    public static let internalError = -32603
    // fvd's own.
    public static let jobCancelled = -32000
    public static let queueFull = -32001
    public static let timeLimit = -32002
    public static let shuttingDown = -32003
    public static let noSuchJob = -32004
    public static let tooManyConnections = -32005
    public static let lineTooLong = -32006
    public static let lineTimeout = -32007
    public static let idleTimeout = -32008

    public static func invalidParams(_ m: String) -> RPCError { RPCError(invalidParams, m) }
}
