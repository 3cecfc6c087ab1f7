/// The parameters of one call, with typed accessors whose failures are ready-made
/// `invalidParameters` faults naming the position and the expected type.
public struct XMLRPCParameters: Sendable, Hashable {
    public let values: [XMLRPCValue]
    public let methodName: String
    /// Who made the call (anonymous unless the server's authenticator said otherwise).
    public let caller: XMLRPCCaller

    public init(_ values: [XMLRPCValue], methodName: String = "", caller: XMLRPCCaller = .anonymous) {
        self.values = values
        self.methodName = methodName
        self.caller = caller
    }

    public var count: Int { values.count }

    public subscript(index: Int) -> XMLRPCValue? {
        values.indices.contains(index) ? values[index] : nil
    }

    public func expectCount(_ expected: Int) throws(XMLRPCFault) {
        guard values.count == expected else {
            throw invalid("takes \(expected) parameter\(expected == 1 ? "" : "s"), got \(values.count)")
        }
    }

    public func expectCount(_ expected: ClosedRange<Int>) throws(XMLRPCFault) {
        guard expected.contains(values.count) else {
            throw invalid("takes \(expected.lowerBound) to \(expected.upperBound) parameters, got \(values.count)")
        }
    }

    public func value(_ index: Int) throws(XMLRPCFault) -> XMLRPCValue {
        guard let value = self[index] else {
            throw invalid("parameter at index \(index) is missing (got \(values.count) parameters)")
        }
        return value
    }

    public func int(_ index: Int) throws(XMLRPCFault) -> Int { try typed(index, "int", \.intValue) }
    public func bool(_ index: Int) throws(XMLRPCFault) -> Bool { try typed(index, "boolean", \.boolValue) }
    public func string(_ index: Int) throws(XMLRPCFault) -> String { try typed(index, "string", \.stringValue) }
    public func double(_ index: Int) throws(XMLRPCFault) -> Double { try typed(index, "double", \.doubleValue) }
    public func dateTime(_ index: Int) throws(XMLRPCFault) -> XMLRPCDateTime {
        try typed(index, "dateTime.iso8601", \.dateTimeValue)
    }
    public func base64(_ index: Int) throws(XMLRPCFault) -> [UInt8] { try typed(index, "base64", \.base64Value) }
    public func array(_ index: Int) throws(XMLRPCFault) -> [XMLRPCValue] { try typed(index, "array", \.arrayValue) }
    public func `struct`(_ index: Int) throws(XMLRPCFault) -> XMLRPCStruct { try typed(index, "struct", \.structValue) }

    /// Optional variants: nil when the parameter is absent or is `nil`; a fault when it is
    /// present with another type.
    public func optionalInt(_ index: Int) throws(XMLRPCFault) -> Int? { try optional(index, "int", \.intValue) }
    public func optionalBool(_ index: Int) throws(XMLRPCFault) -> Bool? { try optional(index, "boolean", \.boolValue) }
    public func optionalString(_ index: Int) throws(XMLRPCFault) -> String? { try optional(index, "string", \.stringValue) }
    public func optionalDouble(_ index: Int) throws(XMLRPCFault) -> Double? { try optional(index, "double", \.doubleValue) }
    public func optionalArray(_ index: Int) throws(XMLRPCFault) -> [XMLRPCValue]? {
        try optional(index, "array", \.arrayValue)
    }
    public func optionalStruct(_ index: Int) throws(XMLRPCFault) -> XMLRPCStruct? {
        try optional(index, "struct", \.structValue)
    }

    private func typed<Value>(
        _ index: Int, _ typeName: String, _ extract: (XMLRPCValue) -> Value?
    ) throws(XMLRPCFault) -> Value {
        let value = try value(index)
        guard let typed = extract(value) else {
            throw invalid("parameter at index \(index) must be \(typeName), got \(value.typeName)")
        }
        return typed
    }

    private func optional<Value>(
        _ index: Int, _ typeName: String, _ extract: (XMLRPCValue) -> Value?
    ) throws(XMLRPCFault) -> Value? {
        guard let value = self[index], !value.isNil else { return nil }
        return try typed(index, typeName, extract)
    }

    private func invalid(_ detail: String) -> XMLRPCFault {
        let subject = methodName.isEmpty ? "" : "\(methodName): "
        return XMLRPCFault(code: XMLRPCFault.invalidParameters, message: subject + detail)
    }
}
