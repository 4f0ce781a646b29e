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

    func testTheCacheTextNamesEverythingThatChangesTheImage() {
        var variants = [base]
        var v = base
        v.settings.objective = .channel(layer: "block3_conv2"); variants.append(v)
        v = base; v.settings.size = 64; variants.append(v)
        v = base; v.settings.steps = 10; variants.append(v)
        v = base; v.settings.stepSize = 0.2; variants.append(v)
        v = base; v.items = [.init(filter: 28, seed: 0)]; variants.append(v)
        v = base; v.items = [.init(filter: 27, seed: 1)]; variants.append(v)
        XCTAssertEqual(Set(variants.map(\.cacheText)).count, variants.count, "every variant has its own key")
        XCTAssertEqual(base.cacheText, "channel(block3_conv1)|pixels(150)|normalized(\(Float(0.1).bitPattern))|steps(1000)|27:0",
                       "stable text: cache entries outlive the process")
    }
}
