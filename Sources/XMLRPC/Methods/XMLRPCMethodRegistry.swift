import Synchronization

/// The methods a server offers, with Python `SimpleXMLRPCServer`'s introspection and
/// multicall built in.
///
/// Dispatch never throws: a handler that throws `XMLRPCFault` answers with that fault, any
/// other error becomes `internalError` carrying the error's description.
///
/// A method may require a grant: a caller without it gets the registry's access-denied fault
/// and the handler never runs (also inside `system.multicall`, which dispatches each of its
/// calls as the caller that made it).
public final class XMLRPCMethodRegistry: Sendable {
    public typealias Handler = @Sendable (XMLRPCParameters) async throws -> XMLRPCValue
    public typealias AccessDenied = @Sendable (_ methodName: String, _ caller: XMLRPCCaller) -> XMLRPCFault

    struct Method: Sendable {
        var help: String
        var signature: [[String]]?
        var requiredGrant: String?
        var handler: Handler
    }

    private let methods = Mutex<[String: Method]>([:])
    private let accessDenied: AccessDenied

    /// - Parameter withSystemMethods: register `system.listMethods`, `system.methodHelp`,
    ///   `system.methodSignature` and `system.multicall` (on by default).
    /// - Parameter accessDenied: the fault for a caller that lacks a method's grant.
    public init(withSystemMethods: Bool = true, accessDenied: @escaping AccessDenied = XMLRPCMethodRegistry.defaultAccessDenied) {
        self.accessDenied = accessDenied
        if withSystemMethods { registerSystemMethods() }
    }

    public static let defaultAccessDenied: AccessDenied = { methodName, _ in
        XMLRPCFault(code: XMLRPCFault.applicationError, message: "method \"\(methodName)\" needs credentials this call does not carry")
    }

    /// Adds or replaces a method.
    /// - Parameter signature: for `system.methodSignature`: each entry is a return type
    ///   followed by parameter types (`[["int", "int", "int"]]`).
    /// - Parameter grant: the grant a caller needs (nil: anyone may call it).
    public func register(
        _ name: String, help: String = "", signature: [[String]]? = nil, requires grant: String? = nil,
        _ handler: @escaping Handler
    ) {
        methods.withLock { $0[name] = Method(help: help, signature: signature, requiredGrant: grant, handler: handler) }
    }

    public func unregister(_ name: String) {
        _ = methods.withLock { $0.removeValue(forKey: name) }
    }

    /// Sorted, as Python returns them.
    public var methodNames: [String] { methods.withLock { $0.keys.sorted() } }

    func method(named name: String) -> Method? { methods.withLock { $0[name] } }

    public func dispatch(_ call: XMLRPCMethodCall, caller: XMLRPCCaller = .anonymous) async -> XMLRPCMethodResponse {
        guard let method = method(named: call.methodName) else {
            return .fault(XMLRPCFault(
                code: XMLRPCFault.methodNotFound, message: "method \"\(call.methodName)\" is not supported"))
        }
        if let grant = method.requiredGrant, !caller.grants.contains(grant) {
            return .fault(accessDenied(call.methodName, caller))
        }
        do {
            return .success(try await method.handler(XMLRPCParameters(call.parameters, methodName: call.methodName, caller: caller)))
        } catch let fault as XMLRPCFault {
            return .fault(fault)
        } catch {
            return .fault(XMLRPCFault(code: XMLRPCFault.internalError, message: String(describing: error)))
        }
    }
}
