import PaxosStorage
import Testing

@Suite("CRC-32C (Castagnoli)")
struct CRC32CTests {
    @Test func checkValueOfTheDigitsOneToNineIsE3069283() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
    }

    @Test func thirtyTwoZeroBytesGive8A9136AA() {
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
    }

    @Test func thirtyTwoFFBytesGive62A8AB43() {
        // RFC 3720 (iSCSI) appendix B.4 test vector.
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
    }

    @Test func emptyInputGivesZero() {
        #expect(CRC32C.checksum([UInt8]()) == 0)
    }

    /// Every length and alignment, through the path in use (the processor's instruction here)
    /// and through the portable tables.
    @Test func tablesAndHardwareBothAgreeWithTheBitwiseDefinitionAtEveryLengthAndAlignment() {
        var generator = SeededGenerator(seed: 42)
        let bytes = (0..<300).map { _ in UInt8.random(in: 0...255, using: &generator) }
        for start in 0..<9 {
            for end in stride(from: start, through: bytes.count, by: 7) {
                let slice = Array(bytes[start..<end])
                let portable = slice.withUnsafeBytes { CRC32C.portableUpdate(0, buffer: $0) }
                #expect(portable == bitwiseCRC32C(slice))
                #expect(CRC32C.checksum(slice) == bitwiseCRC32C(slice), "the path in use (hardware: \(CRC32C.usesHardware))")
            }
        }
    }

    #if arch(x86_64)
    @Test func everyX8664ProcessorThisRunsOnHasTheInstruction() {
        // SSE 4.2 dates from 2008: a machine here without it would mean the detection is broken.
        #expect(CRC32C.usesHardware)
    }
    #endif

    @Test func updatingInPiecesEqualsChecksummingTheWhole() {
        let bytes = Array("The quick brown fox jumps over the lazy dog".utf8)
        for split in 0...bytes.count {
            let pieces = CRC32C.update(CRC32C.checksum(bytes[..<split]), with: bytes[split...])
            #expect(pieces == CRC32C.checksum(bytes))
        }
    }

    /// The definition, one bit at a time: the reference the fast version is checked against.
    private func bitwiseCRC32C(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = (crc & 1) != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
        }
        return ~crc
    }
}
