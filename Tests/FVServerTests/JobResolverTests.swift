import FVOptim
import FVProtocol
import FVServer
import XCTest

/// The protocol's objective terms as the engine gets them: every wire name the protocol accepts
/// becomes its own term (a forgotten name used to become a channel term without a word).
final class JobResolverTests: XCTestCase {
    func testEveryAcceptedTermNameResolvesToItsOwnTerm() throws {
        let channels = 128
        for kind in ObjectiveParams.Term.Kind.allCases {
            let term = ObjectiveParams.Term(type: kind, weight: 0.5, vector: kind == .direction ? Array(repeating: 0.1, count: channels) : nil)
            let options = RenderOptions(preset: "lucid", size: 32, steps: 2, objective: ObjectiveParams(terms: [term]))
            let job = try JobResolver.ascentJob(layer: "block2_conv1", filters: [3], options: options, defaultPreset: .seed)
            guard case .terms(_, _, let terms, _) = job.settings.objective, terms.count == 1 else {
                return XCTFail("\(kind): \(job.settings.objective)")
            }
            let expected: ObjectiveTerm
            switch kind {
            case .channel: expected = .channel
            case .neuron: expected = .neuron(y: nil, x: nil)
            case .direction: expected = .direction(Array(repeating: 0.1, count: channels))
            case .deepdream: expected = .deepdream
            }
            XCTAssertEqual(terms[0], WeightedTerm(expected, weight: 0.5), "\(kind.rawValue)")
        }
    }

    /// Red team round 3, item 7: a direction of 3e38 per channel overflowed the objective into
    /// `"loss": null`, a black picture, and a cached result. It is refused up front now.
    func testADirectionTooLongToComputeIsRefused() throws {
        for v in [Array(repeating: 3e38, count: 128), Array(repeating: 0.0, count: 128)] {
            let raw: JSON = ["terms": .array([["type": "direction", "vector": .array(v.map { JSON($0) })]])]
            XCTAssertThrowsError(try PatternParams(["layer": "block2_conv1", "filter": 3, "objective": raw])) {
                XCTAssertTrue("\($0)".contains("the direction vector's length is"), "\($0)")
            }
        }
    }

    /// Issue 24 item 4: a term names its own layer and filter (`block4_conv3:12 - block4_conv3:40`,
    /// or across layers), over the wire as the engine gets it, and every mistake is named.
    func testTermsNameTheirOwnLayerAndFilter() throws {
        let raw: JSON = ["terms": .array([["type": "channel", "layer": "block4_conv3", "filter": 12],
                                          ["type": "channel", "layer": "block3_conv1", "filter": 40, "weight": -0.5]])]
        let p = try PatternParams(["layer": "block4_conv3", "filter": 12, "objective": raw, "preset": "lucid", "size": 64, "steps": 2])
        XCTAssertEqual(try PatternParams(p.json).options.objective, p.options.objective, "the terms' layer and filter survive the wire")
        let job = try JobResolver.ascentJob(layer: p.layer, filters: [p.filter], options: p.options, defaultPreset: .seed)
        guard case .terms(_, _, let terms, _) = job.settings.objective else { return XCTFail("\(job.settings.objective)") }
        XCTAssertEqual(terms, [WeightedTerm(.channel, layer: 9, filter: 12), WeightedTerm(.channel, weight: -0.5, layer: 4, filter: 40)])
        XCTAssertFalse(job.settings.objective.usesFilter, "no term reads the request's filter")

        func refusal(_ term: JSON) -> String {
            do {
                let p = try PatternParams(["layer": "block4_conv3", "filter": 12, "objective": ["terms": .array([term])]])
                _ = try JobResolver.ascentJob(layer: p.layer, filters: [p.filter], options: p.options, defaultPreset: .seed)
                return "accepted"
            } catch { return "\(error)" }
        }
        XCTAssertTrue(refusal(["type": "channel", "layer": "block4_conv9", "filter": 1]).contains("block4_conv3"), "a near name is suggested")
        XCTAssertTrue(refusal(["type": "channel", "layer": "block1_conv1", "filter": 64]).contains("filters 0...63"))
        XCTAssertTrue(refusal(["type": "deepdream", "filter": 3]).contains("reads the whole layer"))
        XCTAssertTrue(refusal(["type": "channel", "filter": -1]).contains("filter"))
        XCTAssertEqual(refusal(["type": "neuron", "layer": "block5_conv3", "filter": 511, "x": 0, "y": 0]), "accepted")
    }
}
