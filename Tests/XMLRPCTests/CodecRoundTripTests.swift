import Testing
@testable import XMLRPC

@Suite struct CodecRoundTripTests {
    static let everyType: XMLRPCValue = [
        "int": 1, "negative": -17, "int64": .int(1 << 40), "min": .int(Int.min), "max": .int(Int.max),
        "bool": true, "false": false,
        "string": "plain", "empty": "", "markup": "<a href=\"x\">&amp;</a> ]]> done",
        "unicode": "naïve 日本語 😀👍🏽", "whitespace": "  \n\t  ", "cr": "a\rb\r\nc",
        "double": 3.141592653589793, "tiny": .double(.leastNonzeroMagnitude), "huge": 1.7976931348623157e308, "negzero": -0.0,
        "date": .dateTime(XMLRPCDateTime(year: 2024, month: 2, day: 29, hour: 23, minute: 59, second: 60)!),
        "bytes": .base64(Array(0...255)), "noBytes": .base64([]),
        "array": [1, [2, [3, ["deep": [.nil]]]], []],
        "struct": ["nested": ["again": ["x": 1.25]], "": "empty name"],
        "nil": .nil,
    ]

    @Test func everyTypeSurvivesACall() throws {
        let call = XMLRPCMethodCall(methodName: "echo", parameters: [Self.everyType, 7, "x"])
        #expect(try XMLRPCCodec.decodeCall(XMLRPCCodec.encodeCall(call)) == call)
    }

    @Test func everyTypeSurvivesAResponse() throws {
        let response = XMLRPCMethodResponse.success(Self.everyType)
        #expect(try XMLRPCCodec.decodeResponse(XMLRPCCodec.encodeResponse(response)) == response)
    }

    @Test func faultWithMarkupInMessageSurvives() throws {
        let response = XMLRPCMethodResponse.fault(XMLRPCFault(code: -32603, message: "bad <thing> & \"more\""))
        #expect(try XMLRPCCodec.decodeResponse(XMLRPCCodec.encodeResponse(response)) == response)
    }

    @Test func structKeepsInsertionOrderButComparesAsAMap() {
        var first = XMLRPCStruct()
        first["b"] = 1
        first["a"] = 2
        let second: XMLRPCStruct = ["a": 2, "b": 1]
        #expect(first.memberNames == ["b", "a"])
        #expect(first == second)
        #expect(first.hashValue == second.hashValue)
        first["b"] = nil
        #expect(first.memberNames == ["a"])
    }

    @Test func largeStructIsIndexed() throws {
        var members = XMLRPCStruct()
        for index in 0..<100 { members["k\(index)"] = .int(index) }
        members["k5"] = "replaced"
        #expect(members.count == 100)
        #expect(members["k99"] == 99)
        #expect(members["k5"] == "replaced")
        members["k0"] = nil
        #expect(members["k99"] == 99 && members.count == 99)
        let value = XMLRPCValue.struct(members)
        #expect(try XMLRPCCodec.decodeResponse(XMLRPCCodec.encodeResponse(.success(value))) == .success(value))
    }

    @Test func randomValuesRoundTrip() throws {
        var generator = SplitMix64(seed: 0x5EED)
        for _ in 0..<300 {
            let value = RandomValue.make(depth: 4, using: &generator)
            let response = XMLRPCMethodResponse.success(value)
            #expect(try XMLRPCCodec.decodeResponse(XMLRPCCodec.encodeResponse(response)) == response)
        }
    }
}

/// A small deterministic generator so that a failing case can be replayed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
}

enum RandomValue {
    static func make(depth: Int, using generator: inout SplitMix64) -> XMLRPCValue {
        switch Int.random(in: 0..<(depth > 0 ? 10 : 8), using: &generator) {
        case 0: return .int(Int.random(in: .min ... .max, using: &generator))
        case 1: return .bool(Bool.random(using: &generator))
        case 2: return .string(string(using: &generator))
        case 3: return .double(Double(bitPattern: generator.next())).nanReplaced
        case 4: return .dateTime(XMLRPCDateTime(
            year: Int.random(in: 0...9999, using: &generator), month: Int.random(in: 1...12, using: &generator),
            day: Int.random(in: 1...28, using: &generator), hour: Int.random(in: 0...23, using: &generator),
            minute: Int.random(in: 0...59, using: &generator), second: Int.random(in: 0...59, using: &generator))!)
        case 5: return .base64((0..<Int.random(in: 0...40, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) })
        case 6: return .nil
        case 7: return .int(Int.random(in: -1000...1000, using: &generator))
        case 8: return .array((0..<Int.random(in: 0...4, using: &generator)).map { _ in make(depth: depth - 1, using: &generator) })
        default:
            var members = XMLRPCStruct()
            for _ in 0..<Int.random(in: 0...4, using: &generator) {
                members[string(using: &generator)] = make(depth: depth - 1, using: &generator)
            }
            return .struct(members)
        }
    }

    /// Text drawn from characters that stress escaping; only those XML can carry (the encoder
    /// replaces the others, which would not round-trip by design).
    static func string(using generator: inout SplitMix64) -> String {
        let alphabet: [Character] = ["a", "Z", "0", " ", "\t", "\n", "\r", "<", ">", "&", "]", "'", "\"", ";", "#",
                                     "é", "日", "😀", "\u{FFFD}", "\u{10FFFF}"]
        return String((0..<Int.random(in: 0...12, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! })
    }
}

extension XMLRPCValue {
    /// NaN never equals itself, which would make equality-based round-trip checks fail.
    var nanReplaced: XMLRPCValue {
        if case .double(let value) = self, value.isNaN { return .double(0) }
        return self
    }
}
