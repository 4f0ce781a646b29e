import FVProtocol
import Foundation

/// From a line to replies: JSON-RPC framing rules (batches, notifications never answered,
/// every request answered exactly once) and the one place errors become JSON-RPC errors.
extension Server {
    func handle(line: [UInt8], from conn: Connection) {
        // A large line's parsed tree lives until its request is dispatched (a tensor becomes
        // floats there): both happen inside the gate.
        parseGate.parse(bytes: line.count, uid: conn.uid) { handleParsed(line: line, from: conn) }
    }

    private func handleParsed(line: [UInt8], from conn: Connection) {
        switch RPCMessage.parse(line: line) {
        case .single(let entry):
            process(entry, conn) { reply in
                if let reply { conn.send(reply) }
            }
        case .batch(let entries):
            let collector = BatchCollector(count: entries.count) { replies in
                if !replies.isEmpty { conn.send(.array(replies)) }
            }
            for (i, e) in entries.enumerated() {
                process(e, conn) { collector.set(i, $0) }
            }
        }
    }

    /// Calls `reply` exactly once: with the response, or nil for a notification.
    func process(_ entry: RPCEntry, _ conn: Connection, reply: @escaping (JSON?) -> Void) {
        switch entry {
        case .invalid(let id, let error):
            Log.throttled(.info, key: "bad \(conn.uid)", "uid=\(conn.uid) method=- outcome=error(\(error.code)) duration=0.000s message=\(Log.quoted(error.message))")
            reply(RPCMessage.error(id: id, error))
        case .request(let req):
            let start = Date()
            let done: (Result<JSON, RPCError>) -> Void = { result in
                let outcome: String
                var kind = "ok"
                switch result {
                case .success: outcome = "ok"
                case .failure(let e):
                    outcome = "error(\(e.code)) message=\(Log.quoted(e.message))"
                    kind = "\(e.code)"
                }
                let duration = String(format: "%.3f", Date().timeIntervalSince(start))
                Log.throttled(.info, key: "request \(conn.uid) \(kind)",
                              "uid=\(conn.uid) method=\(Log.quoted(req.method, max: 40)) duration=\(duration)s outcome=\(outcome)")
                guard let id = req.id else { return reply(nil) }
                switch result {
                case .success(let r): reply(RPCMessage.response(id: id, result: r))
                case .failure(let e): reply(RPCMessage.error(id: id, e))
                }
            }
            guard let method = Method(rawValue: req.method) else {
                let known = Method.allCases.map(\.rawValue).joined(separator: ", ")
                return done(.failure(RPCError(RPCError.methodNotFound, "no method \"\(req.method)\"; fvd's methods are: \(known)")))
            }
            do {
                try dispatch(method, req, conn, done)
            } catch let e as RPCError {
                done(.failure(e))
            } catch {
                done(.failure(RPCError(RPCError.internalError, "internal error: \(error)")))
            }
        }
    }
}

/// Gathers a batch's replies in order and sends them together once all are in.
final class BatchCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var replies: [JSON??]
    private var remaining: Int
    private let send: ([JSON]) -> Void

    init(count: Int, send: @escaping ([JSON]) -> Void) {
        replies = Array(repeating: nil, count: count)
        remaining = count
        self.send = send
    }

    func set(_ i: Int, _ reply: JSON?) {
        lock.lock()
        guard replies[i] == nil else {
            lock.unlock()
            return
        }
        replies[i] = .some(reply)
        remaining -= 1
        let done = remaining == 0
        lock.unlock()
        if done { send(replies.compactMap { $0 ?? nil }) }
    }
}
