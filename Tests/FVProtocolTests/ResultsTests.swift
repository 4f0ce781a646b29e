import FVProtocol
import XCTest

/// Every typed result survives its own JSON form, through the real codec, and a result that
/// lacks a member or has one of the wrong type is refused with the member's name.
final class ResultsTests: XCTestCase {
    func roundTrip(_ json: JSON) throws -> JSON { try JSONCodec.parse(JSONCodec.serialize(json)) }

    func testEachResultRoundTrips() throws {
        let pattern = PatternResult(png: [0x89, 0x50, 1, 2], loss: 863.7216, layer: "block3_conv1", filter: 27, size: 150, steps: 1000,
                                    stepSize: 0.1, seed: 0, weights: "4654c03283666fb8", note: "n", cached: false, job: 3)
        XCTAssertEqual(try PatternResult(try roundTrip(pattern.json)), pattern)
        let grid = GridResult(png: [1], layer: "block4_conv3", columns: 2, rows: 1, margin: 5, width: 133, height: 64,
                              tiles: [.init(filter: 0, loss: 1.5), .init(filter: 7, loss: 0)], size: 64, steps: 40, stepSize: 1, seed: 2,
                              weights: "w", cached: true)
        XCTAssertEqual(try GridResult(try roundTrip(grid.json)), grid)
        let act = ActivationsResult(layer: "block5_conv3", height: 14, width: 14, channels: 2, means: [0.25, 3], top: [.init(filter: 1, mean: 3)])
        XCTAssertEqual(try ActivationsResult(try roundTrip(act.json)), act)
        let info = InfoResult(layers: [.init(name: "block1_conv1", index: 0, filters: 64, inputChannels: 3, poolAfter: false)],
                              weights: .init(path: "/w", checksum: "c", sourceSHA256: "s", credit: "cc"),
                              presets: ["seed": .init(size: 150, steps: 1000, stepSize: 0.1)],
                              limits: .init(minSize: 16, maxSize: 1024, maxSteps: 100_000, maxBatch: 256, maxPixels: 1 << 20, jobTimeLimitSeconds: 900, maxLineBytes: 1 << 20))
        XCTAssertEqual(try InfoResult(try roundTrip(info.json)), info)
        let status = StatusResult(version: "0.1.0", pid: 42, uptimeSeconds: 3.5, weightsPath: "/w", weightsChecksum: "c",
                                  queue: .init(queued: 1, running: 2, mergedRuns: 3, inProgress: 1, workspaceBytes: 99),
                                  cache: .init(directory: nil, entries: 0, bytes: 0, maxBytes: 1, hits: 2, misses: 3, writeFailures: 0),
                                  connections: 4, outboxPending: 0, outboxBytes: 0, residentTransformedWeightsBytes: 470_693_376)
        XCTAssertEqual(try StatusResult(try roundTrip(status.json)), status)
        let jobs = JobsResult(jobs: [.init(id: 1, uid: 1000, method: "pattern", summary: "block3_conv1 [27]", state: "running", step: 5, steps: 1000, waitedSeconds: 0.25)])
        XCTAssertEqual(try JobsResult(try roundTrip(jobs.json)), jobs)
    }

    func testAMissingOrMistypedMemberIsNamed() throws {
        var o = PatternResult(png: [1], loss: 1, layer: "l", filter: 1, size: 16, steps: 1, stepSize: 1, seed: 0, weights: "w").json.objectValue!
        o["size"] = "big"
        XCTAssertThrowsError(try PatternResult(.object(o))) {
            XCTAssertEqual("\($0)", "the daemon's pattern result has no integer \"size\"; is fvd the same version as this client?")
        }
        o["size"] = nil
        XCTAssertThrowsError(try PatternResult(.object(o)))
        XCTAssertThrowsError(try JobsResult(["jobs": [["id": 1]]]))
        XCTAssertThrowsError(try StatusResult("not an object"))
    }
}
