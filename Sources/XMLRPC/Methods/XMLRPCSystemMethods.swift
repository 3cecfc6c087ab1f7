/// `system.*` methods with the results Python's `SimpleXMLRPCServer` gives, so that clients
/// written against it (and its introspection conventions) work unchanged.
extension XMLRPCMethodRegistry {
    func registerSystemMethods() {
        register(
            "system.listMethods", help: "Returns the names of the methods this server offers, sorted.",
            signature: [["array"]]
        ) { [unowned self] parameters in
            try parameters.expectCount(0)
            return .array(methodNames.map(XMLRPCValue.string))
        }

        register(
            "system.methodHelp", help: "Returns the help text of a method (empty when there is none).",
            signature: [["string", "string"]]
        ) { [unowned self] parameters in
            try parameters.expectCount(1)
            return .string(method(named: try parameters.string(0))?.help ?? "")
        }

        register(
            "system.methodSignature",
            help: "Returns the signatures of a method, or the string \"signatures not supported\".",
            signature: [["array", "string"], ["string", "string"]]
        ) { [unowned self] parameters in
            try parameters.expectCount(1)
            // Python answers this string when it knows no signature; the introspection
            // convention allows any non-array value there.
            guard let signature = method(named: try parameters.string(0))?.signature else {
                return "signatures not supported"
            }
            return .array(signature.map { .array($0.map(XMLRPCValue.string)) })
        }

        register(
            "system.multicall",
            help: "Runs an array of {methodName, params} calls in order; returns [result] or a fault struct for each.",
            signature: [["array", "array"]]
        ) { [unowned self] parameters in
            try parameters.expectCount(1)
            var results: [XMLRPCValue] = []
            for entry in try parameters.array(0) {
                results.append(await multicallResult(of: entry, caller: parameters.caller))
            }
            return .array(results)
        }
    }

    private func multicallResult(of entry: XMLRPCValue, caller: XMLRPCCaller) async -> XMLRPCValue {
        guard let members = entry.structValue,
              let methodName = members["methodName"]?.stringValue,
              let callParameters = members["params"]?.arrayValue
        else {
            return Self.faultStruct(XMLRPCFault(
                code: XMLRPCFault.invalidParameters,
                message: "system.multicall: each call must be a struct of methodName (string) and params (array)"))
        }
        switch await dispatch(XMLRPCMethodCall(methodName: methodName, parameters: callParameters), caller: caller) {
        case .success(let value): return [value]
        case .fault(let fault): return Self.faultStruct(fault)
        }
    }

    static func faultStruct(_ fault: XMLRPCFault) -> XMLRPCValue {
        ["faultCode": .int(fault.code), "faultString": .string(fault.message)]
    }
}
