import XMLRPC

/// How one failed attempt bears on the operation: try another node or stop, and whether the
/// value may have been chosen by it. One table for every call, so submits, reads and the CLI
/// agree on what is retried (the README's fault table).
struct AttemptFailure {
    enum Verdict {
        /// Another node may succeed; this attempt certainly did not choose the value.
        case retryNotApplied
        /// Another node may succeed; this attempt may have chosen the value.
        case retryMaybeApplied
        /// No node will answer otherwise; the call changed nothing.
        case stop
    }

    let verdict: Verdict
    let fault: XMLRPCFault?
    let text: String

    init(_ error: any Error) {
        text = String(describing: error)
        switch error {
        case let fault as XMLRPCFault:
            self.fault = fault
            verdict = Self.verdict(faultCode: fault.code)
        case let transport as XMLRPCTransportError:
            fault = nil
            switch transport {
            case .connectFailed:
                // Nothing was sent: the node is down or unreachable.
                verdict = .retryNotApplied
            case .connectionClosed, .timedOut, .httpStatus, .malformedResponse, .responseTooLarge, .responseRefused, .shutDown:
                // The request may have reached the node and be acted on after we stopped listening.
                verdict = .retryMaybeApplied
            }
        default:
            fault = nil
            verdict = .retryMaybeApplied
        }
    }

    /// The README's fault codes: 1 no majority, the value was not chosen; 2 the deadline
    /// passed with the value in an Accept; 3 the node is overloaded and refused it at the door;
    /// 4 the node is shutting down (perhaps with the value in flight). Everything else (-32602
    /// invalid parameters, 8 not authenticated, 5-7, the XML-RPC codes) is the same anywhere.
    static func verdict(faultCode: Int) -> Verdict {
        switch faultCode {
        case 1, 3: .retryNotApplied
        case 2, 4: .retryMaybeApplied
        default: .stop
        }
    }
}
