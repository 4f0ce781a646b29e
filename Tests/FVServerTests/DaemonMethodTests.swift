import FVImage
import FVProtocol
import FVTransport
import Foundation
import XCTest

/// Every method, over a real socket.
final class DaemonMethodTests: XCTestCase {
    static var daemon: TestDaemon!

    override class func setUp() {
        daemon = try? TestDaemon()
    }

    override class func tearDown() {
        daemon?.stop()
    }

    var d: TestDaemon {
        get throws {
            guard let d = Self.daemon else { throw XCTSkip("daemon did not start") }
            return d
        }
    }

    func testInfoListsTheLayersAndWeights() throws {
        let r = try InfoResult(try d.client().call("info"))
        XCTAssertEqual(r.layers.count, 13)
        XCTAssertEqual(r.layers[4].name, "block3_conv1")
        XCTAssertEqual(r.layers[4].filters, 256)
        XCTAssertEqual(r.weights.checksum.count, 16)
        XCTAssertEqual(r.presets["seed"]?.steps, 1000)
    }

    func testPatternStreamsProgressInOrderAndReturnsAPNG() throws {
        var steps: [Int64] = []
        var jobIDs = Set<Int64>()
        let r = try d.client().call("pattern", smallPattern(7, steps: 6, seed: 11)) { method, p in
            XCTAssertEqual(method, "progress")
            steps.append(p["step"]?.intValue ?? -1)
            if let j = p["job"]?.intValue { jobIDs.insert(j) }
            XCTAssertEqual(p["steps"], 6)
            XCTAssertNotNil(p["loss"]?.doubleValue)
        }
        XCTAssertFalse(steps.isEmpty)
        XCTAssertEqual(steps, steps.sorted(), "progress arrives in order")
        XCTAssertEqual(steps.last, 6, "the last step is always reported")
        XCTAssertEqual(jobIDs.count, 1)
        let result = try PatternResult(r)
        let img = try PNGCodec.decode(result.png)
        XCTAssertEqual(img.width, 32)
        XCTAssertEqual(img.height, 32)
        XCTAssertGreaterThan(result.loss, 0)
        XCTAssertFalse(result.cached)
        XCTAssertEqual(result.job.map(Int64.init), jobIDs.first, "the result names the job its progress came from")
    }

    func testSecondIdenticalRequestIsACacheHit() throws {
        let c = try d.client()
        let first = try c.call("pattern", smallPattern(9, steps: 3, seed: 5))
        let t0 = Date()
        let second = try c.call("pattern", smallPattern(9, steps: 3, seed: 5))
        let dt = Date().timeIntervalSince(t0)
        XCTAssertEqual(second["cached"], true)
        XCTAssertEqual(second["png"], first["png"])
        XCTAssertEqual(second["loss"], first["loss"])
        XCTAssertLessThan(dt, 1.0, "a cache hit does not compute")
        let other = try c.call("pattern", smallPattern(9, steps: 3, seed: 6))
        XCTAssertEqual(other["cached"], false, "another seed is another image")
        XCTAssertNotEqual(other["png"], first["png"])
        XCTAssertGreaterThanOrEqual(try c.call("status")["cache"]?["hits"]?.intValue ?? 0, 1)
    }

    func testGridTilesEveryFilterWithItsLoss() throws {
        let p = GridParams(layer: "block3_conv1", filters: [0, 5, 27], columns: 2, margin: 5, options: RenderOptions(size: 24, steps: 2))
        let r = try GridResult(try d.client().call("grid", p.json))
        XCTAssertEqual(r.tiles.map(\.filter), [0, 5, 27])
        let img = try PNGCodec.decode(r.png)
        XCTAssertEqual(img.width, 2 * 24 + 5)
        XCTAssertEqual(img.height, 2 * 24 + 5)
        // The margin is black; the tiles are not.
        XCTAssertEqual(Array(img.pixels[(24 * 3)..<(29 * 3)]), [UInt8](repeating: 0, count: 15))
    }

    func testActivationsOfAPNGAndOfATensor() throws {
        var px = [UInt8]()
        for y in 0..<32 { for x in 0..<32 { px += [UInt8(x * 8), UInt8(y * 8), 128] } }
        let png = try PNGCodec.encode(RGBImage(width: 32, height: 32, pixels: px))
        let r = try ActivationsResult(try d.client().call("activations", ActivationsParams(layer: "block3_conv1", png: Data(png).base64EncodedString(), top: 5).json))
        XCTAssertEqual(r.means.count, 256)
        XCTAssertEqual(r.width, 8)
        XCTAssertEqual(r.top.count, 5)
        XCTAssertEqual(r.top[0].mean, r.means.max())
        let tops = r.top.map(\.mean)
        XCTAssertEqual(tops, tops.sorted(by: >))

        let tensor: JSON = ["height": 16, "width": 16, "data": .array(Array(repeating: JSON(50.0), count: 16 * 16 * 3))]
        let t = try d.client().call("activations", ActivationsParams(layer: "block1_conv1", tensor: tensor, top: 3).json)
        XCTAssertEqual(t["channels"], 64)
        XCTAssertThrowsError(try d.client().call("activations", ActivationsParams(layer: "block1_conv1", tensor: ["height": 16, "width": 16, "data": [1, 2]]).json)) {
            XCTAssertEqual(($0 as? RPCError)?.code, RPCError.invalidParams)
        }
    }

    func testJobsListAndCancelByRequestFromAnotherConnection() throws {
        let a = try d.client()
        let jobID = LockedValue<Int64?>(nil)
        let result = LockedValue<Result<JSON, Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        Thread {
            do {
                let r = try a.call("pattern", smallPattern(1, steps: 100_000, size: 48, seed: 99)) { _, p in jobID.set(p["job"]?.intValue) }
                result.set(.success(r))
            } catch { result.set(.failure(error)) }
            done.signal()
        }.start()
        let deadline = Date().addingTimeInterval(20)
        while jobID.get() == nil && Date() < deadline { usleep(20_000) }
        let id = try XCTUnwrap(jobID.get(), "no progress arrived")
        let b = try d.client()
        let jobs = try XCTUnwrap(b.call("jobs")["jobs"]?.arrayValue)
        XCTAssertTrue(jobs.contains { $0["id"]?.intValue == id && $0["state"] == "running" })
        let t0 = Date()
        XCTAssertEqual(try b.call("cancel", ["job": .int(id)])["cancelled"], true)
        XCTAssertEqual(done.wait(timeout: .now() + 5), .success)
        XCTAssertLessThan(Date().timeIntervalSince(t0), 1.0, "cancelled within a second")
        guard case .failure(let e)? = result.get() else { return XCTFail("the job was not cancelled") }
        XCTAssertEqual((e as? RPCError)?.code, RPCError.jobCancelled)
        XCTAssertThrowsError(try b.call("cancel", ["job": .int(id)])) { XCTAssertEqual(($0 as? RPCError)?.code, RPCError.noSuchJob) }
    }

    func testDisconnectCancelsTheJobWithinASecond() throws {
        let a = try d.client()
        try a.send(line: JSONCodec.serialize(RPCRequest(id: 1, method: "pattern", params: smallPattern(2, steps: 100_000, size: 48, seed: 98)).json))
        _ = try a.readMessage()  // first progress: it runs
        a.close()
        let b = try d.client()
        let deadline = Date().addingTimeInterval(1.0)
        var running = 1
        while Date() < deadline {
            running = Int(try b.call("status")["queue"]?["running"]?.intValue ?? -1)
            if running == 0 { break }
            usleep(20_000)
        }
        XCTAssertEqual(running, 0, "the disconnected client's job still runs after 1 s")
    }

    func testTwoClientsAtOnceBothGetTheirOwnResults() throws {
        let results = LockedValue<[Int: JSON]>([:])
        let group = DispatchGroup()
        for f in [4, 8] {
            group.enter()
            Thread {
                defer { group.leave() }
                if let c = try? self.d.client(), let r = try? c.call("pattern", smallPattern(f, steps: 3, seed: 21)) {
                    results.update { $0[f] = r }
                }
            }.start()
        }
        XCTAssertEqual(group.wait(timeout: .now() + 60), .success)
        let r = results.get()
        XCTAssertEqual(r.count, 2)
        XCTAssertNotEqual(r[4]?["png"], r[8]?["png"])
        // Each equals what it would be alone (the daemon may have batched them).
        let solo = try d.client().call("pattern", PatternParams(layer: "block2_conv1", filter: 4, options: RenderOptions(size: 32, steps: 3, stepSize: 1, seed: 21), progress: false).json)
        XCTAssertEqual(solo["loss"], r[4]?["loss"])
    }

    /// A filter that never fires has a zero gradient and leaves the start noise; say so.
    func testADeadFilterIsReportedNotSilentlyReturnedAsNoise() throws {
        // 100,000 steps asked; the filter never fires, so the job ends after the first.
        let t0 = Date()
        let dead = try PatternResult(try d.client().call("pattern", PatternParams(layer: "block5_conv3", filter: 3, options: RenderOptions(size: 16, steps: 100_000), progress: false).json))
        XCTAssertLessThan(Date().timeIntervalSince(t0), 10, "it did not run 100,000 steps of nothing")
        XCTAssertEqual(dead.loss, 0)
        XCTAssertEqual(dead.stepsRun, 1)
        XCTAssertEqual(dead.steps, 100_000)
        XCTAssertTrue(dead.note?.contains("never activated from this start, so fvd stopped after step 1") ?? false, "\(dead.note ?? "no note")")
        let grid = try GridResult(try d.client().call("grid", GridParams(layer: "block5_conv3", filters: [3, 0], options: RenderOptions(size: 16, steps: 2)).json))
        XCTAssertEqual(grid.tiles.map(\.neverFired), [true, grid.tiles[1].loss == 0], "the grid says which tiles never fired")
        let alive = try d.client().call("pattern", smallPattern(3, steps: 2))
        XCTAssertGreaterThan(alive["loss"]?.doubleValue ?? 0, 0)
        XCTAssertNil(alive["note"])
    }

    /// A contact sheet in Lucid's style: tiles the grid preset leaves grey are drawn, batched in
    /// one run, each with its history; snapshots are refused for grids (pattern only).
    func testLucidGridDrawsTilesTheGridPresetLeavesGrey() throws {
        let plain = try GridResult(try d.client().call("grid", GridParams(layer: "block5_conv3", filters: [3, 10], options: RenderOptions(size: 32, steps: 2), progress: false).json))
        XCTAssertEqual(plain.tiles.map(\.neverFired), [true, true])
        let lucid = try GridResult(try d.client().call("grid", GridParams(layer: "block5_conv3", filters: [3, 10],
                                                                          options: RenderOptions(preset: "lucid", size: 32, steps: 8), progress: false, labels: true).json))
        XCTAssertEqual(lucid.tiles.map(\.neverFired), [false, false])
        XCTAssertEqual(lucid.tiles.map(\.history.count), [8, 8])
        XCTAssertThrowsError(try d.client().call("grid", GridParams(layer: "block5_conv3", filters: [3], options: RenderOptions(snapshots: [1])).json)) {
            XCTAssertEqual(($0 as? RPCError)?.message, "snapshots are for pattern; a grid returns only its final tiles")
        }
    }

    /// A default lucid grid is budgeted at its network input (up to 1.2x each tile's side): with
    /// a budget of 64 tiles of 32 px, the lucid grid (48 px network input) gets the 28 that fit;
    /// the grid preset's 64 tiles of 32 px still fit whole.
    func testDefaultLucidGridTakesWhatFitsTheBudget() throws {
        let small = try TestDaemon { $0.limits.maxPixels = 64 * 32 * 32 }
        defer { small.stop() }
        let lucid = try GridResult(try small.client().call("grid", GridParams(layer: "block1_conv2", options: RenderOptions(preset: "lucid", size: 32, steps: 1), progress: false).json))
        XCTAssertEqual(lucid.tiles.count, 65536 / (48 * 48))
        let plain = try GridResult(try small.client().call("grid", GridParams(layer: "block1_conv2", options: RenderOptions(size: 32, steps: 1), progress: false).json))
        XCTAssertEqual(plain.tiles.count, 64)
    }

    /// The filter the seed preset leaves grey (never fires) gets a picture with the lucid
    /// preset; the same request gives the same bytes; changing the seed changes the picture;
    /// and a size the Fourier picture cannot use is refused before anything runs.
    func testLucidPresetOverTheSocket() throws {
        func lucid(seed: Int) throws -> PatternResult {
            let p = PatternParams(layer: "block5_conv3", filter: 3, options: RenderOptions(preset: "lucid", size: 48, steps: 20, seed: seed), progress: false)
            return try PatternResult(try d.client().call("pattern", p.json))
        }
        let a = try lucid(seed: 1)
        XCTAssertNil(a.note, "a lucid render of a dead filter is not reported as never firing")
        XCTAssertEqual(a.stepsRun, 20)
        let img = try PNGCodec.decode(a.png)
        XCTAssertEqual(img.width, 48)
        let px = img.pixels.map(Double.init)
        let mean = px.reduce(0, +) / Double(px.count)
        let std = (px.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(px.count)).squareRoot()
        XCTAssertGreaterThan(std, 2, "not a grey square")
        let again = try lucid(seed: 1)
        XCTAssertEqual(again.png, a.png)
        XCTAssertTrue(again.cached)
        let other = try lucid(seed: 2)
        XCTAssertFalse(other.cached)
        XCTAssertNotEqual(other.png, a.png)
        XCTAssertThrowsError(try d.client().call("pattern", PatternParams(layer: "block5_conv3", filter: 3, options: RenderOptions(preset: "lucid", size: 49)).json)) {
            XCTAssertEqual(($0 as? RPCError)?.message, "size 49 does not work with the lucid preset; use an even size up to 512 pixels")
        }
    }

    /// Lucid's negative pair: one request, two pictures side by side; the negative one drives
    /// the filter below zero while the positive one drives it up.
    func testNegativePairIsTiledBesideThePositive() throws {
        let p = PatternParams(layer: "block3_conv1", filter: 27, options: RenderOptions(preset: "lucid", size: 32, steps: 24, seed: 4),
                              progress: false, negative: true)
        let r = try PatternResult(try d.client().call("pattern", p.json))
        let img = try PNGCodec.decode(r.png)
        XCTAssertEqual(img.width, 2 * 32 + 5, "two tiles and a margin")
        XCTAssertEqual(img.height, 32)
        let negative = try XCTUnwrap(r.negativeLoss)
        XCTAssertGreaterThan(r.loss, 0)
        XCTAssertGreaterThan(negative, 0, "the negative picture's objective (minus the mean) rose above 0")
        let solo = try PatternResult(try d.client().call("pattern", PatternParams(layer: "block3_conv1", filter: 27,
                                                                                 options: RenderOptions(preset: "lucid", size: 32, steps: 24, seed: 4),
                                                                                 progress: false).json))
        XCTAssertFalse(solo.cached, "the pair and the single picture are different cache entries")
        XCTAssertNil(solo.negativeLoss)
        XCTAssertEqual(solo.loss, r.loss, "the positive picture of the pair is the single picture")
    }

    /// The objective over the socket: a neuron, a direction, a weighted sum, diversity (N
    /// distinct images that never share a batch), snapshots; bad objectives named precisely.
    func testObjectivesOverTheSocket() throws {
        func render(_ o: ObjectiveParams, size: Int = 32, steps: Int = 6, snapshots: [Int]? = nil, layer: String = "block2_conv1") throws -> PatternResult {
            let options = RenderOptions(preset: "lucid", size: size, steps: steps, seed: 2, objective: o, snapshots: snapshots)
            return try PatternResult(try d.client().call("pattern", PatternParams(layer: layer, filter: 3, options: options, progress: false).json))
        }
        let neuron = try render(ObjectiveParams(terms: [.init(type: .neuron, x: 2, y: 5)]), snapshots: [2, 4])
        XCTAssertEqual(neuron.snapshots.map(\.step), [2, 4])
        XCTAssertEqual(try PNGCodec.decode(neuron.snapshots[0].png).width, 32)
        XCTAssertNotEqual(neuron.snapshots[0].png, neuron.png)
        XCTAssertGreaterThan(neuron.history.last!, neuron.history.first!)
        let v = (0..<128).map { Double($0 % 3) - 1 }
        let direction = try render(ObjectiveParams(terms: [.init(type: .direction, vector: v)]))
        XCTAssertGreaterThan(direction.history.last!, direction.history.first!)
        let sum = try render(ObjectiveParams(terms: [.init(type: .channel, weight: 1), .init(type: .neuron, weight: 0.5)]))
        XCTAssertNotEqual(sum.png, neuron.png)
        let diverse = try render(ObjectiveParams(terms: [.init(type: .channel)], diversity: 3))
        XCTAssertEqual(try PNGCodec.decode(diverse.png).width, 3 * 32 + 2 * 5, "three pictures in a row")
        XCTAssertEqual(diverse.losses.count, 3)

        let c = try d.client()
        let bad: [(ObjectiveParams, String)] = [
            (ObjectiveParams(terms: [.init(type: .direction, vector: [1, 2])]), "a direction in block2_conv1 needs 128 numbers (one per channel), got 2"),
            (ObjectiveParams(terms: [.init(type: .neuron, x: 99, y: 0)]), "neuron position (99, 0) is outside block2_conv1, which is 16x16 for a 32 px picture; use x and y in 0...15"),
            (ObjectiveParams(terms: [.init(type: .channel)], diversityWeight: 5), "\"diversityWeight\" needs \"diversity\": the number of images (2 or more) to keep apart"),
        ]
        for (o, message) in bad {
            let p = PatternParams(layer: "block2_conv1", filter: 3, options: RenderOptions(preset: "lucid", size: 32, steps: 2, objective: o))
            XCTAssertThrowsError(try c.call("pattern", p.json)) { XCTAssertEqual(($0 as? RPCError)?.message, message) }
        }
        XCTAssertThrowsError(try c.call("pattern", ["layer": "block2_conv1", "filter": 3, "objective": ["terms": [["type": "neurone"]]]])) {
            XCTAssertEqual(($0 as? RPCError)?.message, "objective term type \"neurone\" is unknown; types: channel, neuron, direction, deepdream")
        }
        XCTAssertThrowsError(try c.call("pattern", ["layer": "block2_conv1", "filter": 3, "penalties": ["tv": 0.1]])) {
            XCTAssertEqual(($0 as? RPCError)?.message, "penalties (total variation, L1, blur) work on the lucid preset's pictures; add --preset lucid")
        }
    }

    /// DeepDream over the socket: the photo comes back dreamed at its own size, with progress
    /// and a per-step history; the same request is a cache hit; a bad photo is named.
    func testDreamOverTheSocket() throws {
        let (w, h) = (48, 36)
        let px = (0..<(w * h)).flatMap { p -> [UInt8] in [UInt8(p % w * 5), UInt8(p / w * 7), 128] }
        let png = try PNGCodec.encode(RGBImage(width: w, height: h, pixels: px))
        let params = DreamParams(layer: "block3_conv1", image: Data(png).base64EncodedString(), steps: 3, octaves: 2, seed: 5)
        var steps: [Int64] = []
        let r = try DreamResult(try d.client().call("dream", params.json) { _, p in steps.append(p["step"]?.intValue ?? -1) })
        XCTAssertEqual(steps.last, 6)
        let img = try PNGCodec.decode(r.png)
        XCTAssertEqual([img.width, img.height], [w, h])
        XCTAssertNotEqual(img.pixels, px)
        XCTAssertEqual(r.history.count, 6)
        XCTAssertFalse(r.cached)
        let again = try DreamResult(try d.client().call("dream", params.json))
        XCTAssertTrue(again.cached)
        XCTAssertEqual(again.png, r.png)
        XCTAssertThrowsError(try d.client().call("dream", DreamParams(layer: "block3_conv1", image: "bm90IGFuIGltYWdl").json)) {
            XCTAssertEqual(($0 as? RPCError)?.code, RPCError.invalidParams)
            XCTAssertTrue(($0 as? RPCError)?.message.contains("PNG") ?? false, "\($0)")
        }
    }

    func testUnknownLayerAndFilterListTheValidOnes() throws {
        let c = try d.client()
        XCTAssertThrowsError(try c.call("pattern", ["layer": "block3_conv9", "filter": 1])) {
            let e = $0 as? RPCError
            XCTAssertEqual(e?.code, RPCError.invalidParams)
            XCTAssertTrue(e?.message.contains("valid layers: block1_conv1, block1_conv2") ?? false, "\($0)")
        }
        XCTAssertThrowsError(try c.call("pattern", ["layer": "block1_conv1", "filter": 64])) {
            XCTAssertEqual(($0 as? RPCError)?.message, "filter 64 does not exist in block1_conv1; valid filters are 0...63")
        }
    }
}

final class LockedValue<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var v: T
    init(_ v: T) { self.v = v }
    func get() -> T { lock.lock(); defer { lock.unlock() }; return v }
    func set(_ n: T) { lock.lock(); v = n; lock.unlock() }
    func update(_ f: (inout T) -> Void) { lock.lock(); f(&v); lock.unlock() }
}
