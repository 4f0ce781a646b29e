import ArgumentParser
import FVProtocol

/// fvctl: the command-line client of the fvd daemon.
@main
struct Fvctl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fvctl",
        abstract: "Ask the fvd daemon what VGG16 filters respond to.",
        discussion: """
            Exit codes:
              0    success
              1    the daemon refused or failed the request (its message says why)
              3    no daemon reached or started, or the one found cannot be trusted
              4    the job was stopped (cancelled, time limit, daemon shutdown)
              5    the output file could not be written
              6    the daemon is busy (connections, queue or memory share): try later
              64   bad command line
              130  interrupted with Ctrl-C (the job is cancelled in the daemon)
            """,
        version: fvdVersion,
        subcommands: [Pattern.self, Grid.self, Atlas.self, Spectrum.self, Dream.self, Activations.self, Layers.self, Jobs.self, Cancel.self, Status.self]
    )

    /// `fvctl --socket S status` works as well as `fvctl status --socket S`: the connection
    /// options given before the subcommand are moved after it.
    static func main() {
        main(GlobalOptions.negativeFilterAsArgument(GlobalOptions.afterSubcommand(Array(CommandLine.arguments.dropFirst()))))
    }
}

/// The options every subcommand takes (ConnectionOptions), which people also put first.
enum GlobalOptions {
    /// `fvctl pattern LAYER -1`: the parser would take `-1` for an option and say "Missing
    /// expected argument"; given to it as the filter argument instead, it gets the range error
    /// that says what a filter is.
    static func negativeFilterAsArgument(_ args: [String]) -> [String] {
        guard args.count >= 3, args[0] == "pattern", !args[1].hasPrefix("-"), args[2].hasPrefix("-"), Int(args[2]) != nil else { return args }
        guard !args.contains("--") else { return args }
        return [args[0], args[1]] + args[3...] + ["--", args[2]]
    }

    static func afterSubcommand(_ args: [String]) -> [String] {
        var moved: [String] = []
        var i = 0
        while i < args.count, args[i].hasPrefix("-") {
            if args[i] == "--socket", i + 1 < args.count {
                moved += [args[i], args[i + 1]]
                i += 2
            } else if args[i].hasPrefix("--socket=") || args[i] == "--no-start" || args[i] == "--json" {
                moved.append(args[i])
                i += 1
            } else {
                return args  // --help, --version, or something for the parser to judge
            }
        }
        guard !moved.isEmpty, i < args.count else { return args }
        return [args[i]] + moved + args[(i + 1)...]
    }
}

/// How fvctl exits; documented in `fvctl --help`.
enum Exit {
    static let refused: Int32 = 1
    static let noDaemon: Int32 = 3
    static let stopped: Int32 = 4
    static let cannotWrite: Int32 = 5
    static let busy: Int32 = 6
    /// A bad command line (swift-argument-parser's own code for a validation error).
    static let usage: Int32 = 64
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

/// VGG16's conv layers, for shell completion (the daemon's `info` is the authority; these
/// names are fixed by the network).
let layerNames = (1...5).flatMap { b in (1...(b < 3 ? 2 : 3)).map { "block\(b)_conv\($0)" } }
