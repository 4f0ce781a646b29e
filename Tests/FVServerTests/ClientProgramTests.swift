import FVImage
import FVProtocol
import Foundation
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// fvctl (the real binary) and the Python example, against a daemon on a temporary socket.
final class ClientProgramTests: XCTestCase {
    static var daemon: TestDaemon!

    override class func setUp() { daemon = try? TestDaemon() }
    override class func tearDown() { daemon?.stop() }

    func fvctl() throws -> String {
        guard let p = builtBinary("fvctl") else {
            XCTFail("fvctl is not built; run `swift build` first")
            throw XCTSkip("no fvctl")
        }
        return p
    }

    func testPatternWritesTheFileAndPrintsItsPath() throws {
        let d = try XCTUnwrap(Self.daemon)
        let cwd = d.dir + "/work"
        try FileManager.default.createDirectory(atPath: cwd, withIntermediateDirectories: true)
        let (status, out, err) = try runProgram(try fvctl(), ["pattern", "block2_conv2", "5", "--size", "32", "--steps", "3", "--socket", d.socketPath], cwd: cwd)
        XCTAssertEqual(status, 0, err)
        XCTAssertEqual(out, "block2_conv2_5.png\n")
        let png = try XCTUnwrap(FileManager.default.contents(atPath: cwd + "/block2_conv2_5.png"))
        XCTAssertEqual(try PNGCodec.decode([UInt8](png)).width, 32)
        XCTAssertTrue(err.contains("step 3/3"), "plain progress lines when not a terminal: \(err)")
        XCTAssertNotNil(err.range(of: #"fvctl: block2_conv2_5.png: objective [0-9.]+ after 3 steps, [0-9.]+ s"#, options: .regularExpression),
                        "the objective and the time, for people, on stderr: \(err)")
        let (_, again, againErr) = try runProgram(try fvctl(), ["pattern", "block2_conv2", "5", "--size", "32", "--steps", "3", "--socket", d.socketPath, "--force"], cwd: cwd)
        XCTAssertEqual(again, "block2_conv2_5.png\n", "stdout stays the path alone, for scripts")
        XCTAssertTrue(againErr.contains("(cached)"), againErr)
        let (_, _, freshErr) = try runProgram(try fvctl(), ["pattern", "block2_conv2", "5", "--size", "32", "--steps", "3", "--socket", d.socketPath,
                                                             "--force", "--fresh"], cwd: cwd)
        XCTAssertFalse(freshErr.contains("(cached)"), "--fresh renders anew: \(freshErr)")
        XCTAssertTrue(freshErr.contains("step 3/3"), freshErr)

        let (s2, out2, _) = try runProgram(try fvctl(), ["pattern", "block2_conv2", "5", "--size", "32", "--steps", "3", "--socket", d.socketPath, "--json", "-o", "x.png"], cwd: cwd)
        XCTAssertEqual(s2, 0)
        let j = try JSONCodec.parse(out2.trimmingCharacters(in: .whitespacesAndNewlines))
        XCTAssertEqual(j["path"], "x.png")
        XCTAssertEqual(j["cached"], true)
        XCTAssertNil(j["png"])
        XCTAssertEqual(j["history"]?.arrayValue?.count, 3, "the objective per step, cached with the result")
    }

    /// The objective options on the command line: a neuron at a position with snapshots written
    /// beside the output, a direction read from a file, diversity; mistakes caught before the
    /// render starts, with exit 64.
    func testObjectiveOptionsOnTheCommandLine() throws {
        let d = try XCTUnwrap(Self.daemon)
        let cwd = d.dir + "/objectives"
        try FileManager.default.createDirectory(atPath: cwd, withIntermediateDirectories: true)
        let common = ["--preset", "lucid", "--size", "32", "--steps", "5", "--socket", d.socketPath]
        let (s1, o1, e1) = try runProgram(try fvctl(), ["pattern", "block2_conv1", "4", "--objective", "neuron", "--at", "3,4", "--snapshots", "2,3", "-o", "n.png"] + common, cwd: cwd)
        XCTAssertEqual(s1, 0, e1)
        XCTAssertEqual(o1, "n.png\n")
        for f in ["n.png", "n-2.png", "n-3.png"] { XCTAssertTrue(FileManager.default.fileExists(atPath: cwd + "/" + f), f) }
        try (0..<128).map { String($0 % 2) }.joined(separator: ", ").write(toFile: cwd + "/v.txt", atomically: true, encoding: .utf8)
        let (s2, _, e2) = try runProgram(try fvctl(), ["pattern", "block2_conv1", "0", "--objective", "direction", "--vector", "v.txt", "-o", "dir.png"] + common, cwd: cwd)
        XCTAssertEqual(s2, 0, e2)
        let (s3, _, e3) = try runProgram(try fvctl(), ["pattern", "block2_conv1", "4", "--diversity", "2", "-o", "div.png"] + common, cwd: cwd)
        XCTAssertEqual(s3, 0, e3)
        XCTAssertEqual(try PNGCodec.decode([UInt8](try XCTUnwrap(FileManager.default.contents(atPath: cwd + "/div.png")))).width, 2 * 32 + 5)
        for (args, message) in [
            (["--objective", "neurone"], "\"neurone\" is neither a layer (`fvctl layers` lists them) nor a term (channel, neuron, direction, deepdream)"),
            (["--at", "1,2"], "--at goes with a neuron term"),
            (["--objective", "neuron", "--at", "x"], "--at takes X,Y"),
            (["--diversity", "1"], "--diversity must be 2-16 images, got 1"),
            (["--negative", "--diversity", "2"], "--negative and --diversity cannot be combined"),
            (["--snapshots", "a"], "--snapshots takes step numbers"),
            (["--pre-relu", "--post-relu"], "contradict each other"),
            (["--tv", "-1"], "--tv must be a weight of 0 or more, got -1.0"),
        ] {
            let (s, _, e) = try runProgram(try fvctl(), ["pattern", "block2_conv1", "4"] + args + common, cwd: cwd)
            XCTAssertEqual(s, 64, "\(args): \(e)")
            XCTAssertTrue(e.contains(message), "\(args): \(e)")
        }
    }

    /// Issue 24 item 4: `--objective` as a sum of terms on their own layers and filters, as
    /// Lucent users write them; the layer and filter arguments may be left out; the default file
    /// name says what was rendered; every mistake in the sum is named, exit 64, before a render.
    func testObjectiveSumsAcrossLayersOnTheCommandLine() throws {
        let d = try XCTUnwrap(Self.daemon)
        let cwd = d.dir + "/sums"
        try FileManager.default.createDirectory(atPath: cwd, withIntermediateDirectories: true)
        let common = ["--preset", "lucid", "--size", "32", "--steps", "4", "--socket", d.socketPath]
        let (s1, o1, e1) = try runProgram(try fvctl(), ["pattern", "--objective", "block2_conv1:3 - 0.5 * block1_conv2:5", "--json"] + common, cwd: cwd)
        XCTAssertEqual(s1, 0, e1)
        let j = try JSONCodec.parse(o1.trimmingCharacters(in: .whitespacesAndNewlines))
        XCTAssertEqual(j["path"], "block2_conv1-3_minus_0.5x_block1_conv2-5_lucid.png")
        XCTAssertEqual(j["layer"], "block2_conv1", "the first layer named is the request's")
        XCTAssertTrue(FileManager.default.fileExists(atPath: cwd + "/block2_conv1-3_minus_0.5x_block1_conv2-5_lucid.png"))
        // Against the same objective written term by term over the socket: the same picture.
        let raw: JSON = ["layer": "block2_conv1", "filter": 3, "preset": "lucid", "size": 32, "steps": 4, "objective": ["terms": .array([
            ["type": "channel", "layer": "block2_conv1", "filter": 3], ["type": "channel", "layer": "block1_conv2", "filter": 5, "weight": -0.5]])]]
        let direct = try d.client().call("pattern", raw)
        XCTAssertEqual(direct["cached"], true, "fvctl sent exactly these terms")
        // A term without a layer reads the command's layer and filter; a neuron with its position.
        let (s2, o2, e2) = try runProgram(try fvctl(), ["pattern", "block2_conv1", "7", "--objective", "channel - neuron(block2_conv2:9, 1, 2) + 0.1 * deepdream(block1_conv1)"] + common, cwd: cwd)
        XCTAssertEqual(s2, 0, e2)
        XCTAssertEqual(o2, "block2_conv1_7_lucid_channel_minus_neuron_block2_conv2-9_1_2_plus_0.1x_deepdream_block1_conv1.png\n")
        for (args, message) in [
            (["--objective", "block2_conv1:3 -"], "a term is missing at the end"),
            (["--objective", "block9_conv1:3"], "\"block9_conv1\" is neither a layer"),
            (["--objective", "block2_conv1"], "block2_conv1 needs a filter: block2_conv1:FILTER"),
            (["--objective", "deepdream(block2_conv1:4)"], "a deepdream term reads the whole layer, so it takes no :FILTER"),
            (["--objective", "channel(block2_conv1:4, 1, 1)"], "only neuron terms take a position"),
            (["--objective", "block2_conv1:3 / 2"], "\"/\" has no meaning here"),
            (["--objective", "channel"], "give the layer and filter"),
        ] {
            let (s, _, e) = try runProgram(try fvctl(), ["pattern"] + args + common, cwd: cwd)
            XCTAssertEqual(s, 64, "\(args): \(e)")
            XCTAssertTrue(e.contains(message), "\(args): \(e)")
        }
        let (s3, _, e3) = try runProgram(try fvctl(), ["pattern", "--objective", "block2_conv1:3 + block1_conv1:64"] + common, cwd: cwd)
        XCTAssertEqual(s3, 1, e3)
        XCTAssertTrue(e3.contains("a term names filter 64 of block1_conv1, which has filters 0...63"), e3)
    }

    /// Issue 23: `--preset natural` over the socket, with MACO's importance map as a heat-map PNG
    /// and the picture as RGBA with the importance as its opacity.
    func testTheNaturalPresetWithItsImportanceMap() throws {
        let d = try XCTUnwrap(Self.daemon)
        let cwd = d.dir + "/natural"
        try FileManager.default.createDirectory(atPath: cwd, withIntermediateDirectories: true)
        let (s, o, e) = try runProgram(try fvctl(), ["pattern", "block2_conv1", "4", "--preset", "natural", "--size", "32", "--steps", "4",
                                                     "--importance", "where.png", "--alpha", "--socket", d.socketPath], cwd: cwd)
        XCTAssertEqual(s, 0, e)
        XCTAssertEqual(o, "block2_conv1_4_natural.png\n")
        XCTAssertTrue(e.contains("where.png: the importance map"), e)
        let picture = [UInt8](try XCTUnwrap(FileManager.default.contents(atPath: cwd + "/block2_conv1_4_natural.png")))
        XCTAssertEqual(picture[25], 6, "colour type 6: RGBA, the importance as opacity")
        let heat = try PNGCodec.decode([UInt8](try XCTUnwrap(FileManager.default.contents(atPath: cwd + "/where.png"))))
        XCTAssertEqual([heat.width, heat.height], [32, 32])
        let (s2, _, e2) = try runProgram(try fvctl(), ["pattern", "block2_conv1", "4", "--preset", "natural", "--alpha", "-o", "x.npy", "--socket", d.socketPath], cwd: cwd)
        XCTAssertEqual(s2, 64)
        XCTAssertTrue(e2.contains("--alpha writes a PNG with transparency"), e2)
    }

    /// Issue 23's `--spectrum-from`: fvctl measures the folder's spectrum (skipping what it
    /// cannot use, with a line each), keeps it by the folder's contents, sends it, and the
    /// daemon draws with it; the same folder again comes from the cache, a changed one is
    /// measured anew; every mistake is named.
    func testTheNaturalPresetTakesItsSpectrumFromTheUsersPictures() throws {
        let d = try XCTUnwrap(Self.daemon)
        let cwd = d.dir + "/spectrum", photos = cwd + "/photos"
        try FileManager.default.createDirectory(atPath: photos, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: cwd + "/empty", withIntermediateDirectories: true)
        // Three "photographs" of vertical stripes with a little texture, one too small, one corrupt.
        func stripes(_ w: Int, _ h: Int, period: Int) throws -> Data {
            var px = [UInt8](repeating: 0, count: w * h * 3)
            for y in 0..<h {
                for x in 0..<w {
                    let v = 128 + 90 * sin(2 * Double.pi * Double(x) / Double(period)) + Double((x * 7 + y * 13) % 11)
                    px[(y * w + x) * 3] = UInt8(v)
                    px[(y * w + x) * 3 + 1] = UInt8(v * 0.8)
                    px[(y * w + x) * 3 + 2] = UInt8(v * 0.5)
                }
            }
            return Data(try PNGCodec.encode(RGBImage(width: w, height: h, pixels: px)))
        }
        for (i, period) in [5, 7, 9].enumerated() { try stripes(48, 40, period: period).write(to: URL(fileURLWithPath: photos + "/p\(i).png")) }
        try stripes(16, 16, period: 4).write(to: URL(fileURLWithPath: photos + "/tiny.png"))
        try Data([0xFF, 0xD8, 0xFF, 0x00, 1, 2, 3]).write(to: URL(fileURLWithPath: photos + "/bad.jpg"))
        let env = ["XDG_CACHE_HOME": cwd + "/cache"]
        let args = ["pattern", "block2_conv1", "4", "--preset", "natural", "--size", "32", "--steps", "4", "--socket", d.socketPath]

        let (s1, o1, e1) = try runProgram(try fvctl(), args + ["--spectrum-from", "photos"], cwd: cwd, env: env)
        XCTAssertEqual(s1, 0, e1)
        XCTAssertEqual(o1, "block2_conv1_4_natural_spectrum-photos.png\n", "the name says which spectrum")
        XCTAssertTrue(e1.contains("measured from 3 pictures (2 skipped); kept in \(cwd)/cache/fvd/spectra/"), e1)
        XCTAssertTrue(e1.contains("skipping tiny.png: 16x16 px is smaller than the 32 px render size"), e1)
        XCTAssertTrue(e1.contains("skipping bad.jpg"), e1)
        let kept = try FileManager.default.contentsOfDirectory(atPath: cwd + "/cache/fvd/spectra")
        XCTAssertEqual(kept.count, 1)
        XCTAssertTrue(kept[0].hasSuffix(".json"), "\(kept)")
        let first = try XCTUnwrap(FileManager.default.contents(atPath: cwd + "/block2_conv1_4_natural_spectrum-photos.png"))

        // Again: from the cache, the same picture (and the daemon's cache answers it).
        let (s2, _, e2) = try runProgram(try fvctl(), args + ["--spectrum-from", "photos", "-o", "again.png"], cwd: cwd, env: env)
        XCTAssertEqual(s2, 0, e2)
        XCTAssertTrue(e2.contains("from the cache (3 pictures)"), e2)
        XCTAssertEqual(FileManager.default.contents(atPath: cwd + "/again.png"), first)
        // The table fvctl sent, sent by hand: the daemon's cached result, so it is that table.
        let table = try JSONCodec.parse(try String(contentsOfFile: cwd + "/cache/fvd/spectra/" + kept[0], encoding: .utf8))
        let spectrum = try XCTUnwrap(table["spectrum"])
        let byHand = try d.client().call("pattern", ["layer": "block2_conv1", "filter": 4, "preset": "natural", "size": 32, "steps": 4, "spectrum": spectrum])
        XCTAssertEqual(byHand["cached"], true)
        // `fvctl spectrum` writes that very table, for programs that send requests themselves.
        let (s6, o6, e6) = try runProgram(try fvctl(), ["spectrum", "photos", "--size", "32", "--socket", d.socketPath], cwd: cwd, env: env)
        XCTAssertEqual(s6, 0, e6)
        XCTAssertEqual(try JSONCodec.parse(o6.trimmingCharacters(in: .whitespacesAndNewlines)), spectrum)
        let (s7, _, e7) = try runProgram(try fvctl(), ["spectrum", "photos", "--size", "32", "-o", "s.json", "--socket", d.socketPath], cwd: cwd, env: env)
        XCTAssertEqual(s7, 0, e7)
        XCTAssertEqual(try JSONCodec.parse(try String(contentsOfFile: cwd + "/s.json", encoding: .utf8)), spectrum)
        // A grid draws with it too (one request, the same table).
        let (sg, og, eg) = try runProgram(try fvctl(), ["grid", "block1_conv1", "--filters", "0-1", "--preset", "natural", "--size", "32", "--steps", "2",
                                                        "--spectrum-from", "photos", "--socket", d.socketPath], cwd: cwd, env: env)
        XCTAssertEqual(sg, 0, eg)
        XCTAssertEqual(og, "block1_conv1_grid_natural_spectrum-photos.png\n")
        XCTAssertTrue(eg.contains("from the cache (3 pictures)"), eg)
        // Without it, the analytic 1/f: another picture.
        let (s3, _, e3) = try runProgram(try fvctl(), args + ["-o", "plain.png"], cwd: cwd, env: env)
        XCTAssertEqual(s3, 0, e3)
        XCTAssertNotEqual(FileManager.default.contents(atPath: cwd + "/plain.png"), first)
        // A fourth picture: measured anew.
        try stripes(64, 64, period: 6).write(to: URL(fileURLWithPath: photos + "/p3.png"))
        let (s4, _, e4) = try runProgram(try fvctl(), args + ["--spectrum-from", "photos", "-o", "four.png"], cwd: cwd, env: env)
        XCTAssertEqual(s4, 0, e4)
        XCTAssertTrue(e4.contains("measured from 4 pictures"), e4)

        for (extra, status, message) in [
            (["--spectrum-from", "photos", "--preset", "lucid"], Int32(64), "--spectrum-from gives the natural preset its spectrum; add --preset natural"),
            (["--spectrum-from", "nowhere"], 1, "--spectrum-from nowhere: no such folder"),
            (["--spectrum-from", "empty"], 1, "--spectrum-from empty: no PNG or JPEG pictures in it"),
        ] {
            let (s, _, e) = try runProgram(try fvctl(), args + extra + ["-o", "x.png"], cwd: cwd, env: env)
            XCTAssertEqual(s, status, "\(extra): \(e)")
            XCTAssertTrue(e.contains(message), "\(extra): \(e)")
        }
        // Without --size the render's is the natural preset's, as the daemon's info says (128):
        // these small pictures cannot give it.
        let (s5, _, e5) = try runProgram(try fvctl(), ["pattern", "block2_conv1", "4", "--preset", "natural", "--spectrum-from", "photos",
                                                       "-o", "y.png", "--socket", d.socketPath], cwd: cwd, env: env)
        XCTAssertEqual(s5, 1, e5)
        XCTAssertTrue(e5.contains("none of its 6 pictures could be used"), e5)
        XCTAssertTrue(e5.contains("at least 128 px on their short side"), e5)

        // What the daemon refuses of a table sent by hand.
        func refusal(_ extra: [String: JSON]) throws -> String {
            var params: [String: JSON] = ["layer": "block2_conv1", "filter": 4, "preset": "natural", "size": 32, "steps": 2, "spectrum": spectrum]
            for (k, v) in extra { params[k] = v }
            do { _ = try d.client().call("pattern", .object(params)); return "accepted" } catch let e as RPCError { return e.message }
        }
        XCTAssertTrue(try refusal(["size": 48]).contains("the spectrum was measured at 32 px and the picture is 48 px"))
        XCTAssertTrue(try refusal(["preset": "lucid"]).contains("a measured spectrum (--spectrum-from) is the natural preset's"))
        XCTAssertTrue(try refusal(["spectrum": ["size": 32, "angles": 16, "amplitude": [1, 2]]]).contains("3 x 24 x 16 = 1152 amplitudes, got 2"))
        XCTAssertTrue(try refusal(["spectrum": ["size": 32, "angles": 16]]).contains("the spectrum needs \"amplitude\""))
        XCTAssertTrue(try refusal(["spectrum": ["size": 32, "angles": 16, "amplitude": [1], "colour": 1]]).contains("spectrum has no param \"colour\""))
    }

    /// `--plot-loss` writes the objective per step as a chart; the history has one value per
    /// step and rises for a live filter.
    func testPlotLossWritesTheObjectiveChart() throws {
        let d = try XCTUnwrap(Self.daemon)
        let cwd = d.dir + "/plot"
        try FileManager.default.createDirectory(atPath: cwd, withIntermediateDirectories: true)
        let (s, out, err) = try runProgram(try fvctl(), ["pattern", "block2_conv1", "7", "--size", "32", "--steps", "12", "--step-size", "1",
                                                        "--plot-loss", "loss.png", "--json", "--socket", d.socketPath], cwd: cwd)
        XCTAssertEqual(s, 0, err)
        let j = try JSONCodec.parse(out.trimmingCharacters(in: .whitespacesAndNewlines))
        let history = try XCTUnwrap(j["history"]?.arrayValue?.compactMap(\.doubleValue))
        XCTAssertEqual(history.count, 12)
        XCTAssertGreaterThan(history.last!, history.first!)
        let chart = try PNGCodec.decode([UInt8](try XCTUnwrap(FileManager.default.contents(atPath: cwd + "/loss.png"))))
        XCTAssertEqual(chart.width, 320)
        XCTAssertTrue(stride(from: 0, to: chart.pixels.count, by: 3).contains { chart.pixels[$0] == 30 && chart.pixels[$0 + 2] == 200 }, "a curve is drawn")
        let (s2, _, e2) = try runProgram(try fvctl(), ["pattern", "block2_conv1", "7", "--plot-loss", "-", "--socket", d.socketPath], cwd: cwd)
        XCTAssertEqual(s2, 64)
        XCTAssertTrue(e2.contains("--plot-loss needs a file name"), e2)
    }

    func testExitCodesAndMessages() throws {
        let d = try XCTUnwrap(Self.daemon)
        let (s1, _, e1) = try runProgram(try fvctl(), ["pattern", "block9_conv1", "1", "--socket", d.socketPath])
        XCTAssertEqual(s1, 1)
        XCTAssertTrue(e1.contains("unknown layer \"block9_conv1\"; valid layers: block1_conv1"), e1)
        let (s2, _, e2) = try runProgram(try fvctl(), ["status", "--socket", d.dir + "/nobody.sock"])
        XCTAssertEqual(s2, 3)
        XCTAssertTrue(e2.contains("no fvd answers on \(d.dir)/nobody.sock"), e2)
        let (s3, _, e3) = try runProgram(try fvctl(), ["pattern", "block1_conv1", "1", "--size", "16", "--steps", "1", "--socket", d.socketPath, "-o", "/nonexistent-dir/x.png"])
        XCTAssertEqual(s3, 64, "caught before the render starts")
        XCTAssertTrue(e3.contains("cannot write /nonexistent-dir/x.png: the directory /nonexistent-dir does not exist"), e3)
        let (s4, _, _) = try runProgram(try fvctl(), ["pattern", "block1_conv1"])
        XCTAssertEqual(s4, 64, "usage error")
        // What a newcomer hit: a preset that does not exist is a bad command line, and a text
        // file named .jpg is called what it is.
        let (s5b, _, e5b) = try runProgram(try fvctl(), ["pattern", "block1_conv1", "-1", "--size", "16", "--socket", d.socketPath])
        XCTAssertEqual(s5b, 64, e5b)
        XCTAssertTrue(e5b.contains("the filter is a number from 0"), "not the parser's 'Missing expected argument': \(e5b)")
        let (s6, _, e6) = try runProgram(try fvctl(), ["pattern", "block1_conv1", "1", "--preset", "foo", "--socket", d.socketPath])
        XCTAssertEqual(s6, 64, e6)
        XCTAssertTrue(e6.contains("--preset must be seed, grid, lucid, natural, got foo"), e6)
        let text = d.dir + "/notes.jpg"
        try Data("not a picture\n".utf8).write(to: URL(fileURLWithPath: text))
        let (s7, _, e7) = try runProgram(try fvctl(), ["activations", text, "block1_conv1", "--socket", d.socketPath])
        XCTAssertEqual(s7, 1, e7)
        XCTAssertTrue(e7.contains("neither a PNG nor a JPEG"), e7)
        let (s5, out5, _) = try runProgram(try fvctl(), ["layers", "--socket", d.socketPath])
        XCTAssertEqual(s5, 0)
        XCTAssertTrue(out5.contains("block3_conv1  256 filters"), out5)
    }

    /// fvbench without its weights says what is missing and what to do, in one line, instead of
    /// a Swift fatal error and a backtrace. A copy outside the source tree, so that it cannot
    /// find the tree's weights/.
    func testFvbenchWithoutWeightsSaysWhatToDo() throws {
        guard let built = builtBinary("fvbench") else { throw XCTSkip("fvbench is not built") }
        let installed = "/usr/local/share/fvd/vgg16.fvw"  // WeightsLocator.installedPath
        guard !FileManager.default.fileExists(atPath: installed) else {
            throw XCTSkip("weights are installed at \(installed): fvbench would find them")
        }
        let dir = NSTemporaryDirectory() + "fvbench-noweights-\(getpid())/bin"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: (dir as NSString).deletingLastPathComponent) }
        try FileManager.default.copyItem(atPath: built, toPath: dir + "/fvbench")
        let (status, _, err) = try runProgram(dir + "/fvbench", ["--jobs-only"], env: ["FVD_WEIGHTS": "/nonexistent/vgg16.fvw"])
        XCTAssertEqual(status, 1)
        XCTAssertTrue(err.hasPrefix("fvbench: weights file /nonexistent/vgg16.fvw does not exist"), err)
        XCTAssertTrue(err.contains("scripts/setup.sh"), err)
        XCTAssertFalse(err.contains("Fatal error"), err)
    }

    /// `fvbench --remeasure-trr DIR` with a folder that is not there, or holds none of the
    /// quality set's pictures, says so and fails (it printed an empty table and exited 0).
    func testFvbenchRemeasureWithoutPicturesSaysWhatToDo() throws {
        guard let built = builtBinary("fvbench") else { throw XCTSkip("fvbench is not built") }
        let missing = NSTemporaryDirectory() + "fvbench-no-such-dir-\(getpid())"
        var (status, out, err) = try runProgram(built, ["--remeasure-trr", missing])
        XCTAssertEqual(status, 1, out)
        XCTAssertTrue(err.hasPrefix("fvbench: \(missing) does not exist"), err)
        XCTAssertTrue(err.contains("fvbench --quality --out DIR"), err)
        let empty = NSTemporaryDirectory() + "fvbench-empty-dir-\(getpid())"
        try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: empty) }
        (status, out, err) = try runProgram(built, ["--remeasure-trr", empty])
        XCTAssertEqual(status, 1, out)
        XCTAssertTrue(err.contains("holds no picture named PRESET-LAYER-FILTER.png"), err)
    }

    func testCtrlCCancelsTheJobInTheDaemon() throws {
        let d = try XCTUnwrap(Self.daemon)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: try fvctl())
        p.arguments = ["pattern", "block2_conv1", "9", "--size", "64", "--steps", "100000", "--socket", d.socketPath, "-o", d.dir + "/never.png"]
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let watcher = try d.client()
        func running() throws -> Int { try watcher.call("jobs")["jobs"]?.arrayValue?.filter { $0["state"] == "running" }.count ?? 0 }
        let deadline = Date().addingTimeInterval(15)
        // Wait until the job runs and fvctl has seen a progress notification (it learns the job id).
        while try running() == 0 && Date() < deadline { usleep(20_000) }
        usleep(300_000)
        kill(p.processIdentifier, SIGINT)
        p.waitUntilExit()
        XCTAssertEqual(p.terminationStatus, 130)
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        XCTAssertTrue(text.contains("interrupted; the job was cancelled"), text)
        let t0 = Date()
        while try running() != 0 && Date().timeIntervalSince(t0) < 2 { usleep(10_000) }
        XCTAssertEqual(try running(), 0, "the daemon still runs the interrupted job")
        XCTAssertFalse(FileManager.default.fileExists(atPath: d.dir + "/never.png"))
    }

    func testThePythonExampleClient() throws {
        let d = try XCTUnwrap(Self.daemon)
        let script = repoRoot + "/examples/fvd_client.py"
        let (s1, out1, e1) = try runProgram("/usr/bin/env", ["python3", script, "--socket", d.socketPath, "info"])
        XCTAssertEqual(s1, 0, e1)
        XCTAssertTrue(out1.contains("block5_conv3 512"), out1)
        let png = d.dir + "/py.png"
        let (s2, out2, e2) = try runProgram("/usr/bin/env", ["python3", script, "--socket", d.socketPath, "pattern", "block1_conv2", "3", "--size", "24", "--steps", "3", "-o", png])
        XCTAssertEqual(s2, 0, e2)
        let j = try JSONCodec.parse(out2.trimmingCharacters(in: .whitespacesAndNewlines))
        XCTAssertGreaterThan(j["progress_notifications"]?.intValue ?? 0, 0)
        XCTAssertEqual(try PNGCodec.decode([UInt8](XCTUnwrap(FileManager.default.contents(atPath: png)))).width, 24)
        let (s3, _, e3) = try runProgram("/usr/bin/env", ["python3", script, "--socket", d.socketPath, "pattern", "nope", "3"])
        XCTAssertEqual(s3, 1)
        XCTAssertTrue(e3.contains("unknown layer"), e3)
    }

    /// What people type first: options before the subcommand, negative numbers, a near-miss
    /// layer name, --version. Each either works or says exactly what is wrong (exit 64).
    func testTheCommandLineForgivesOrderAndExplainsMistakes() throws {
        let d = try XCTUnwrap(Self.daemon)
        let (s1, o1, e1) = try runProgram(try fvctl(), ["--socket", d.socketPath, "status"])
        XCTAssertEqual(s1, 0, e1)
        XCTAssertTrue(o1.hasPrefix("daemon   fvd \(fvdVersion), pid"), o1)
        let (s2, o2, _) = try runProgram(try fvctl(), ["--json", "--socket", d.socketPath, "layers"])
        XCTAssertEqual(s2, 0)
        XCTAssertNotNil(try? InfoResult(try JSONCodec.parse(o2)), "--json before the subcommand applies")

        for (args, message) in [
            (["--step-size", "-1"], "--step-size must be a finite number above 0, got -1.0"),
            (["--size", "-5"], "--size must be 16-1024 pixels, got -5"),
            (["--steps", "0"], "--steps must be 1 or more, got 0"),
            (["--seed", "-2"], "--seed must be 0-4294967295, got -2"),
        ] {
            let (s, _, e) = try runProgram(try fvctl(), ["pattern", "block1_conv1", "1", "--socket", d.socketPath] + args)
            XCTAssertEqual(s, 64, "\(args): \(e)")
            XCTAssertTrue(e.contains(message), e)
        }

        let (s3, _, e3) = try runProgram(try fvctl(), ["pattern", "block3_cnv1", "1", "--socket", d.socketPath])
        XCTAssertEqual(s3, 1)
        XCTAssertTrue(e3.contains("did you mean block3_conv1?"), e3)

        for program in ["fvctl", "fvd"] {
            guard let bin = builtBinary(program) else { continue }
            let (s, o, _) = try runProgram(bin, ["--version"])
            XCTAssertEqual(s, 0)
            XCTAssertEqual(o.trimmingCharacters(in: .whitespacesAndNewlines), fvdVersion, program)
        }
    }

    /// The Python example finds the per-user daemon as fvctl does, and its --help is whole.
    func testThePythonClientFindsThePerUserSocketAndExplainsItself() throws {
        let d = try XCTUnwrap(Self.daemon)
        let run = d.dir + "/xdg"
        try FileManager.default.createDirectory(atPath: run + "/fvd", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: run + "/fvd/fvd.sock", withDestinationPath: d.socketPath)
        let script = repoRoot + "/examples/fvd_client.py"
        let (s1, o1, e1) = try runProgram("/usr/bin/env", ["python3", script, "info"], env: ["XDG_RUNTIME_DIR": run, "FVD_SOCKET": ""])
        XCTAssertEqual(s1, 0, e1)
        XCTAssertTrue(o1.hasPrefix("block1_conv1 64"), o1)
        let (s2, o2, _) = try runProgram("/usr/bin/env", ["python3", script, "--help"])
        XCTAssertEqual(s2, 0)
        let flat = o2.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        XCTAssertTrue(flat.contains("JSON-RPC 2.0, one message per line, over fvd's Unix socket."), o2)
        XCTAssertTrue(flat.contains("2 when it cannot connect."), o2)
    }

    /// `status` and `jobs` for people: aligned, with units, the socket in use, elapsed and ETA.
    func testStatusAndJobsReadWell() throws {
        let d = try XCTUnwrap(Self.daemon)
        let (s1, o1, e1) = try runProgram(try fvctl(), ["status", "--socket", d.socketPath])
        XCTAssertEqual(s1, 0, e1)
        XCTAssertTrue(o1.contains("socket   \(d.socketPath)\n"), o1)
        XCTAssertNotNil(o1.range(of: #"cache    [0-9]+ entries, [0-9.]+ MiB of [0-9.]+ MiB"#, options: .regularExpression), o1)
        let c = try d.client()
        try c.send(line: JSONCodec.serialize(RPCRequest(id: 1, method: "pattern", params: smallPattern(4, steps: 100_000, size: 32)).json))
        _ = try c.readMessage()
        usleep(300_000)
        let (s2, o2, _) = try runProgram(try fvctl(), ["jobs", "--socket", d.socketPath])
        XCTAssertEqual(s2, 0)
        let lines = o2.split(separator: "\n")
        XCTAssertTrue(lines.first?.hasPrefix("JOB  STATE    UID  METHOD   WHAT") ?? false, o2)
        XCTAssertNotNil(lines.dropFirst().first?.range(of: #"running  0    pattern  block2_conv1 \[4\]  [0-9]+/100000  [0-9]+ s +[0-9]+ (s|min|h)"#, options: .regularExpression), o2)
        c.close()
    }

    /// grid --filters with ranges, --labels, --scale, --display.
    func testGridRangesLabelsScaleAndDisplay() throws {
        let d = try XCTUnwrap(Self.daemon)
        let out = d.dir + "/g.png"
        let (s1, o1, e1) = try runProgram(try fvctl(), ["grid", "block1_conv2", "--filters", "0-2,5", "--size", "16", "--steps", "1", "--labels",
                                                       "--scale", "2", "--display", "stretch", "--columns", "4", "--json", "-o", out, "--socket", d.socketPath])
        XCTAssertEqual(s1, 0, e1)
        let r = try JSONCodec.parse(o1.trimmingCharacters(in: .whitespacesAndNewlines))
        XCTAssertEqual(r["tiles"]?.arrayValue?.map { $0["filter"] }, [0, 1, 2, 5])
        XCTAssertEqual(r["width"], JSON(2 * (4 * 16 + 3 * 5)), "scaled by 2")
        let png = try PNGCodec.decode([UInt8](try Data(contentsOf: URL(fileURLWithPath: out))))
        XCTAssertEqual(png.width, 158)
        XCTAssertEqual(png.pixels[0], 0, "the label's box in the first tile's corner")
        for bad in [["--filters", "3-1"], ["--filters", "a"], ["--scale", "9"], ["--display", "loud"]] {
            let (s, _, e) = try runProgram(try fvctl(), ["grid", "block1_conv2", "--socket", d.socketPath] + bad)
            XCTAssertEqual(s, 64, "\(bad): \(e)")
        }
        XCTAssertThrowsError(try d.client().call("grid", ["layer": "block1_conv2", "scale": 9])) {
            XCTAssertEqual(($0 as? RPCError)?.code, RPCError.invalidParams)
        }
        XCTAssertThrowsError(try d.client().call("pattern", ["layer": "block1_conv2", "filter": 1, "display": "loud"])) {
            XCTAssertTrue(($0 as? RPCError)?.message.contains("\"display\" must be \"clip\" or \"stretch\"") ?? false, "\($0)")
        }
    }

    /// Where does a filter fire in my photo? `activations --map F`: the map's numbers agree with
    /// the filter's mean, and the heat map is the photo's size.
    func testActivationsMapShowsWhereAFilterFires() throws {
        let d = try XCTUnwrap(Self.daemon)
        var px = [UInt8]()
        for y in 0..<48 { for x in 0..<64 { px += x < 32 ? [UInt8((x * 37 + y * 11) % 256), UInt8((x * 5) % 256), UInt8(y * 5)] : [128, 128, 128] } }
        let photo = d.dir + "/photo.png"
        try Data(try PNGCodec.encode(RGBImage(width: 64, height: 48, pixels: px))).write(to: URL(fileURLWithPath: photo))
        let out = d.dir + "/map.png"
        let (s1, o1, e1) = try runProgram(try fvctl(), ["activations", photo, "block2_conv1", "--map", "7", "-o", out, "--json", "--socket", d.socketPath])
        XCTAssertEqual(s1, 0, e1)
        let r = try JSONCodec.parse(o1.trimmingCharacters(in: .whitespacesAndNewlines))
        let values = try XCTUnwrap(r["map"]?["values"]?.arrayValue?.compactMap(\.doubleValue))
        XCTAssertEqual(values.count, 32 * 24, "one value per position of block2_conv1 (after one pool)")
        let mean = try XCTUnwrap(r["means"]?.arrayValue?[7].doubleValue)
        XCTAssertEqual(values.reduce(0, +) / Double(values.count), mean, accuracy: 1e-3 * max(1, abs(mean)))
        XCTAssertNil(r["map"]?["overlayPNG"], "--json keeps the numbers, not the image bytes")
        let heat = try PNGCodec.decode([UInt8](try Data(contentsOf: URL(fileURLWithPath: out))))
        XCTAssertEqual([heat.width, heat.height], [64, 48])
        let (s2, _, e2) = try runProgram(try fvctl(), ["activations", photo, "block2_conv1", "-o", out, "--socket", d.socketPath])
        XCTAssertEqual(s2, 64, e2)
        XCTAssertThrowsError(try d.client().call("activations", ActivationsParams(layer: "block2_conv1", png: Data(try PNGCodec.encode(RGBImage(width: 16, height: 16, pixels: [UInt8](repeating: 1, count: 768)))).base64EncodedString(), map: 128).json)) {
            XCTAssertTrue(($0 as? RPCError)?.message.contains("filter 128 does not exist in block2_conv1") ?? false, "\($0)")
        }
    }

    /// Photos are JPEG: `fvctl activations photo.jpg` works as with a PNG.
    func testActivationsOfAJPEGPhoto() throws {
        let d = try XCTUnwrap(Self.daemon)
        var px = [UInt8]()
        for y in 0..<48 { for x in 0..<64 { px += [UInt8(x * 4), UInt8(y * 5), 90] } }
        let img = RGBImage(width: 64, height: 48, pixels: px)
        let photo = d.dir + "/photo.jpg"
        try Data(try JPEGCodec.encode(img, quality: 92)).write(to: URL(fileURLWithPath: photo))
        let (s1, o1, e1) = try runProgram(try fvctl(), ["activations", photo, "block3_conv1", "--json", "--socket", d.socketPath])
        XCTAssertEqual(s1, 0, e1)
        let jpegResult = try ActivationsResult(try JSONCodec.parse(o1))
        XCTAssertEqual([jpegResult.width, jpegResult.height], [16, 12])
        // Close to the same picture as a PNG (JPEG is lossy): the filters' means correlate.
        let png = d.dir + "/photo.png"
        try Data(try PNGCodec.encode(img)).write(to: URL(fileURLWithPath: png))
        let (_, o2, _) = try runProgram(try fvctl(), ["activations", png, "block3_conv1", "--json", "--socket", d.socketPath])
        let a = jpegResult.means.map(Double.init), b = try ActivationsResult(try JSONCodec.parse(o2)).means.map(Double.init)
        let ma = a.reduce(0, +) / Double(a.count), mb = b.reduce(0, +) / Double(b.count)
        let cov = zip(a, b).reduce(0) { $0 + ($1.0 - ma) * ($1.1 - mb) }
        let r = cov / (a.reduce(0) { $0 + ($1 - ma) * ($1 - ma) }.squareRoot() * b.reduce(0) { $0 + ($1 - mb) * ($1 - mb) }.squareRoot())
        XCTAssertGreaterThan(r, 0.95, "the JPEG and the PNG of one picture give nearly the same activations")
    }
}
