import ArgumentParser
import FVProtocol

/// `--objective` as a sum of terms, the way Lucent users write objectives:
///
///     channel                                  the command's filter (as before; also neuron,
///                                              direction, deepdream)
///     block4_conv3:12 - block4_conv3:40        filter 12 against filter 40
///     block4_conv3:12 - 0.5 * block3_conv1:7   across layers
///     neuron(block4_conv3:12, 3, 4)            one position (x, y) of a filter
///     channel + 0.1 * deepdream(block3_conv3)  the command's filter, and a whole layer
///
/// Grammar: sum := ["-"] term (("+" | "-") term)*; term := [NUMBER ["*"]] atom;
/// atom := LAYER ":" FILTER | KIND | KIND "(" [LAYER [":" FILTER]] ["," X "," Y] ")".
/// A term without a layer reads the command's layer and filter.
struct ObjectiveExpression {
    let terms: [ObjectiveParams.Term]

    /// Whether the text is a sum rather than the old single kind name.
    static func isSum(_ text: String) -> Bool { ObjectiveParams.Term.Kind(rawValue: text.trimmingCharacters(in: .whitespaces)) == nil }

    /// The first layer a term names, and its filter (what the command's positional arguments
    /// default to when the expression names its own).
    var firstNamed: (layer: String, filter: Int?)? {
        terms.first { $0.layer != nil }.map { ($0.layer!, $0.filter) }
    }

    init(_ text: String) throws {
        var tokens = try Self.tokens(text)[...]
        func fail(_ why: String) -> ValidationError {
            ValidationError("--objective \"\(text)\": \(why). Write e.g. \"block4_conv3:12 - 0.5 * block3_conv1:40\" or \"neuron(block4_conv3:12, 3, 4)\"")
        }
        func take(_ t: Token) -> Bool {
            guard tokens.first == t else { return false }
            tokens.removeFirst()
            return true
        }
        func number() -> Double? {
            guard case .number(let v)? = tokens.first else { return nil }
            tokens.removeFirst()
            return v
        }
        func whole(_ what: String) throws -> Int {
            guard let v = number(), v >= 0, v == v.rounded(), v < 100_000 else { throw fail("\(what) must be a whole number from 0") }
            return Int(v)
        }
        func layer(_ name: String) throws -> String {
            guard layerNames.contains(name) else {
                let kinds = ObjectiveParams.Term.types.joined(separator: ", ")
                throw fail("\"\(name)\" is neither a layer (`fvctl layers` lists them) nor a term (\(kinds))")
            }
            return name
        }
        var terms: [ObjectiveParams.Term] = []
        var sign = take(.minus) ? -1.0 : 1.0
        while true {
            var weight = sign
            if let w = number() {
                weight *= w
                _ = take(.times)
            }
            guard case .word(let word)? = tokens.first else { throw fail(tokens.isEmpty ? "a term is missing at the end" : "expected a term, found \(tokens.first!)") }
            tokens.removeFirst()
            var term: ObjectiveParams.Term
            if let kind = ObjectiveParams.Term.Kind(rawValue: word) {
                term = .init(type: kind, weight: weight)
                if take(.open) {
                    if case .word(let name)? = tokens.first {
                        tokens.removeFirst()
                        term.layer = try layer(name)
                        if take(.colon) {
                            guard kind == .channel || kind == .neuron else { throw fail("a \(kind) term reads the whole layer, so it takes no :FILTER") }
                            term.filter = try whole("a filter")
                        }
                    }
                    if take(.comma) {
                        guard kind == .neuron else { throw fail("only neuron terms take a position x, y") }
                        term.x = try whole("x")
                        guard take(.comma) else { throw fail("a position is x, y") }
                        term.y = try whole("y")
                    }
                    guard take(.close) else { throw fail("a \")\" is missing after \(word)(") }
                }
                if kind == .channel || kind == .neuron, term.layer != nil, term.filter == nil {
                    throw fail("\(word)(\(term.layer!)) needs the filter: \(word)(\(term.layer!):FILTER)")
                }
            } else {
                let name = try layer(word)
                guard take(.colon) else { throw fail("\(name) needs a filter: \(name):FILTER") }
                term = .init(type: .channel, weight: weight, layer: name, filter: try whole("a filter"))
            }
            terms.append(term)
            if take(.plus) { sign = 1 } else if take(.minus) { sign = -1 } else { break }
        }
        if let t = tokens.first { throw fail("unexpected \(t)") }
        guard terms.count <= 16 else { throw fail("at most 16 terms") }
        self.terms = terms
    }

    enum Token: Equatable, CustomStringConvertible {
        case word(String), number(Double), colon, open, close, comma, plus, minus, times

        var description: String {
            switch self {
            case .word(let w): return "\"\(w)\""
            case .number(let v): return "\(v)"
            case .colon: return "\":\""
            case .open: return "\"(\""
            case .close: return "\")\""
            case .comma: return "\",\""
            case .plus: return "\"+\""
            case .minus: return "\"-\""
            case .times: return "\"*\""
            }
        }
    }

    static func tokens(_ text: String) throws -> [Token] {
        var out: [Token] = []
        var chars = Array(text)[...]
        let punctuation: [Character: Token] = [":": .colon, "(": .open, ")": .close, ",": .comma, "+": .plus, "-": .minus, "*": .times]
        while let c = chars.first {
            if c == " " || c == "\t" { chars.removeFirst(); continue }
            if let t = punctuation[c] { out.append(t); chars.removeFirst(); continue }
            if c.isASCII && (c.isLetter || c == "_") {
                let word = chars.prefix { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
                out.append(.word(String(word)))
                chars.removeFirst(word.count)
                continue
            }
            if c.isASCII && (c.isNumber || c == ".") {
                let text = chars.prefix { $0.isASCII && ($0.isNumber || $0 == "." || $0 == "e" || $0 == "E") }
                guard let v = Double(String(text)), v.isFinite else {
                    throw ValidationError("--objective: \"\(String(text))\" is not a number")
                }
                out.append(.number(v))
                chars.removeFirst(text.count)
                continue
            }
            throw ValidationError("--objective: \"\(c)\" has no meaning here; terms are joined by + and -, weighted by a number (0.5 * ...)")
        }
        return out
    }
}
