import FVProtocol

/// A blocking JSON-RPC client over a Unix socket: what fvctl, the tests and other Swift programs
/// use. One call at a time; server notifications that arrive meanwhile go to a callback.
public final class RPCClient {
    public let socket: UnixSocket
    public let path: String
    var framer = LineFramer(maxLine: 256 << 20)
    var lines: [[UInt8]] = []
    var nextID: Int64 = 1

    /// Connects and, unless `verifyPeer` is false, checks that the process behind the socket may
    /// be trusted to be fvd (`SocketTrust`): fvctl acts on the daemon's answers.
    public init(path: String, verifyPeer: Bool = true) throws {
        self.path = path
        socket = try SocketTrust.connect(path: path, verifyPeer: verifyPeer)
    }

    public enum ClientError: Error, CustomStringConvertible {
        case disconnected
        case badMessage(String)

        public var description: String {
            switch self {
            case .disconnected: return "the daemon closed the connection"
            case .badMessage(let m): return "the daemon sent an unreadable message: \(m)"
            }
        }
    }

    /// Sends one raw line (a newline is added).
    public func send(line: String) throws {
        try socket.writeAll(Array((line + "\n").utf8))
    }

    /// The next whole message from the daemon.
    public func readMessage() throws -> JSON {
        while lines.isEmpty {
            var buf = [UInt8](repeating: 0, count: 65536)
            let n = try buf.withUnsafeMutableBytes { try socket.read(into: $0) }
            if n == 0 { throw ClientError.disconnected }
            for out in framer.feed(Array(buf[0..<n])) {
                if case .line(let l) = out { lines.append(l) }
            }
        }
        let l = lines.removeFirst()
        do { return try JSONCodec.parse(l) } catch { throw ClientError.badMessage("\(error)") }
    }

    /// Sends a request and waits for its response; returns the result or throws the RPCError.
    /// `onNotification(method, params)` sees notifications that arrive first; it may call `send`.
    /// A daemon that refuses the connection or the line (too many connections, line too long)
    /// answers with an error whose id is null and closes, possibly before the request is fully
    /// written: that error is what is thrown, not the broken pipe.
    @discardableResult
    public func call(_ method: String, _ params: JSON? = nil, onNotification: ((String, JSON) -> Void)? = nil) throws -> JSON {
        let id = nextID
        nextID += 1
        do {
            try send(line: JSONCodec.serialize(RPCRequest(id: .int(id), method: method, params: params).json))
        } catch let sendError {
            socket.setReceiveTimeout(seconds: 2)
            while let m = try? readMessage() {
                if m["id"] == .null, let e = m["error"] { throw RPCClient.rpcError(e) }
            }
            throw sendError
        }
        return try awaitResponse(id: .int(id), onNotification: onNotification)
    }

    /// Reads until the response with `id` (or an error with a null id: the daemon's word on the
    /// connection itself).
    public func awaitResponse(id: JSON, onNotification: ((String, JSON) -> Void)? = nil) throws -> JSON {
        while true {
            let m = try readMessage()
            if m["id"] == nil, case .string(let method)? = m["method"] {
                onNotification?(method, m["params"] ?? .null)
                continue
            }
            if m["id"] == .null, let e = m["error"] { throw RPCClient.rpcError(e) }
            guard m["id"] == id else { continue }
            if let e = m["error"] { throw RPCClient.rpcError(e) }
            return m["result"] ?? .null
        }
    }

    static func rpcError(_ e: JSON) -> RPCError {
        RPCError(Int(e["code"]?.intValue ?? 0), e["message"]?.stringValue ?? "unknown error", data: e["data"])
    }

    public func close() { socket.close() }
}
