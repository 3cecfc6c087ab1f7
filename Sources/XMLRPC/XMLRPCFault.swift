/// An XML-RPC fault: what a server answers instead of a result, and what the client throws.
///
/// The negative codes are those of the "specification for fault code interoperability"
/// (xmlrpc-epi), which Python, Apache XML-RPC and others share. Applications use other codes
/// (small positive numbers by convention).
public struct XMLRPCFault: Error, Sendable, Hashable {
    public var code: Int
    public var message: String

    public init(code: Int, message: String) {
        self.code = code
        self.message = message
    }

    /// The document is not well-formed XML (syntax, encoding, truncation, mismatched tags).
    public static let notWellFormed = -32700
    /// Well-formed XML, but not an XML-RPC request or response (unknown element, bad value,
    /// a limit of `XMLRPCDecodingLimits` exceeded).
    public static let invalidXMLRPC = -32600
    public static let methodNotFound = -32601
    /// Wrong number or types of parameters.
    public static let invalidParameters = -32602
    /// The handler failed with an error that is not itself a fault.
    public static let internalError = -32603
    /// An error of the application (the interoperability convention's -32500), here the
    /// registry's default answer to a caller without the grant a method needs.
    public static let applicationError = -32500
}

extension XMLRPCFault: CustomStringConvertible {
    public var description: String { "XML-RPC fault \(code): \(message)" }
}
