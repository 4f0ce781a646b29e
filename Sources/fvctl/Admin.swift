import ArgumentParser
import FVProtocol

struct Layers: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List VGG16's layers and their filter counts.")
    @OptionGroup var connection: ConnectionOptions

    func run() throws {
        try runReportingFailures {
            let answer = try connection.connect().call(Method.info.rawValue)
            let r = try InfoResult(answer)
            if connection.json { return printJSON(answer) }
            for l in r.layers {
                print("\(l.name)  \(l.filters) filters\(l.poolAfter ? "  (max-pool after)" : "")")
            }
        }
    }
}

struct Jobs: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List your queued and running jobs (root: everyone's).")
    @OptionGroup var connection: ConnectionOptions

    func run() throws {
        try runReportingFailures {
            let answer = try connection.connect().call(Method.jobs.rawValue)
            let r = try JobsResult(answer)
            if connection.json { return printJSON(answer) }
            if r.jobs.isEmpty { return print("no jobs") }
            var rows = [["JOB", "STATE", "UID", "METHOD", "WHAT", "STEP", "ELAPSED", "LEFT"]]
            for j in r.jobs {
                let elapsed = j.state == "running" ? Duration.text(j.runSeconds) : "waited " + Duration.text(j.waitedSeconds)
                rows.append(["\(j.id)", j.state, "\(j.uid)", j.method, j.summary, "\(j.step)/\(j.steps)", elapsed,
                             JobsResult.secondsLeft(j).map(Duration.text) ?? "-"])
            }
            printTable(rows)
        }
    }
}

struct Cancel: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Cancel one of your jobs.")
    @Argument(help: "Job id (from `fvctl jobs`).") var id: Int
    @OptionGroup var connection: ConnectionOptions

    func run() throws {
        try runReportingFailures {
            let r = try connection.connect().call(Method.cancel.rawValue, CancelParams(job: id).json)
            if connection.json { return printJSON(r) }
            if r["cancelled"] == .bool(false) {
                return print("job \(id) was not cancelled: \(r["note"]?.stringValue ?? "it had already ended")")
            }
            print("cancelled job \(id)")
        }
    }
}

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "The daemon's version, uptime, weights, queue and cache.")
    @OptionGroup var connection: ConnectionOptions

    func run() throws {
        try runReportingFailures {
            let client = try connection.connect()
            let answer = try client.call(Method.status.rawValue)
            let r = try StatusResult(answer)
            if connection.json { return printJSON(answer) }
            let mib = { (b: Int) in String(format: "%.1f MiB", Double(b) / 1_048_576) }
            printTable([
                ["daemon", "fvd \(r.version), pid \(r.pid), up \(Duration.text(r.uptimeSeconds))"],
                ["socket", client.path],
                ["weights", "\(r.weightsChecksum) (\(r.weightsPath)), \(mib(r.residentTransformedWeightsBytes)) transformed"],
                ["jobs", "\(r.queue.running) running (\(r.queue.inProgress) in progress, \(mib(r.queue.workspaceBytes)) of workspace), \(r.queue.queued) queued"],
                ["clients", "\(r.connections) connected, \(mib(r.outboxBytes)) unread"],
                ["cache", "\(r.cache.entries) entries, \(mib(r.cache.bytes)) of \(mib(r.cache.maxBytes)), \(r.cache.hits) hits, \(r.cache.misses) misses"
                    + (r.cache.writeFailures > 0 ? ", \(r.cache.writeFailures) write failures" : "")],
            ])
        }
    }
}

/// Prints rows as left-aligned columns, two spaces apart.
func printTable(_ rows: [[String]]) {
    let widths = rows.reduce(into: [Int]()) { w, row in
        for (i, cell) in row.enumerated() {
            if i == w.count { w.append(0) }
            w[i] = max(w[i], cell.count)
        }
    }
    for row in rows {
        let cells = row.enumerated().map { i, c in i == row.count - 1 ? c : c.padding(toLength: widths[i], withPad: " ", startingAt: 0) }
        print(cells.joined(separator: "  "))
    }
}

/// Seconds as people read them: 42 s, 3 min 05 s, 2 h 10 min.
enum Duration {
    static func text(_ s: Double) -> String {
        let t = Int(s.rounded())
        if t < 60 { return "\(t) s" }
        if t < 3600 { return String(format: "%d min %02d s", t / 60, t % 60) }
        return String(format: "%d h %02d min", t / 3600, (t % 3600) / 60)
    }
}
