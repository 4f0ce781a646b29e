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
}
