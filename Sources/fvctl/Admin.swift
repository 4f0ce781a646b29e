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
            if r.jobs.isEmpty { print("no jobs") }
            for j in r.jobs {
                print("\(j.id)  \(j.state)  \(j.method) \(j.summary)  step \(j.step)/\(j.steps)  uid \(j.uid)")
            }
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
            print("cancelled job \(id)")
        }
    }
}

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "The daemon's version, uptime, weights, queue and cache.")
    @OptionGroup var connection: ConnectionOptions

    func run() throws {
        try runReportingFailures {
            let answer = try connection.connect().call(Method.status.rawValue)
            let r = try StatusResult(answer)
            if connection.json { return printJSON(answer) }
            print("fvd \(r.version) pid \(r.pid), up \(Int(r.uptimeSeconds)) s")
            print("weights \(r.weightsChecksum) (\(r.weightsPath))")
            print("queue: \(r.queue.running) running, \(r.queue.queued) queued; \(r.connections) connections")
            print("cache: \(r.cache.entries) entries, \(r.cache.bytes) bytes, \(r.cache.hits) hits, \(r.cache.misses) misses")
        }
    }
}
