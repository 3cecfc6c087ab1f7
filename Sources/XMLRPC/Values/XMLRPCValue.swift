/// One XML-RPC value: every type of the specification plus `nil` (the common extension).
///
/// Integers are one case whatever their width: the encoder chooses `<int>` when the value
/// fits 32 bits (what every peer understands) and `<i8>` only when it has to.
public enum XMLRPCValue: Sendable, Hashable {
    case int(Int)
    case bool(Bool)
    case string(String)
    case double(Double)
    case dateTime(XMLRPCDateTime)
    case base64([UInt8])
    case array([XMLRPCValue])
    case `struct`(XMLRPCStruct)
    case `nil`
}

extension XMLRPCValue {
    public var intValue: Int? {
        if case .int(let value) = self { return value }
        return nil
    }

    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    public var doubleValue: Double? {
        if case .double(let value) = self { return value }
        return nil
    }

    public var dateTimeValue: XMLRPCDateTime? {
        if case .dateTime(let value) = self { return value }
        return nil
    }

    public var base64Value: [UInt8]? {
        if case .base64(let value) = self { return value }
        return nil
    }

    public var arrayValue: [XMLRPCValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    public var structValue: XMLRPCStruct? {
        if case .struct(let value) = self { return value }
        return nil
    }

    public var isNil: Bool {
        if case .nil = self { return true }
        return false
    }

    /// The type name as it appears on the wire, for error messages and introspection.
    public var typeName: String {
        switch self {
        case .int: "int"
        case .bool: "boolean"
        case .string: "string"
        case .double: "double"
        case .dateTime: "dateTime.iso8601"
        case .base64: "base64"
        case .array: "array"
        case .struct: "struct"
        case .nil: "nil"
        }
    }
}

extension XMLRPCValue: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
}

extension XMLRPCValue: ExpressibleByIntegerLiteral {
    public init(integerLiteral value: Int) { self = .int(value) }
}

extension XMLRPCValue: ExpressibleByBooleanLiteral {
    public init(booleanLiteral value: Bool) { self = .bool(value) }
}

extension XMLRPCValue: ExpressibleByFloatLiteral {
    public init(floatLiteral value: Double) { self = .double(value) }
}

extension XMLRPCValue: ExpressibleByArrayLiteral {
    public init(arrayLiteral elements: XMLRPCValue...) { self = .array(elements) }
}

extension XMLRPCValue: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, XMLRPCValue)...) {
        var members = XMLRPCStruct()
        for (name, value) in elements { members[name] = value }
        self = .struct(members)
    }
}

extension XMLRPCValue: CustomStringConvertible {
    /// A compact, Python-like rendering for logs and test failures (not the wire format).
    public var description: String {
        switch self {
        case .int(let value): String(value)
        case .bool(let value): value ? "true" : "false"
        case .string(let value): "\"" + value + "\""
        case .double(let value): String(value)
        case .dateTime(let value): value.description
        case .base64(let bytes): "base64(\(bytes.count) bytes)"
        case .array(let values): "[" + values.map(\.description).joined(separator: ", ") + "]"
        case .struct(let members): members.description
        case .nil: "nil"
        }
    }
}
