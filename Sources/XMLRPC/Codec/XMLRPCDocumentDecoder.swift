/// The XML-RPC grammar over `XMLScanner` events: `methodCall`, `methodResponse` and values.
///
/// Whitespace between elements is ignored; any other text where the grammar expects elements
/// is an error. A `<value>` with text and no type element is a string, its whitespace kept.
struct XMLRPCDocumentDecoder {
    var scanner: XMLScanner
    private var input: XMLInput { scanner.input }

    init(scanner: XMLScanner) { self.scanner = scanner }

    mutating func decodeCall() throws(DecodingError) -> XMLRPCMethodCall {
        try expectStart("methodCall", context: "the document")
        try expectStart("methodName", context: "methodCall")
        let methodName = input.string(of: try textContent(of: "methodName"))
        guard !methodName.isEmpty else { throw .invalid("empty <methodName>") }
        var parameters: [XMLRPCValue] = []
        switch try nextElementEvent(context: "methodCall") {
        case .start(let name) where input.name(name, is: "params"):
            parameters = try decodeParams()
            try expectEnd(context: "methodCall")
        case .end:
            break
        default:
            throw .invalid("<methodCall> may hold only <methodName> and <params>")
        }
        try expectEndOfDocument()
        return XMLRPCMethodCall(methodName: methodName, parameters: parameters)
    }

    mutating func decodeResponse() throws(DecodingError) -> XMLRPCMethodResponse {
        try expectStart("methodResponse", context: "the document")
        let response: XMLRPCMethodResponse
        switch try nextElementEvent(context: "methodResponse") {
        case .start(let name) where input.name(name, is: "params"):
            let parameters = try decodeParams()
            guard parameters.count == 1 else {
                throw .invalid("a <methodResponse> holds exactly one <param>, found \(parameters.count)")
            }
            response = .success(parameters[0])
        case .start(let name) where input.name(name, is: "fault"):
            try expectStart("value", context: "fault")
            response = .fault(try Self.fault(from: try decodeValue()))
            try expectEnd(context: "fault")
        default:
            throw .invalid("<methodResponse> must hold <params> or <fault>")
        }
        try expectEnd(context: "methodResponse")
        try expectEndOfDocument()
        return response
    }

    private static func fault(from value: XMLRPCValue) throws(DecodingError) -> XMLRPCFault {
        guard let members = value.structValue,
              let code = members["faultCode"]?.intValue,
              let message = members["faultString"]?.stringValue
        else { throw .invalid("a <fault> value must be a struct of faultCode (int) and faultString (string)") }
        return XMLRPCFault(code: code, message: message)
    }

    /// After `<params>`: the values of its `<param>` elements, through `</params>`.
    private mutating func decodeParams() throws(DecodingError) -> [XMLRPCValue] {
        var parameters: [XMLRPCValue] = []
        while true {
            switch try nextElementEvent(context: "params") {
            case .start(let name) where input.name(name, is: "param"):
                try expectStart("value", context: "param")
                parameters.append(try decodeValue())
                try expectEnd(context: "param")
            case .end:
                return parameters
            default:
                throw .invalid("<params> may hold only <param> elements")
            }
        }
    }

    // MARK: Values

    /// After `<value>`: the value, through `</value>`.
    mutating func decodeValue() throws(DecodingError) -> XMLRPCValue {
        var event = try scanner.next()
        var leadingText: XMLText? = nil
        if case .text(let text) = event {
            leadingText = text
            event = try scanner.next()
        }
        switch event {
        case .end:
            return .string(leadingText.map(input.string(of:)) ?? "")
        case .start(let typeName):
            if let leadingText, !input.isWhitespace(leadingText) {
                throw .invalid("text before <\(input.string(of: typeName))> in a <value>")
            }
            let value = try decodeTypedValue(typeName)
            try expectEnd(context: "value")
            return value
        default:
            throw .invalid("malformed <value>")
        }
    }

    /// After `<type>`: the value, through `</type>`.
    private mutating func decodeTypedValue(_ typeName: Range<Int>) throws(DecodingError) -> XMLRPCValue {
        let input = self.input
        if input.name(typeName, is: "string") {
            return .string(input.string(of: try textContent(of: "string")))
        }
        if input.name(typeName, is: "int") || input.name(typeName, is: "i4") || input.name(typeName, is: "i8") {
            let text = try textContent(of: "int")
            guard let value = input.withBytes(of: text, XMLRPCScalarFormat.parseInteger) else {
                throw .invalid("<\(input.string(of: typeName))> holds \"\(input.string(of: text))\", not an integer in 64 bits")
            }
            return .int(value)
        }
        if input.name(typeName, is: "boolean") {
            let text = try textContent(of: "boolean")
            guard let value = input.withBytes(of: text, XMLRPCScalarFormat.parseBoolean) else {
                throw .invalid("<boolean> holds \"\(input.string(of: text))\", not 0 or 1")
            }
            return .bool(value)
        }
        if input.name(typeName, is: "double") {
            let text = try textContent(of: "double")
            guard let value = XMLRPCScalarFormat.parseDouble(input.string(of: text)) else {
                throw .invalid("<double> holds \"\(input.string(of: text))\", not a number")
            }
            return .double(value)
        }
        if input.name(typeName, is: "dateTime.iso8601") {
            let text = try textContent(of: "dateTime.iso8601")
            guard let value = input.withBytes(of: text, XMLRPCDateTimeFormat.parse) else {
                throw .invalid("<dateTime.iso8601> holds \"\(input.string(of: text))\", not YYYYMMDDTHH:MM:SS")
            }
            return .dateTime(value)
        }
        if input.name(typeName, is: "base64") {
            let text = try textContent(of: "base64")
            guard let bytes = input.withBytes(of: text, Base64.decode) else {
                throw .invalid("<base64> holds text that is not base64")
            }
            return .base64(bytes)
        }
        if input.name(typeName, is: "struct") { return try decodeStruct() }
        if input.name(typeName, is: "array") { return try decodeArray() }
        if input.name(typeName, is: "nil") || input.name(typeName, is: "ex:nil") {
            let text = try textContent(of: "nil")
            guard input.isWhitespace(text) else { throw .invalid("<nil> must be empty") }
            return .nil
        }
        throw .invalid("unknown value type <\(input.string(of: typeName))>")
    }

    private mutating func decodeStruct() throws(DecodingError) -> XMLRPCValue {
        var members = XMLRPCStruct()
        while true {
            switch try nextElementEvent(context: "struct") {
            case .start(let name) where input.name(name, is: "member"):
                try expectStart("name", context: "member")
                let memberName = input.string(of: try textContent(of: "name"))
                try expectStart("value", context: "member")
                members[memberName] = try decodeValue()
                try expectEnd(context: "member")
            case .end:
                return .struct(members)
            default:
                throw .invalid("<struct> may hold only <member> elements")
            }
        }
    }

    private mutating func decodeArray() throws(DecodingError) -> XMLRPCValue {
        try expectStart("data", context: "array")
        var elements: [XMLRPCValue] = []
        while true {
            switch try nextElementEvent(context: "data") {
            case .start(let name) where input.name(name, is: "value"):
                elements.append(try decodeValue())
            case .end:
                try expectEnd(context: "array")
                return .array(elements)
            default:
                throw .invalid("<data> may hold only <value> elements")
            }
        }
    }

    // MARK: Structure helpers

    /// The next start or end tag, skipping whitespace; other text is an error.
    private mutating func nextElementEvent(context: StaticString) throws(DecodingError) -> XMLScanner.Event {
        while true {
            let event = try scanner.next()
            guard case .text(let text) = event else { return event }
            guard input.isWhitespace(text) else { throw .invalid("text inside <\(context)>") }
        }
    }

    private mutating func expectStart(_ expected: StaticString, context: StaticString) throws(DecodingError) {
        guard case .start(let name) = try nextElementEvent(context: context), input.name(name, is: expected) else {
            throw .invalid("expected <\(expected)> in \(context)")
        }
    }

    /// The end tag of the current element (the scanner guarantees it matches).
    private mutating func expectEnd(context: StaticString) throws(DecodingError) {
        guard case .end = try nextElementEvent(context: context) else {
            throw .invalid("unexpected element in <\(context)>")
        }
    }

    /// The text of an element that may hold only text, through its end tag.
    private mutating func textContent(of element: StaticString) throws(DecodingError) -> XMLText {
        switch try scanner.next() {
        case .end:
            return .raw(0..<0)
        case .text(let text):
            guard case .end = try scanner.next() else { throw .invalid("<\(element)> may hold only text") }
            return text
        default:
            throw .invalid("<\(element)> may hold only text")
        }
    }

    mutating func expectEndOfDocument() throws(DecodingError) {
        guard case .endOfDocument = try scanner.next() else { throw .invalid("content after the root element") }
    }
}
