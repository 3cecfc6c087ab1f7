import PaxosCore
import PaxosStorage
import Testing

@Suite("Record encoding")
struct RecordCodecTests {
    @Test(arguments: everyKindOfRecord)
    func everyKindOfRecordDecodesToItself(record: DurableRecord) throws {
        #expect(try RecordCodec.decode(RecordCodec.encode(record)[...]) == record)
    }

    /// The layout on disk, byte for byte: logs written by earlier builds must still read.
    @Test func anAcceptedRecordHasTheDocumentedLayout() {
        let record = DurableRecord.accepted(instance: 5, proposal: AcceptedProposal(
            ballot: Ballot(round: 7, node: NodeID(2)),
            command: .value(CommandID(node: NodeID(3), incarnation: 4, sequence: 9), "hé")))
        let expected: [UInt8] = [1, 2]                  // version, kind "accepted"
            + [5, 0, 0, 0, 0, 0, 0, 0]                  // instance
            + [7, 0, 0, 0, 0, 0, 0, 0] + [2, 0, 0, 0]   // ballot: round, node
            + [1] + [3, 0, 0, 0]                        // command: value, node
            + [4, 0, 0, 0, 0, 0, 0, 0]                  // incarnation
            + [9, 0, 0, 0, 0, 0, 0, 0]                  // sequence
            + [3, 0, 0, 0, 0x68, 0xC3, 0xA9]            // "hé": count, UTF-8
        #expect(RecordCodec.encode(record) == expected)
    }

    @Test func payloadStartsWithTheFormatVersion() {
        #expect(RecordCodec.encode(.round(1)).first == RecordCodec.formatVersion)
    }

    @Test func unknownVersionIsRefusedWithItsNumber() {
        var payload = RecordCodec.encode(.round(1))
        payload[0] = 9
        #expect {
            try RecordCodec.decode(payload[...])
        } throws: { error in
            "\(error)".contains("format version 9 is not supported")
        }
    }

    @Test func everyTruncationOfEveryKindIsAnErrorNotACrash() {
        for record in everyKindOfRecord {
            let payload = RecordCodec.encode(record)
            for length in 0..<payload.count {
                #expect(throws: RecordDecodingError.self) { try RecordCodec.decode(payload[0..<length]) }
            }
        }
    }

    @Test func trailingBytesAreAnError() {
        let payload = RecordCodec.encode(.incarnation(3)) + [0]
        #expect(throws: RecordDecodingError.self) { try RecordCodec.decode(payload[...]) }
    }

    @Test func invalidUTF8InAValueIsAnError() {
        var payload = RecordCodec.encode(chosenRecord(1, "ab"))
        payload[payload.count - 1] = 0xFF
        #expect(throws: RecordDecodingError.self) { try RecordCodec.decode(payload[...]) }
    }

    /// Three bytes of a four-byte sequence repair to one U+FFFD, also three bytes: a check that
    /// compared only lengths would let them through.
    @Test(arguments: [[0xF0, 0x9F, 0x98] as [UInt8], [0xED, 0xA0, 0x80], [0xC0, 0xAF, 0x41], [0xEF, 0xBF, 0xBD, 0x80]])
    func invalidUTF8OfEveryShapeIsAnError(text: [UInt8]) {
        var payload = RecordCodec.encode(chosenRecord(1, ""))
        payload.removeLast(4)
        payload += withUnsafeBytes(of: UInt32(text.count).littleEndian, Array.init) + text
        #expect(throws: RecordDecodingError.self) { try RecordCodec.decode(payload[...]) }
    }

    @Test func aValueWithEveryUTF8WidthDecodesToItself() throws {
        let record = chosenRecord(1, "a é € 😀 end")
        #expect(try RecordCodec.decode(RecordCodec.encode(record)[...]) == record)
    }

    @Test func aHugeStringLengthIsAnErrorNotAnAllocation() {
        var payload = RecordCodec.encode(chosenRecord(1, "ab"))
        // The u32 count before the two text bytes.
        for index in (payload.count - 6)..<(payload.count - 2) { payload[index] = 0xFF }
        #expect(throws: RecordDecodingError.self) { try RecordCodec.decode(payload[...]) }
    }

    @Test func tenThousandRandomPayloadsNeverCrashTheDecoder() {
        var generator = SeededGenerator(seed: 7)
        for _ in 0..<10_000 {
            let count = Int.random(in: 0...64, using: &generator)
            var payload = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            // Mostly valid headers, so the fuzzing reaches the field decoders.
            if count >= 2, Bool.random(using: &generator) {
                payload[0] = RecordCodec.formatVersion
                payload[1] = UInt8.random(in: 1...5, using: &generator)
            }
            _ = try? RecordCodec.decode(payload[...])
        }
    }
}
