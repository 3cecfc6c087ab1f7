import Synchronization

/// The methods a server offers, with Python `SimpleXMLRPCServer`'s introspection and
/// multicall built in.
///
/// Dispatch never throws: a handler that throws `XMLRPCFault` answers with that fault, any
/// other error becomes `internalError` carrying the error's description.
public final class XMLRPCMethodRegistry: Sendable {
    public typealias Handler = @Sendable (XMLRPCParameters) async throws -> XMLRPCValue

    struct Method: Sendable {
        var help: String
        var signature: [[String]]?
        var handler: Handler
    }

    private let methods = Mutex<[String: Method]>([:])

    /// - Parameter withSystemMethods: register `system.listMethods`, `system.methodHelp`,
    ///   `system.methodSignature` and `system.multicall` (on by default).
    public init(withSystemMethods: Bool = true) {
        if withSystemMethods { registerSystemMethods() }
    }

    /// Adds or replaces a method.
    /// - Parameter signature: for `system.methodSignature`: each entry is a return type
    ///   followed by parameter types (`[["int", "int", "int"]]`).
    public func register(
        _ name: String, help: String = "", signature: [[String]]? = nil,
        _ handler: @escaping Handler
    ) {
        methods.withLock { $0[name] = Method(help: help, signature: signature, handler: handler) }
    }

    public func unregister(_ name: String) {
        _ = methods.withLock { $0.removeValue(forKey: name) }
    }

    /// Sorted, as Python returns them.
    public var methodNames: [String] { methods.withLock { $0.keys.sorted() } }

    func method(named name: String) -> Method? { methods.withLock { $0[name] } }

    public func dispatch(_ call: XMLRPCMethodCall) async -> XMLRPCMethodResponse {
        guard let method = method(named: call.methodName) else {
            return .fault(XMLRPCFault(
                code: XMLRPCFault.methodNotFound, message: "method \"\(call.methodName)\" is not supported"))
        }
        do {
            return .success(try await method.handler(XMLRPCParameters(call.parameters, methodName: call.methodName)))
        } catch let fault as XMLRPCFault {
            return .fault(fault)
        } catch {
            return .fault(XMLRPCFault(code: XMLRPCFault.internalError, message: String(describing: error)))
        }
    }
}
