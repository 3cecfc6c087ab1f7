/// Why a document was rejected, kept apart from `XMLRPCFault` inside the decoder so that a
/// validity error can be upgraded to a well-formedness error found later in the document
/// (see `XMLRPCCodec.decode`), while a limit stays final.
enum DecodingError: Error {
    case notWellFormed(String)
    case invalid(String)
    case limitExceeded(String)

    var fault: XMLRPCFault {
        switch self {
        case .notWellFormed(let message): XMLRPCFault(code: XMLRPCFault.notWellFormed, message: message)
        case .invalid(let message), .limitExceeded(let message):
            XMLRPCFault(code: XMLRPCFault.invalidXMLRPC, message: message)
        }
    }
}
