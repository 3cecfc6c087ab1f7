/// Encoding and decoding of whole XML-RPC documents. Pure: bytes in, bytes out.
///
/// Decoding reports the first problem as an `XMLRPCFault` with the interoperability code:
/// `notWellFormed` (-32700) for anything XML itself forbids, including bytes that are not
/// UTF-8; `invalidXMLRPC` (-32600) for well-formed XML that is not XML-RPC, or that exceeds
/// a limit. When a document has both kinds of problem, well-formedness wins (as it would
/// for a parser that reads the whole document before interpreting it).
public enum XMLRPCCodec {
    public static func encodeCall(_ call: XMLRPCMethodCall) -> [UInt8] {
        var encoder = XMLRPCEncoder()
        encoder.appendCall(call)
        return encoder.bytes
    }

    public static func encodeResponse(_ response: XMLRPCMethodResponse) -> [UInt8] {
        var encoder = XMLRPCEncoder()
        encoder.appendResponse(response)
        return encoder.bytes
    }

    public static func decodeCall(
        _ bytes: some Collection<UInt8>, limits: XMLRPCDecodingLimits = .default
    ) throws(XMLRPCFault) -> XMLRPCMethodCall {
        try withContiguousBytes(bytes) { buffer throws(XMLRPCFault) in
            try decode(buffer, limits: limits) { decoder throws(DecodingError) in try decoder.decodeCall() }
        }
    }

    public static func decodeResponse(
        _ bytes: some Collection<UInt8>, limits: XMLRPCDecodingLimits = .default
    ) throws(XMLRPCFault) -> XMLRPCMethodResponse {
        try withContiguousBytes(bytes) { buffer throws(XMLRPCFault) in
            try decode(buffer, limits: limits) { decoder throws(DecodingError) in try decoder.decodeResponse() }
        }
    }

    public static func decodeCall(
        _ buffer: UnsafeRawBufferPointer, limits: XMLRPCDecodingLimits = .default
    ) throws(XMLRPCFault) -> XMLRPCMethodCall {
        try decode(buffer.bindMemory(to: UInt8.self), limits: limits) { decoder throws(DecodingError) in
            try decoder.decodeCall()
        }
    }

    public static func decodeResponse(
        _ buffer: UnsafeRawBufferPointer, limits: XMLRPCDecodingLimits = .default
    ) throws(XMLRPCFault) -> XMLRPCMethodResponse {
        try decode(buffer.bindMemory(to: UInt8.self), limits: limits) { decoder throws(DecodingError) in
            try decoder.decodeResponse()
        }
    }

    private static func withContiguousBytes<Result>(
        _ bytes: some Collection<UInt8>,
        _ body: (UnsafeBufferPointer<UInt8>) throws(XMLRPCFault) -> Result
    ) throws(XMLRPCFault) -> Result {
        // `withContiguousStorageIfAvailable` rethrows untyped errors, so carry a Result out.
        let outcome = bytes.withContiguousStorageIfAvailable { buffer in
            Swift.Result { () throws(XMLRPCFault) -> Result in try body(buffer) }
        }
        if let outcome { return try outcome.get() }
        return try Array(bytes).withUnsafeBufferPointer { buffer in
            Swift.Result { () throws(XMLRPCFault) -> Result in try body(buffer) }
        }.get()
    }

    private static func decode<Message>(
        _ buffer: UnsafeBufferPointer<UInt8>,
        limits: XMLRPCDecodingLimits,
        _ grammar: (inout XMLRPCDocumentDecoder) throws(DecodingError) -> Message
    ) throws(XMLRPCFault) -> Message {
        if let offset = UTF8Validation.firstInvalidOffset(in: buffer) {
            throw XMLRPCFault(
                code: XMLRPCFault.notWellFormed,
                message: "byte \(offset) is not UTF-8 or is a character XML forbids")
        }
        var decoder = XMLRPCDocumentDecoder(scanner: XMLScanner(input: XMLInput(buffer), limits: limits))
        do {
            return try grammar(&decoder)
        } catch .invalid(let message) {
            // Read on: a well-formedness error further on outranks this one.
            do {
                while true {
                    if case .endOfDocument = try decoder.scanner.next() { break }
                }
            } catch .notWellFormed(let laterMessage) {
                throw DecodingError.notWellFormed(laterMessage).fault
            } catch {
                // A limit hit while reading on: the first error stands.
            }
            throw DecodingError.invalid(message).fault
        } catch {
            throw error.fault
        }
    }
}
