import FVImage
import FVOptim
import FVProtocol
import FVServer
import Foundation

/// Everything the daemon does with a client's bytes before any work is queued: framing,
/// strict JSON, JSON-RPC structure, each method's params, job validation, the activations
/// input (base64, PNG, tensor). The fuzz target feeds arbitrary bytes here; it must never
/// crash, hang or grow without bound, whatever the input.
public enum ClientBytes {
    public static func exercise(_ bytes: UnsafeBufferPointer<UInt8>) {
        // A small line cap so the fuzzer reaches the over-cap path too.
        var framer = LineFramer(maxLine: 4096)
        var lines: [[UInt8]] = []
        for out in framer.feed(UnsafeRawBufferPointer(bytes)) {
            if case .line(let l) = out { lines.append(l) }
        }
        // The whole input as one line as well (most inputs have no newline).
        lines.append(Array(bytes.prefix(1 << 16)))
        if bytes.count >= 8 { _ = try? ImageFile.decode(Array(bytes), maxSide: 512) }
        for line in lines {
            switch RPCMessage.parse(line: line) {
            case .single(let e): handle(e)
            case .batch(let es): es.forEach(handle)
            }
            // What clients do with the daemon's answers: decode them as the typed results.
            if let v = try? JSONCodec.parse(line) { decodeResults(v) }
        }
    }

    static func decodeResults(_ v: JSON) {
        _ = try? PatternResult(v)
        _ = try? GridResult(v)
        _ = try? ActivationsResult(v)
        _ = try? InfoResult(v)
        _ = try? StatusResult(v)
        _ = try? JobsResult(v)
    }

    static func handle(_ e: RPCEntry) {
        guard case .request(let r) = e, let m = Method(rawValue: r.method) else { return }
        // Round-trip the request through the serializer: what fvd sends back must parse.
        let text = JSONCodec.serialize(r.json)
        precondition((try? JSONCodec.parse(text)) != nil, "serializer produced unparsable JSON: \(text)")
        switch m {
        case .pattern:
            if let p = try? PatternParams(r.params) {
                _ = try? JobResolver.ascentJob(layer: p.layer, filters: [p.filter], options: p.options, defaultPreset: .seed, negative: p.negative)
            }
        case .grid:
            if let p = try? GridParams(r.params), let f = p.filters {
                _ = try? JobResolver.ascentJob(layer: p.layer, filters: f, options: p.options, defaultPreset: .grid)
            }
        case .activations:
            if let p = try? ActivationsParams(r.params), let input = try? ActivationInput.check(p) { _ = try? input.decode() }
        case .dream:
            if let p = try? DreamParams(r.params), let data = Data(base64Encoded: p.image) {
                _ = try? ImageFile.dimensions([UInt8](data), maxSide: 1024)
            }
        case .cancel: _ = try? CancelParams(r.params)
        case .info, .jobs, .status: try? NoParams.check(r.params, method: m.rawValue)
        }
    }
}
