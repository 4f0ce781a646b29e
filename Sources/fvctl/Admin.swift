import ArgumentParser
import FVProtocol
import Foundation

struct Layers: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List VGG16's layers and their filter counts.")
    @OptionGroup var connection: ConnectionOptions

    func run() throws {
        try runReportingFailures {
            let r = try connection.connect().call(Method.info.rawValue)
            if connection.json { return printJSON(r) }
            for l in r["layers"]?.arrayValue ?? [] {
                let pool = l["poolAfter"]?.boolValue == true ? "  (max-pool after)" : ""
                print("\(l["name"]?.stringValue ?? "?")  \(l["filters"]?.intValue ?? 0) filters\(pool)")
            }
        }
    }
}

struct Jobs: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List your queued and running jobs (root: everyone's).")
    @OptionGroup var connection: ConnectionOptions

    func run() throws {
        try runReportingFailures {
            let r = try connection.connect().call(Method.jobs.rawValue)
            if connection.json { return printJSON(r) }
            let jobs = r["jobs"]?.arrayValue ?? []
            if jobs.isEmpty { print("no jobs") }
            for j in jobs {
                print("\(j["id"]?.intValue ?? 0)  \(j["state"]?.stringValue ?? "")  \(j["method"]?.stringValue ?? "") \(j["summary"]?.stringValue ?? "")  step \(j["step"]?.intValue ?? 0)/\(j["steps"]?.intValue ?? 0)  uid \(j["uid"]?.intValue ?? 0)")
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
            let r = try connection.connect().call(Method.status.rawValue)
            if connection.json { return printJSON(r) }
            print("fvd \(r["version"]?.stringValue ?? "?") pid \(r["pid"]?.intValue ?? 0), up \(Int(r["uptimeSeconds"]?.doubleValue ?? 0)) s")
            print("weights \(r["weights"]?["checksum"]?.stringValue ?? "?") (\(r["weights"]?["path"]?.stringValue ?? "?"))")
            print("queue: \(r["queue"]?["running"]?.intValue ?? 0) running, \(r["queue"]?["queued"]?.intValue ?? 0) queued; \(r["connections"]?.intValue ?? 0) connections")
            let c = r["cache"]
            print("cache: \(c?["entries"]?.intValue ?? 0) entries, \(c?["bytes"]?.intValue ?? 0) bytes, \(c?["hits"]?.intValue ?? 0) hits, \(c?["misses"]?.intValue ?? 0) misses")
        }
    }
}
