#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import FVProtocol
import FVTransport
import Foundation

/// Runs a render request: shows progress, cancels the job in the daemon on Ctrl-C, and returns
/// the daemon's answer (the caller decodes it and writes the PNG: the daemon never writes files
/// for clients).
enum RenderCall {
    static func run(_ method: Method, params: JSON, options: ConnectionOptions) throws -> JSON {
        let client = try options.connect()
        let display = ProgressDisplay()
        let jobID = Locked<Int?>(nil)
        let interrupted = Locked(false)
        signal(SIGINT, SIG_IGN)
        let sigint = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        // Ctrl-C: this handler cancels the job and exits 130. The reading thread may get the
        // daemon's "cancelled" answer first; seeing `interrupted` it leaves the exit to us.
        sigint.setEventHandler {
            interrupted.value = true
            display.finish()
            var said = "fvctl: interrupted; the job was cancelled"
            if let id = jobID.value, let c = try? RPCClient(path: client.path) {
                c.socket.setReceiveTimeout(seconds: 5)
                // The daemon answers once the job has ended, with whether the cancel stopped it.
                if let r = try? c.call(Method.cancel.rawValue, CancelParams(job: id).json), r["cancelled"] == .bool(false) {
                    said = "fvctl: interrupted; the job had already finished (Ctrl-C came on its last step), so nothing was written: run the command again for the cached result"
                }
            }
            printError(said)
            exit(Exit.interrupted)
        }
        sigint.resume()
        defer { sigint.cancel() }

        let result: JSON
        do {
            result = try client.call(method.rawValue, params) { name, p in
                guard name == ServerNotification.progress || name == ServerNotification.queued else { return }
                if let id = p["job"]?.intValue { jobID.value = Int(id) }
                if options.json { return }
                if name == ServerNotification.queued, let ahead = p["ahead"]?.intValue {
                    display.waiting(ahead: Int(ahead))
                } else {
                    display.update(p)
                }
            }
        } catch {
            if interrupted.value { while true { sleep(1) } }  // the Ctrl-C handler exits
            display.finish()
            throw error
        }
        display.finish()
        return result
    }
}

extension RenderCall {
    /// Writes the PNG to `path` and says where it went: the path, or with --json the result
    /// without the PNG bytes.
    /// `summary` (the final objective, and "(cached)") goes to standard error with the time since
    /// `started`, for people; standard output gets only the path, for scripts.
    static func deliver(png: [UInt8], result: JSON, summary: String, note: String?, path: String, json: Bool, started: Date) throws {
        try OutputFile.write(Data(png), to: path)
        if !json {
            printError("fvctl: \(path == "-" ? "image" : path): \(summary), \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
        }
        if !json, let note { printError("fvctl: note: \(note)") }
        if path == "-" { return }  // the image went to standard output; print nothing after it
        guard json else { return print(path) }
        var o = result.objectValue ?? [:]
        // The numbers, not the image bytes (those are in the files).
        o["png"] = nil
        o["importancePNG"] = nil
        o["alphaPNG"] = nil
        o["raw"] = nil
        if case .array(let snaps)? = o["snapshots"] {
            o["snapshots"] = .array(snaps.map { s in
                guard case .object(var m) = s else { return s }
                m["png"] = nil
                return .object(m)
            })
        }
        o["path"] = .string(path)
        printJSON(.object(o))
    }
}

/// A value shared between the reading thread and the signal handler.
final class Locked<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var v: T
    init(_ v: T) { self.v = v }
    var value: T {
        get { lock.lock(); defer { lock.unlock() }; return v }
        set { lock.lock(); v = newValue; lock.unlock() }
    }
}
