import XMLRPC

/// One fuzz input: whatever the bytes, decoding must end in a value or a fault (never a
/// crash, a hang or a trap), and anything that decodes must re-encode to a document that
/// decodes and re-encodes to the same bytes (the encoder and decoder agree).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    if let call = try? XMLRPCCodec.decodeCall(bytes) {
        let encoded = XMLRPCCodec.encodeCall(call)
        guard let again = try? XMLRPCCodec.decodeCall(encoded) else {
            fatalError("re-encoded call does not decode: \(String(decoding: encoded, as: UTF8.self))")
        }
        precondition(XMLRPCCodec.encodeCall(again) == encoded, "call encoding is not stable")
    }
    if let response = try? XMLRPCCodec.decodeResponse(bytes) {
        let encoded = XMLRPCCodec.encodeResponse(response)
        guard let again = try? XMLRPCCodec.decodeResponse(encoded) else {
            fatalError("re-encoded response does not decode: \(String(decoding: encoded, as: UTF8.self))")
        }
        precondition(XMLRPCCodec.encodeResponse(again) == encoded, "response encoding is not stable")
    }
    return 0
}
