import ArgumentParser
import FVProtocol

/// fvctl: the command-line client of the fvd daemon.
@main
struct Fvctl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fvctl",
        abstract: "Ask the fvd daemon what VGG16 filters respond to.",
        discussion: """
            Exit codes: 0 success; 1 the daemon refused or failed the request (the message says why);
            3 no daemon could be reached or started (or the one found cannot be trusted); 4 the job
            was stopped (cancelled, time limit, daemon shutdown); 5 the output file could not be
            written; 6 the daemon is busy (connection limit or full queue: try again later);
            64 bad command line; 130 interrupted with Ctrl-C (the job is cancelled in the daemon).
            """,
        subcommands: [Pattern.self, Grid.self, Activations.self, Layers.self, Jobs.self, Cancel.self, Status.self]
    )
}

/// How fvctl exits; documented in `fvctl --help`.
enum Exit {
    static let refused: Int32 = 1
    static let noDaemon: Int32 = 3
    static let stopped: Int32 = 4
    static let cannotWrite: Int32 = 5
    static let busy: Int32 = 6
    static let interrupted: Int32 = 130

    /// The exit code for an error the daemon sent.
    static func code(for e: RPCError) -> Int32 {
        switch e.code {
        case RPCError.jobCancelled, RPCError.timeLimit, RPCError.shuttingDown: return stopped
        case RPCError.tooManyConnections, RPCError.queueFull: return busy
        default: return refused
        }
    }
}
