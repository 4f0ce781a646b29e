/// Reads the VGG16 conv initializers out of an ONNX model with nothing but the protobuf wire
/// format: ModelProto.graph (field 7) → GraphProto.initializer (field 5, repeated TensorProto) →
/// dims (1), data_type (2, 1 = float), float_data (4), name (8), raw_data (9, little-endian).
/// Every length is checked against the bytes that remain, so a damaged file is an error, never
/// a crash.
public enum ONNXImporter {
    struct Tensor {
        var name = ""
        var dims: [Int] = []
        var dataType = 0
        var floats: [Float] = []
    }

    /// The 13 layers in fvd's order, checked for shape and provenance.
    public static func vgg16Layers(onnx bytes: [UInt8], path: String) throws -> [WeightsFile.Layer] {
        var wanted = Set<String>()
        for l in VGG16.layers {
            wanted.insert(Provenance.onnxKernelName(l.name))
            wanted.insert(Provenance.onnxBiasName(l.name))
        }
        let tensors = try bytes.withUnsafeBytes { try initializers(UnsafeRawBufferPointer($0), wanted: wanted, path: path) }
        return try VGG16.layers.map { l in
            guard let k = tensors[Provenance.onnxKernelName(l.name)], let b = tensors[Provenance.onnxBiasName(l.name)] else {
                throw WeightsError.missingLayer(path: path, layer: l.name)
            }
            let want = [l.outChannels, l.inChannels, 3, 3]
            guard k.dims == want, k.floats.count == want.reduce(1, *), b.dims == [l.outChannels], b.floats.count == l.outChannels else {
                throw WeightsError.wrongShape(path: path, layer: l.name, expected: want.map(String.init).joined(separator: "x"),
                                              found: k.dims.map(String.init).joined(separator: "x"))
            }
            let expected = Provenance.firstBias[l.name]!
            guard b.floats[0] == expected else {
                throw WeightsError.provenanceMismatch(path: path, layer: l.name, expected: expected, found: b.floats[0])
            }
            return WeightsFile.Layer(name: l.name, outChannels: l.outChannels, inChannels: l.inChannels, kernel: k.floats, bias: b.floats)
        }
    }

    static func initializers(_ buf: UnsafeRawBufferPointer, wanted: Set<String>, path: String) throws -> [String: Tensor] {
        var model = ProtoReader(buf, path: path)
        var result: [String: Tensor] = [:]
        var sawGraph = false
        while let (field, wire) = try model.nextKey() {
            guard field == 7, wire == 2 else { try model.skip(wire); continue }
            sawGraph = true
            var graph = ProtoReader(try model.bytes(), path: path)
            while let (gf, gw) = try graph.nextKey() {
                guard gf == 5, gw == 2 else { try graph.skip(gw); continue }
                let t = try tensor(try graph.bytes(), wanted: wanted, path: path)
                if let t { result[t.name] = t }
            }
        }
        guard sawGraph else { throw WeightsError.badONNX(path: path, reason: "no graph in the model (not an ONNX model?)") }
        return result
    }

    /// Parses one TensorProto; returns nil for tensors we do not need (without copying their data).
    static func tensor(_ buf: UnsafeRawBufferPointer, wanted: Set<String>, path: String) throws -> Tensor? {
        var r = ProtoReader(buf, path: path)
        var t = Tensor()
        var raw: UnsafeRawBufferPointer?
        var packedFloats: [Float] = []
        while let (f, w) = try r.nextKey() {
            switch (f, w) {
            case (1, 0): t.dims.append(Int(truncatingIfNeeded: try r.varint()))
            case (1, 2):
                var p = ProtoReader(try r.bytes(), path: path)
                while !p.atEnd { t.dims.append(Int(truncatingIfNeeded: try p.varint())) }
            case (2, 0): t.dataType = Int(truncatingIfNeeded: try r.varint())
            case (4, 2):
                let b = try r.bytes()
                packedFloats = (0..<(b.count / 4)).map { Float(bitPattern: b.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self).littleEndian) }
            case (8, 2): t.name = String(decoding: try r.bytes(), as: UTF8.self)
            case (9, 2): raw = try r.bytes()
            default: try r.skip(w)
            }
        }
        guard wanted.contains(t.name) else { return nil }
        guard t.dataType == 1 else { throw WeightsError.badONNX(path: path, reason: "tensor \(t.name) is not float32 (data_type \(t.dataType))") }
        if let raw {
            guard raw.count % 4 == 0 else { throw WeightsError.badONNX(path: path, reason: "tensor \(t.name) has \(raw.count) raw bytes") }
            t.floats = (0..<(raw.count / 4)).map { Float(bitPattern: raw.loadUnaligned(fromByteOffset: 4 * $0, as: UInt32.self).littleEndian) }
        } else {
            t.floats = packedFloats
        }
        return t
    }
}

/// A cursor over protobuf wire-format bytes.
struct ProtoReader {
    let buf: UnsafeRawBufferPointer
    let path: String
    var pos = 0

    init(_ buf: UnsafeRawBufferPointer, path: String) {
        self.buf = buf
        self.path = path
    }

    var atEnd: Bool { pos >= buf.count }

    func fail(_ what: String) -> WeightsError {
        .badONNX(path: path, reason: "\(what) at byte \(pos) (file damaged or truncated?)")
    }

    mutating func varint() throws -> UInt64 {
        var v: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard pos < buf.count else { throw fail("varint runs past the end") }
            let b = buf[pos]
            pos += 1
            v |= UInt64(b & 0x7f) << shift
            if b & 0x80 == 0 { return v }
            shift += 7
            guard shift < 64 else { throw fail("varint longer than 10 bytes") }
        }
    }

    mutating func nextKey() throws -> (Int, Int)? {
        if atEnd { return nil }
        let k = try varint()
        return (Int(k >> 3), Int(k & 7))
    }

    mutating func bytes() throws -> UnsafeRawBufferPointer {
        let n = try varint()
        guard n <= UInt64(buf.count - pos) else { throw fail("field of \(n) bytes runs past the end") }
        let r = UnsafeRawBufferPointer(rebasing: buf[pos..<(pos + Int(n))])
        pos += Int(n)
        return r
    }

    mutating func skip(_ wire: Int) throws {
        switch wire {
        case 0: _ = try varint()
        case 1: guard buf.count - pos >= 8 else { throw fail("fixed64 runs past the end") }; pos += 8
        case 2: _ = try bytes()
        case 5: guard buf.count - pos >= 4 else { throw fail("fixed32 runs past the end") }; pos += 4
        default: throw fail("unsupported wire type \(wire)")
        }
    }
}
