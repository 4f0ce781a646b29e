import ArgumentParser
import FVAtlas
import FVProtocol
import Foundation

/// `fvctl atlas --slurm`: the atlas as a Slurm array job (docs/ATLAS.md).
struct SlurmOptions: ParsableArguments {
    @Flag(help: "Submit the atlas to Slurm as an array job (each task renders its shard with fvd in-process) and a final job that builds the site.")
    var slurm = false
    @Option(help: "With --slurm: the partition.") var partition: String?
    @Option(parsing: .unconditional, help: "With --slurm: array tasks (default: one per batch of units, at most 64).") var tasks: Int?
    @Option(name: .customLong("cpus-per-task"), parsing: .unconditional, help: "With --slurm: cores per task (default 2).") var cpusPerTask: Int?
    @Option(help: "With --slurm: each task's time limit, e.g. 4:00:00.") var time: String?
    @Option(name: .customLong("sbatch-arg"), parsing: .unconditionalSingleValue, help: "With --slurm: one more argument for sbatch, e.g. --sbatch-arg=--account=lab (repeat for more).")
    var sbatchArgs: [String] = []
    @Option(help: "With --slurm: the weights file the nodes load (default: the one fvd would load here); it must be readable on every node.", completion: .file())
    var weights: String?
    @Option(name: .customLong("fvd"), help: "With --slurm: the fvd program the nodes run (default: the fvd beside this fvctl).", completion: .file())
    var fvdProgram: String?

    var enabled: Bool { slurm }

    func validate(using enabled: Bool) throws {
        let given = partition != nil || tasks != nil || cpusPerTask != nil || time != nil || !sbatchArgs.isEmpty || weights != nil || fvdProgram != nil
        if given && !enabled { throw ValidationError("--partition, --tasks, --cpus-per-task, --time, --sbatch-arg, --weights and --fvd go with --slurm") }
        if let t = tasks, !(1...10_000).contains(t) { throw ValidationError("--tasks must be 1-10000, got \(t)") }
        if let c = cpusPerTask, !(1...1024).contains(c) { throw ValidationError("--cpus-per-task must be 1-1024, got \(c)") }
    }
}

struct AtlasSlurm {
    let options: SlurmOptions
    let directory: AtlasDirectory

    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }

    /// The fvd the nodes run: --fvd, else the one beside this fvctl.
    var fvd: String {
        get throws {
            let path = options.fvdProgram.map(Self.absolute)
                ?? ((try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")).map { ($0 as NSString).deletingLastPathComponent + "/fvd" } ?? "fvd")
            guard FileManager.default.isExecutableFile(atPath: path) else {
                throw AtlasError("\(path) is not an fvd program this machine can run; give the nodes' fvd with --fvd PATH")
            }
            return path
        }
    }

    /// Plans, checks and submits: the weights are loaded here by the very fvd the nodes run
    /// (a path that does not load is refused before anything is submitted), the scripts are
    /// written to DIR/slurm/, then the array job and the site job that waits for it.
    func submit(manifest plan: (InfoResult) throws -> AtlasManifest) throws {
        let fvd = try self.fvd
        var infoArgs = ["info"]
        if let w = options.weights { infoArgs += ["--weights", Self.absolute(w)] }
        let probe = try Self.runProgram(fvd, infoArgs)
        guard probe.status == 0, let info = try? InfoResult(JSONCodec.parse(probe.out.trimmingCharacters(in: .whitespacesAndNewlines))) else {
            let why = probe.err.trimmingCharacters(in: .whitespacesAndNewlines)
            throw AtlasError("the weights the nodes would load cannot be loaded (\(why.isEmpty ? "fvd info exited \(probe.status)" : why)); nothing was submitted. Give a weights file every node can read with --weights PATH")
        }
        let weights = Self.absolute(info.weights.path)
        let dir = Self.absolute(directory.path)
        let atlas = AtlasDirectory(dir)
        try atlas.create()
        let m = try AtlasRun.prepare(atlas, plan(info))
        let missing = AtlasRun(directory: atlas, manifest: m).missing(in: m.chunks)
        if missing.isEmpty {
            let (done, total) = try AtlasSite(directory: atlas, manifest: m).build()
            printError("fvctl: all \(done) of \(total) units are done; nothing to submit. The site: \(dir)/index.html")
            return
        }
        let chunks = m.chunks.count
        let tasks = min(options.tasks ?? min(chunks, 64), chunks)
        let taskScript = "slurm/atlas-task.sbatch", siteScript = "slurm/atlas-site.sbatch"
        try atlas.write(Array(self.taskScript(fvd: fvd, weights: weights, dir: dir, tasks: tasks).utf8), to: taskScript)
        try atlas.write(Array(self.siteScript(fvd: fvd, dir: dir).utf8), to: siteScript)
        chmod(atlas.url(taskScript), 0o755)
        chmod(atlas.url(siteScript), 0o755)
        let array = try sbatch(options.sbatchArgs + [atlas.url(taskScript)])
        let site = try sbatch(options.sbatchArgs + ["--dependency=afterany:\(array)", atlas.url(siteScript)])
        try atlas.writeJSON(["array": .string(array), "site": .string(site), "tasks": JSON(tasks),
                             "submitted": .string(ISO8601DateFormatter().string(from: Date()))], to: "slurm/jobs.json")
        let todo = missing.reduce(0) { $0 + $1.count }
        printError("fvctl: \(m.units.count - todo) of \(m.units.count) done; submitted array job \(array) (\(tasks) tasks for \(todo) units) and site job \(site) after it")
        printError("fvctl: scripts in \(dir)/slurm/; follow it with: fvctl atlas --status \(dir)")
        print(array)
    }

    func taskScript(fvd: String, weights: String, dir: String, tasks: Int) -> String {
        var lines = [
            "#!/bin/bash",
            "# An fvd atlas, one shard per array task (written by fvctl atlas --slurm; docs/ATLAS.md).",
            "# Task k renders the batches k, k+\(tasks), k+\(2 * tasks), ... of the manifest's units, those not done yet,",
            "# with fvd in-process (no daemon), into the atlas directory on the shared filesystem. Tasks share",
            "# no file. Killed, preempted or timed out, a task loses only its units in flight: submit the same",
            "# fvctl atlas command again (or this script) and only what is missing is rendered.",
            "#SBATCH --job-name=fvd-atlas",
            "#SBATCH --array=0-\(tasks - 1)",
            "#SBATCH --cpus-per-task=\(options.cpusPerTask ?? 2)",
            "#SBATCH --output=\(dir)/slurm/task-%A_%a.out",
            "#SBATCH --requeue",
        ]
        if let p = options.partition { lines.append("#SBATCH --partition=\(p)") }
        if let t = options.time { lines.append("#SBATCH --time=\(t)") }
        lines += ["set -eu", "exec \(ShellWord.quoted(fvd)) atlas-task \(ShellWord.quoted(dir)) --weights \(ShellWord.quoted(weights)) --task \"$SLURM_ARRAY_TASK_ID\" --tasks \(tasks)", ""]
        return lines.joined(separator: "\n")
    }

    func siteScript(fvd: String, dir: String) -> String {
        var lines = [
            "#!/bin/bash",
            "# Builds the atlas's web site once the array job has ended, however it ended (afterany), and lists",
            "# the units still missing (written by fvctl atlas --slurm).",
            "#SBATCH --job-name=fvd-atlas-site",
            "#SBATCH --cpus-per-task=1",
            "#SBATCH --output=\(dir)/slurm/site-%j.out",
        ]
        if let p = options.partition { lines.append("#SBATCH --partition=\(p)") }
        lines += ["set -eu", "exec \(ShellWord.quoted(fvd)) atlas-site \(ShellWord.quoted(dir))", ""]
        return lines.joined(separator: "\n")
    }

    /// sbatch --parsable ARGS: the job id, or its own message.
    func sbatch(_ args: [String]) throws -> String {
        let r: (status: Int32, out: String, err: String)
        do { r = try Self.runProgram("sbatch", ["--parsable"] + args) } catch {
            throw AtlasError("cannot run sbatch (\(error)); is Slurm installed here and sbatch on PATH? (scripts/slurm-local.sh start makes a one-machine cluster)")
        }
        let id = r.out.split(separator: ";").first.map { String($0).trimmingCharacters(in: .whitespacesAndNewlines) } ?? ""
        guard r.status == 0, !id.isEmpty, id.allSatisfy(\.isNumber) else {
            throw AtlasError("sbatch refused the job: \(r.err.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? "exit \(r.status)" : r.err.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        return id
    }

    /// Runs a program found on PATH (or by its path), returning its exit status and output.
    static func runProgram(_ program: String, _ args: [String]) throws -> (status: Int32, out: String, err: String) {
        let p = Process()
        if program.contains("/") {
            p.executableURL = URL(fileURLWithPath: program)
            p.arguments = args
        } else {
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = [program] + args
        }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        if p.terminationStatus == 127 && !program.contains("/") {
            throw AtlasError("\(program) is not on PATH")
        }
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }
}

/// `fvctl atlas --status DIR`: units done per layer, what is missing, the Slurm jobs' state.
enum AtlasStatus {
    static func show(_ dir: AtlasDirectory, json: Bool) throws {
        guard let m = try dir.manifest() else { throw AtlasError("\(dir.path) holds no atlas.json: no atlas there yet") }
        var layers: [JSON] = []
        var lines: [String] = []
        var done = 0
        for l in m.layers {
            let d = l.filters.filter { dir.done(AtlasUnit(layer: l.name, filter: $0), m) != nil }.count
            done += d
            layers.append(["name": .string(l.name), "done": JSON(d), "total": JSON(l.filters.count)])
            lines.append("  \(l.name): \(d) of \(l.filters.count)")
        }
        var o: [String: JSON] = ["done": JSON(done), "total": JSON(m.units.count), "layers": .array(layers)]
        var slurmLine: String?
        if let jobs = dir.readJSON("slurm/jobs.json"), let array = jobs["array"]?.stringValue, let site = jobs["site"]?.stringValue {
            var states: [String: String] = [:]
            if let q = try? AtlasSlurm.runProgram("squeue", ["-h", "-j", "\(array),\(site)", "-o", "%i %T"]), q.status == 0 {
                for line in q.out.split(separator: "\n") {
                    let parts = line.split(separator: " ")
                    if parts.count == 2 { states[String(parts[0])] = String(parts[1]) }
                }
            }
            let arrayStates = states.filter { $0.key.hasPrefix(array + "_") || $0.key == array }.map(\.value)
            let summary = arrayStates.isEmpty ? "not in the queue (finished, or squeue unavailable)"
                : Dictionary(grouping: arrayStates, by: { $0 }).map { "\($0.value.count) \($0.key.lowercased())" }.sorted().joined(separator: ", ")
            o["slurm"] = ["array": .string(array), "site": .string(site), "arrayTasks": .string(summary), "siteJob": .string(states[site] ?? "not in the queue")]
            slurmLine = "Slurm: array job \(array): \(summary); site job \(site): \(states[site]?.lowercased() ?? "not in the queue")"
        }
        if json { return printJSON(.object(o)) }
        print("\(dir.path): \(done) of \(m.units.count) units done (\(m.preset), \(m.size) px, \(m.steps) steps, seed \(m.seed))")
        lines.forEach { print($0) }
        if let slurmLine { print(slurmLine) }
        if done < m.units.count { print("to finish: run the same fvctl atlas command again (with --slurm to submit it)") }
    }
}
