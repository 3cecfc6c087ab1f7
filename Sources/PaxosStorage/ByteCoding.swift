/// Little-endian integers and length-prefixed strings: the primitives of the record encoding.
/// Fixed widths and a fixed byte order, so a log written on one machine reads on any other.
///
/// It writes into memory sized beforehand (`RecordCodec.payloadCount`): one store per field,
/// where growing an array field by field paid a capacity and uniqueness check each time. Every
/// write checks the bounds it was given, so a size computed wrong traps instead of writing
/// past the buffer.
struct ByteWriter {
    private let bytes: UnsafeMutableRawBufferPointer
    private(set) var offset: Int

    init(into bytes: UnsafeMutableRawBufferPointer, at offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    var isFull: Bool { offset == bytes.count }

    mutating func write(_ value: UInt8) {
        reserve(1)
        bytes[offset] = value
        offset += 1
    }

    mutating func write(_ value: UInt32) {
        reserve(4)
        bytes.storeBytes(of: value.littleEndian, toByteOffset: offset, as: UInt32.self)
        offset += 4
    }

    mutating func write(_ value: UInt64) {
        reserve(8)
        bytes.storeBytes(of: value.littleEndian, toByteOffset: offset, as: UInt64.self)
        offset += 8
    }

    /// UTF-8 bytes after their count; the caller bounds the count (a record has a size limit).
    mutating func write(_ text: String) {
        var text = text
        text.withUTF8 { utf8 in
            write(UInt32(truncatingIfNeeded: utf8.count))
            reserve(utf8.count)
            UnsafeMutableRawBufferPointer(rebasing: bytes[offset..<(offset + utf8.count)]).copyMemory(from: UnsafeRawBufferPointer(utf8))
            offset += utf8.count
        }
    }

    /// The bytes `write(text)` takes.
    static func count(of text: String) -> Int { 4 + text.utf8.count }

    private func reserve(_ count: Int) {
        precondition(count <= bytes.count - offset, "record encoding overran its computed size")
    }
}

/// Why a payload could not be decoded; the reader never traps on bad input.
public struct RecordDecodingError: Error, CustomStringConvertible, Equatable, Sendable {
    public var description: String
    init(_ description: String) { self.description = description }
}

/// Reads what `ByteWriter` wrote, checking every length against what is left, so garbage
/// produces an error and never a crash or a huge allocation.
struct ByteReader {
    // Raw memory, borrowed for the length of one decode: loads without per-byte bounds checks
    // (`need` checks each field once) and without retaining the log's bytes.
    private let bytes: UnsafeRawBufferPointer
    private var position = 0

    init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    var remaining: Int { bytes.count - position }

    mutating func readByte(_ field: StaticString) throws(RecordDecodingError) -> UInt8 {
        try need(1, field)
        defer { position += 1 }
        return bytes[position]
    }

    mutating func readUInt32(_ field: StaticString) throws(RecordDecodingError) -> UInt32 {
        try need(4, field)
        defer { position += 4 }
        return UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: position, as: UInt32.self))
    }

    mutating func readUInt64(_ field: StaticString) throws(RecordDecodingError) -> UInt64 {
        try need(8, field)
        defer { position += 8 }
        return UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: position, as: UInt64.self))
    }

    /// A u32 count, then that many bytes of UTF-8.
    mutating func readString(_ field: StaticString) throws(RecordDecodingError) -> String {
        let count = Int(try readUInt32(field))
        try need(count, field)
        let utf8 = UnsafeRawBufferPointer(rebasing: bytes[position..<(position + count)])
        position += count
        // Decoding repairs invalid UTF-8 (U+FFFD), so the text is valid exactly when it gives
        // back the same bytes. This takes the standard library's fast path; the validating
        // initializer instantiated generic metadata on every call, at every record recovered.
        let text = String(decoding: utf8, as: UTF8.self)
        guard text.utf8.elementsEqual(utf8) else {
            throw RecordDecodingError("\(field) is not valid UTF-8")
        }
        return text
    }

    /// A payload must be consumed exactly: extra bytes mean a format this version does not know.
    func expectEnd() throws(RecordDecodingError) {
        if remaining != 0 { throw RecordDecodingError("\(remaining) unexpected bytes after the record") }
    }

    private func need(_ count: Int, _ field: StaticString) throws(RecordDecodingError) {
        if count > remaining {
            throw RecordDecodingError("\(field) needs \(count) bytes, only \(remaining) left")
        }
    }
}
