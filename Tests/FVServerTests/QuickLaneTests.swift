import FVImage
import FVProtocol
import FVTransport
import Foundation
import XCTest

/// Quick work (`activations`) beside long renders, and the pictures that used to hold the engine:
/// the real daemon over its socket.
final class QuickLaneTests: XCTestCase {
    func noisePicture(_ side: Int) -> [UInt8] {
        var s: UInt32 = 7
        return (0..<(side * side * 3)).map { _ in
            s = s &* 1_664_525 &+ 1_013_904_223
            return UInt8(s >> 24)
        }
    }

    func activations(_ bytes: [UInt8], layer: String = "block3_conv1") -> JSON {
        ActivationsParams(layer: layer, png: Data(bytes).base64EncodedString(), top: 3).json
    }

    /// A researcher's heat map while their own 224 px render runs: it used to wait for the whole
    /// render (21 s in the report); now it waits at most a step.
    func testActivationsDoNotWaitForTheSameUsersLongRender() throws {
        let d = try TestDaemon { $0.progressInterval = 0 }
        defer { d.stop() }
        let render = try d.client()
        let long = PatternParams(layer: "block3_conv1", filter: 1, options: RenderOptions(size: 224, steps: 100_000, stepSize: 1)).json
        try render.send(line: JSONCodec.serialize(RPCRequest(id: 1, method: "pattern", params: long).json))
        var job: Int64?
        while job == nil {  // running: its first progress notification
            let m = try render.readMessage()
            if m["method"] == .string(ServerNotification.progress) { job = m["params"]?["job"]?.intValue }
        }
        let png = try PNGCodec.encode(RGBImage(width: 64, height: 64, pixels: noisePicture(64)))
        var waits: [Double] = []
        for _ in 0..<3 {
            let t0 = Date()
            let r = try ActivationsResult(try d.client().call("activations", activations(png)))
            waits.append(Date().timeIntervalSince(t0))
            XCTAssertEqual(r.top.count, 3)
        }
        print("activations beside the same user's 224 px render: \(waits.map { String(format: "%.3f s", $0) })")
        XCTAssertLessThan(waits.min()!, 1.0, "an activations request waits a step of the render, not the render")
        let jobs = try XCTUnwrap(try d.client().call("jobs")["jobs"]?.arrayValue)
        XCTAssertEqual(jobs.first?["id"]?.intValue, job, "the render was still running meanwhile")
        _ = try d.client().call("cancel", CancelParams(job: Int(job!)).json)
    }

    /// A legal progressive JPEG of 569 scans (the red team's had 64,813 and took 40 s of CPU) is
    /// refused at its 501st scan, at once, with a message that says what to do.
    func testAProgressiveJPEGPastTheScanLimitIsRefusedAtOnce() throws {
        let d = try TestDaemon()
        defer { d.stop() }
        let jpeg = try JPEGCodec.encode(noisePicture(512), width: 512, height: 512, components: 3, progressionPasses: 3)
        let t0 = Date()
        XCTAssertThrowsError(try d.client().call("activations", activations(jpeg))) {
            XCTAssertEqual(($0 as? RPCError)?.code, RPCError.invalidParams)
            XCTAssertTrue("\($0)".contains("more than 500 progressive scans"), "\($0)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(t0), 5)
        let ok = try JPEGCodec.encode(noisePicture(64), width: 64, height: 64, components: 3, progressionPasses: 1)
        XCTAssertEqual(try ActivationsResult(try d.client().call("activations", activations(ok))).top.count, 3, "191 scans are fine")
    }

    /// The time limit reaches into a picture's decode: `--job-time-limit` used to leave a slow
    /// JPEG running for 96 s.
    func testTheTimeLimitStopsADecode() throws {
        let d = try TestDaemon {
            $0.jobTimeLimit = 0.003
            $0.maxLineBytes = 8 << 20
        }
        defer { d.stop() }
        let jpeg = try JPEGCodec.encode(noisePicture(1024), width: 1024, height: 1024, components: 3, progressionPasses: 2, quality: 98)
        XCTAssertThrowsError(try d.client().call("activations", activations(jpeg))) {
            XCTAssertEqual(($0 as? RPCError)?.code, RPCError.timeLimit, "\($0)")
        }
        XCTAssertNotNil(try d.client().call("status")["version"], "the daemon goes on")
    }
}

/// Red team round 3, item 8: about 4% of cancels answered `cancelled: true` while the job still
/// returned its result. The cancel's answer and the job's must agree, every time.
final class CancelAgreementTests: XCTestCase {
    func testACancelsAnswerAgreesWithTheJobsOutcome() throws {
        let d = try TestDaemon {
            $0.progressInterval = 0
            $0.cacheDirectory = nil
        }
        defer { d.stop() }
        let other = try d.client()
        var counts = (cancelled: 0, finished: 0)
        for trial in 0..<40 {
            let c = try d.client()
            let p = PatternParams(layer: "block1_conv2", filter: trial % 64, options: RenderOptions(size: 16, steps: 2 + trial % 3, stepSize: 1, seed: trial)).json
            try c.send(line: JSONCodec.serialize(RPCRequest(id: 1, method: "pattern", params: p).json))
            var job: Int64?
            var answer: JSON?
            while job == nil && answer == nil {
                let m = try c.readMessage()
                if m["id"] == .int(1) { answer = m } else { job = m["params"]?["job"]?.intValue }
            }
            guard let id = job else { continue }  // finished before any progress was read
            let r: JSON
            do { r = try other.call("cancel", CancelParams(job: Int(id)).json) } catch let e as RPCError where e.code == RPCError.noSuchJob {
                r = ["cancelled": false]  // answered and gone before the cancel arrived
            }
            while answer == nil {
                let m = try c.readMessage()
                if m["id"] == .int(1) { answer = m }
            }
            let jobCancelled = answer?["error"]?["code"] == .int(Int64(RPCError.jobCancelled))
            XCTAssertEqual(r["cancelled"], .bool(jobCancelled), "trial \(trial): cancel said \(r), the job said \(answer!)")
            if jobCancelled { counts.cancelled += 1 } else { counts.finished += 1 }
            c.close()
        }
        print("cancel agreement: \(counts.cancelled) cancelled, \(counts.finished) finished first, none contradicted")
    }
}
