/// A `<methodCall>`: a method name and its positional parameters.
public struct XMLRPCMethodCall: Sendable, Hashable {
    public var methodName: String
    public var parameters: [XMLRPCValue]

    public init(methodName: String, parameters: [XMLRPCValue] = []) {
        self.methodName = methodName
        self.parameters = parameters
    }
}

/// A `<methodResponse>`: exactly one value, or a fault.
public enum XMLRPCMethodResponse: Sendable, Hashable {
    case success(XMLRPCValue)
    case fault(XMLRPCFault)

    /// The value, or the fault thrown.
    public func get() throws(XMLRPCFault) -> XMLRPCValue {
        switch self {
        case .success(let value): return value
        case .fault(let fault): throw fault
        }
    }
}
