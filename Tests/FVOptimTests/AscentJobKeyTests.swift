import FVOptim
import XCTest

/// The scheduler's batch key and the cache's key come from the job's settings, not from fields
/// listed by hand: every setting that changes the image changes them.
final class AscentJobKeyTests: XCTestCase {
    let base = AscentJob(layer: "block3_conv1", items: [.init(filter: 27, seed: 0)], size: 150, steps: 1000, stepSize: 0.1)

    func testJobsShareABatchOnlyWithEqualSettings() {
        let other = AscentJob(layer: "block3_conv1", items: [.init(filter: 5, seed: 3)], size: 150, steps: 1000, stepSize: 0.1)
        XCTAssertTrue(base.canShareBatch(with: other), "other filters and seeds: same settings")
        var changed = [other, other, other, other]
        changed[0].settings.objective = .channel(layer: "block3_conv2")
        changed[1].settings.size = 151
        changed[2].settings.steps = 999
        changed[3].settings.stepSize = 0.1000001
        for c in changed { XCTAssertFalse(base.canShareBatch(with: c), "\(c.settings)") }
    }

    /// Diversity's images interact through the penalty, so such a job never shares a batch,
    /// not even with an identical one; other weighted objectives do.
    func testDiversityJobsNeverShareABatch() {
        var diverse = base
        diverse.settings.objective = .terms(layer: "block3_conv1", preReLU: true, terms: [.init(.channel)], diversityWeight: 100)
        XCTAssertFalse(diverse.canShareBatch(with: diverse))
        var neuron = base
        neuron.settings.objective = .terms(layer: "block3_conv1", preReLU: true, terms: [.init(.neuron(y: nil, x: nil))], diversityWeight: 0)
        XCTAssertTrue(neuron.canShareBatch(with: neuron))
    }

    func testTheCacheTextNamesEverythingThatChangesTheImage() {
        var variants = [base]
        var v = base
        v.settings.objective = .channel(layer: "block3_conv2"); variants.append(v)
        v = base; v.settings.size = 64; variants.append(v)
        v = base; v.settings.steps = 10; variants.append(v)
        v = base; v.settings.stepSize = 0.2; variants.append(v)
        v = base; v.items = [.init(filter: 28, seed: 0)]; variants.append(v)
        v = base; v.items = [.init(filter: 27, seed: 1)]; variants.append(v)
        let lucid = { () -> AscentJob in
            var j = base
            j.settings.style = .lucid
            j.settings.objective = .channel(layer: "block3_conv1", preReLU: true)
            return j
        }()
        variants.append(lucid)
        v = lucid; v.settings.objective = .channel(layer: "block3_conv1"); variants.append(v)
        v = lucid; v.settings.transformSeed = 1; variants.append(v)
        v = lucid; v.settings.penalties = PicturePenalties(totalVariation: 0.001); variants.append(v)
        v = lucid; v.settings.snapshots = [64]; variants.append(v)
        v = lucid; v.items = [.init(filter: 27, seed: 0, negative: true)]; variants.append(v)
        v = lucid; v.settings.objective = .terms(layer: "block3_conv1", preReLU: true, terms: [.init(.neuron(y: nil, x: nil))], diversityWeight: 0); variants.append(v)
        v = lucid; v.settings.objective = .terms(layer: "block3_conv1", preReLU: true, terms: [.init(.neuron(y: 1, x: 2))], diversityWeight: 0); variants.append(v)
        v = lucid; v.settings.objective = .terms(layer: "block3_conv1", preReLU: true, terms: [.init(.channel, weight: 2)], diversityWeight: 0); variants.append(v)
        v = lucid; v.settings.objective = .terms(layer: "block3_conv1", preReLU: true, terms: [.init(.channel)], diversityWeight: 100); variants.append(v)
        v = lucid; v.settings.objective = .terms(layer: "block3_conv1", preReLU: true, terms: [.init(.direction([1, 2]))], diversityWeight: 0); variants.append(v)
        v = lucid; v.settings.objective = .terms(layer: "block3_conv1", preReLU: true, terms: [.init(.direction([1, 3]))], diversityWeight: 0); variants.append(v)
        XCTAssertEqual(Set(variants.map(\.cacheText)).count, variants.count, "every variant has its own key")
        XCTAssertEqual(base.cacheText, "channel(block3_conv1)|pixels(150)|normalized(\(Float(0.1).bitPattern))|steps(1000)|27:0",
                       "stable text: cache entries outlive the process")
    }

    /// Budgets count the pixels the network sees: under the lucid transforms a 128 px picture
    /// reaches it at up to 154 px, so 44 such pictures fit the default budget and 45 do not.
    func testLucidJobsAreBudgetedAtTheirLargestNetworkInput() throws {
        func lucid(_ n: Int) -> AscentJob {
            AscentJob(objective: Preset.lucid.objective(layer: "block5_conv3"), items: (0..<n).map { .init(filter: $0, seed: 0) },
                      size: 128, steps: 512, stepSize: 0.05, style: .lucid)
        }
        XCTAssertEqual(lucid(1).networkSide, 154)
        XCTAssertEqual(lucid(2).networkPixels, 2 * 154 * 154)
        XCTAssertEqual(base.networkSide, 150, "the notebook's input is its picture")
        XCTAssertNoThrow(try lucid(44).validate())
        XCTAssertThrowsError(try lucid(45).validate()) {
            XCTAssertTrue("\($0)".contains("(the network sees up to 154x154 under the lucid transforms)"), "\($0)")
        }
    }
}
