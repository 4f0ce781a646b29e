import FVProtocol

/// Why a job stopped before its end, and the error its client gets for it.
enum StopReason: Equatable, Sendable, CustomStringConvertible {
    case cancelledByRequest
    case clientDisconnected
    case clientStoppedReading
    case timeLimit(seconds: Double)
    case shutdown

    var description: String {
        switch self {
        case .cancelledByRequest: return "cancelled by request"
        case .clientDisconnected: return "client disconnected"
        case .clientStoppedReading: return "client stopped reading"
        case .timeLimit(let s): return "time limit of \(String(format: "%g", s)) s reached"
        case .shutdown: return "daemon shutting down"
        }
    }

    var error: RPCError {
        switch self {
        case .timeLimit: return RPCError(RPCError.timeLimit, "job stopped: \(self); ask for fewer steps or a smaller size")
        case .shutdown: return RPCError(RPCError.shuttingDown, "job stopped: \(self); send it again when fvd is back")
        default: return RPCError(RPCError.jobCancelled, "job cancelled: \(self)")
        }
    }
}
