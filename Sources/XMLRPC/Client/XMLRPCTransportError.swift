/// Why a call got no XML-RPC answer. Distinct from `XMLRPCFault`, which is an answer: after a
/// fault the server is known to have handled the call; after a transport error it may or may
/// not have.
public enum XMLRPCTransportError: Error, Sendable, Hashable {
    /// No connection could be made (refused, unreachable, connect timeout).
    case connectFailed(String)
    /// The connection closed or failed before the whole response arrived.
    case connectionClosed(String)
    /// No complete answer within the call's timeout.
    case timedOut
    /// The server answered with an HTTP status other than 200.
    case httpStatus(Int)
    /// The response body is not an XML-RPC response; the fault says what is wrong with it.
    case malformedResponse(XMLRPCFault)
    case responseTooLarge(bytesMax: Int)
    /// The configuration's `responseCheck` refused the response (not signed by whom it must be).
    case responseRefused
    /// The client was shut down.
    case shutDown
}

extension XMLRPCTransportError: CustomStringConvertible {
    public var description: String {
        switch self {
        case .connectFailed(let reason): "XML-RPC connect failed: \(reason)"
        case .connectionClosed(let reason): "XML-RPC connection closed before the response: \(reason)"
        case .timedOut: "XML-RPC call timed out"
        case .httpStatus(let status): "XML-RPC server answered HTTP \(status)"
        case .malformedResponse(let fault): "malformed XML-RPC response: \(fault.message)"
        case .responseTooLarge(let bytesMax): "XML-RPC response larger than \(bytesMax) bytes"
        case .responseRefused: "XML-RPC response refused: not signed by the server called, for this call"
        case .shutDown: "XML-RPC client is shut down"
        }
    }
}
