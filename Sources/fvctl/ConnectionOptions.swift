import ArgumentParser
import FVProtocol
import FVTransport
import Foundation

/// Options every subcommand shares: how to find the daemon and how to print.
struct ConnectionOptions: ParsableArguments {
    @Option(help: "The daemon's socket (default: $FVD_SOCKET, then \(SocketLocator.systemSocket), then a per-user socket).")
    var socket: String?

    @Flag(help: "Do not start a per-user daemon when none answers.")
    var noStart = false

    @Flag(help: "Print machine-readable JSON.")
    var json = false

    /// Connects to the first daemon that answers and can be trusted; otherwise starts a per-user
    /// one and waits for it. A socket that answers but cannot be trusted (`SocketTrust`), or a
    /// per-user directory that is not private, stops fvctl with the reason: it never falls
    /// through to another daemon as if nothing had happened.
    func connect() throws -> RPCClient {
        let candidates = SocketLocator.candidates(explicit: socket)
        var refusedBySystem: String?
        for path in candidates {
            do {
                if path == SocketLocator.userSocket, FileManager.default.fileExists(atPath: SocketLocator.userDirectory) {
                    try PrivateDirectory.check(SocketLocator.userDirectory)
                }
                return try RPCClient(path: path)
            } catch let e as SocketTrust.Refusal {
                throw Failure(Exit.noDaemon, e.description)
            } catch let e as PrivateDirectory.Refusal {
                throw Failure(Exit.noDaemon, e.description)
            } catch let e as SocketError where e.errno == EACCES {
                // A daemon is there but its socket's group leaves this user out: say so, never
                // fall silently through to a private daemon (another 500 MiB and every core).
                let why = SocketPermission.refusal(path: path)
                if path != SocketLocator.systemSocket { throw Failure(Exit.noDaemon, why) }
                refusedBySystem = why
            } catch {
                continue  // nothing listens there
            }
        }
        if let why = refusedBySystem {
            if noStart { throw Failure(Exit.noDaemon, why) }
            printError("fvctl: \(why); starting a private fvd for you meanwhile")
        }
        if noStart || socket != nil || !(ProcessInfo.processInfo.environment["FVD_SOCKET"] ?? "").isEmpty {
            throw Failure(Exit.noDaemon, "no fvd answers on \(candidates.joined(separator: " or ")); start it (`fvd serve` or `systemctl start fvd.socket`)\(noStart ? "" : " or drop --socket/$FVD_SOCKET to let fvctl start one")")
        }
        return try DaemonLauncher.startUserDaemon()
    }
}

/// An error that ends fvctl with a message and an exit code.
struct Failure: Error, CustomStringConvertible {
    let code: Int32
    let description: String
    init(_ code: Int32, _ message: String) {
        self.code = code
        description = message
    }
}

/// Runs `body`, turning failures into a message on stderr and the documented exit code.
func runReportingFailures(_ body: () throws -> Void) throws {
    do {
        try body()
    } catch let f as Failure {
        printError("fvctl: \(f.description)")
        throw ExitCode(f.code)
    } catch let e as RPCError {
        printError("fvctl: \(e.message)")
        throw ExitCode(Exit.code(for: e))
    } catch let e as ResultReader.Mismatch {
        printError("fvctl: \(e.description)")
        throw ExitCode(Exit.refused)
    } catch let e as RPCClient.ClientError {
        printError("fvctl: \(e.description); check the daemon's log (journalctl -u fvd, or the log next to its socket)")
        throw ExitCode(Exit.noDaemon)
    } catch let e as SocketError {
        printError("fvctl: lost the daemon: \(e.description)")
        throw ExitCode(Exit.noDaemon)
    }
}

func printError(_ s: String) {
    FileHandle.standardError.write(Data((s + "\n").utf8))
}

func printJSON(_ v: JSON) {
    print(JSONCodec.serialize(v))
}
