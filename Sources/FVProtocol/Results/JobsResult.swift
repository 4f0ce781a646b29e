/// What the daemon answers to `jobs`: the caller's queued and running jobs (root: everyone's).
public struct JobsResult: Equatable, Sendable {
    public struct Job: Equatable, Sendable {
        public var id: Int
        public var uid: Int
        public var method: String
        public var summary: String
        /// "queued" or "running".
        public var state: String
        public var step: Int
        public var steps: Int
        public var waitedSeconds: Double
        /// Seconds since it started (0 while queued).
        public var runSeconds: Double
        public init(id: Int, uid: Int, method: String, summary: String, state: String, step: Int, steps: Int, waitedSeconds: Double,
                    runSeconds: Double = 0) {
            self.runSeconds = runSeconds
            self.id = id
            self.uid = uid
            self.method = method
            self.summary = summary
            self.state = state
            self.step = step
            self.steps = steps
            self.waitedSeconds = waitedSeconds
        }
    }

    public var jobs: [Job]

    public init(jobs: [Job]) { self.jobs = jobs }

    /// Seconds a running job still needs at its pace so far (nil before its first step).
    public static func secondsLeft(_ j: Job) -> Double? {
        guard j.state == "running", j.step > 0 else { return nil }
        return j.runSeconds / Double(j.step) * Double(j.steps - j.step)
    }

    public init(_ json: JSON) throws {
        let r = try ResultReader(json, "jobs result")
        jobs = try r.array("jobs").map { j in
            let jr = try ResultReader(j, "job")
            return Job(id: try jr.int("id"), uid: try jr.int("uid"), method: try jr.string("method"), summary: try jr.string("summary"),
                       state: try jr.string("state"), step: try jr.int("step"), steps: try jr.int("steps"), waitedSeconds: try jr.double("waitedSeconds"),
                       runSeconds: try jr.double("runSeconds"))
        }
    }

    public var json: JSON {
        ["jobs": .array(jobs.map { j in
            ["id": JSON(j.id), "uid": JSON(j.uid), "method": .string(j.method), "summary": .string(j.summary),
             "state": .string(j.state), "step": JSON(j.step), "steps": JSON(j.steps), "waitedSeconds": JSON(j.waitedSeconds),
             "runSeconds": JSON(j.runSeconds)]
        })]
    }
}
