/// A pull scanner for the subset of XML 1.0 that carries XML-RPC: elements, attributes
/// (checked for syntax, then ignored), character and entity references, CDATA sections,
/// comments, processing instructions and the XML declaration. It enforces well-formedness
/// (tags nest and match, one root, no text outside it) and the limits; the XML-RPC grammar
/// on top of it lives in `XMLRPCDocumentDecoder`.
///
/// Document type declarations are refused: XML-RPC has no use for them, and their entity
/// definitions are the classic amplification attack.
///
/// The input must already have passed `UTF8Validation`.
struct XMLScanner {
    enum Event {
        case start(name: Range<Int>)
        case end(name: Range<Int>)
        case text(XMLText)
        case endOfDocument
    }

    let input: XMLInput
    let limits: XMLRPCDecodingLimits
    private(set) var position = 0
    /// Names of the open elements, innermost last.
    private var openElements: [Range<Int>] = []
    private var elementCount = 0
    private var hasSeenRoot = false
    /// Set by `<name/>`, which reports a start and then, on the next call, its end.
    private var isEmptyElementPending = false

    init(input: XMLInput, limits: XMLRPCDecodingLimits) {
        self.input = input
        self.limits = limits
        openElements.reserveCapacity(16)
    }

    mutating func next() throws(DecodingError) -> Event {
        if isEmptyElementPending {
            isEmptyElementPending = false
            return .end(name: openElements.removeLast())
        }
        if openElements.isEmpty {
            return try nextOutsideRoot()
        }
        return try nextInContent()
    }

    // MARK: Prolog and epilog

    private mutating func nextOutsideRoot() throws(DecodingError) -> Event {
        if position == 0 {
            try skipByteOrderMarkAndDeclaration()
        }
        while true {
            while position < input.count && XMLSyntax.isWhitespace(input[position]) { position += 1 }
            guard position < input.count else {
                if hasSeenRoot { return .endOfDocument }
                throw .notWellFormed(input.count == 0 ? "empty document" : "no root element")
            }
            guard input[position] == XMLSyntax.lessThan else {
                throw .notWellFormed("text outside the root element at byte \(position)")
            }
            if startsWith("<?") {
                try skipProcessingInstruction()
            } else if startsWith("<!--") {
                try skipComment()
            } else if startsWith("<!DOCTYPE") {
                throw .notWellFormed("document type declarations are not accepted (byte \(position))")
            } else if startsWith("<!") || startsWith("</") {
                throw .notWellFormed("unexpected markup outside the root element at byte \(position)")
            } else if hasSeenRoot {
                throw .notWellFormed("a second root element at byte \(position)")
            } else {
                hasSeenRoot = true
                return try scanStartTag()
            }
        }
    }

    private mutating func skipByteOrderMarkAndDeclaration() throws(DecodingError) {
        if startsWith("\u{FEFF}") { position += 3 }
        guard startsWith("<?xml"), position + 5 < input.count,
              XMLSyntax.isWhitespace(input[position + 5]) || input[position + 5] == UInt8(ascii: "?")
        else { return }
        position += 5
        var isFirst = true
        while true {
            let hadWhitespace = skipWhitespace()
            guard position < input.count else { throw .notWellFormed("document ends inside the XML declaration") }
            if startsWith("?>") {
                position += 2
                if isFirst { throw .notWellFormed("the XML declaration has no version") }
                return
            }
            guard hadWhitespace else { throw .notWellFormed("expected whitespace in the XML declaration at byte \(position)") }
            let (name, value) = try scanAttribute()
            let nameText = input.string(of: name)
            let valueText = input.string(of: value)
            if isFirst && nameText != "version" {
                throw .notWellFormed("the XML declaration must start with its version")
            }
            switch nameText {
            case "version":
                guard valueText.hasPrefix("1.") else { throw .notWellFormed("unsupported XML version \(valueText)") }
            case "encoding":
                // We only read UTF-8; ASCII is a subset of it.
                guard ["utf-8", "utf8", "us-ascii", "ascii"].contains(valueText.lowercased()) else {
                    throw .notWellFormed("unsupported encoding \(valueText): only UTF-8 is accepted")
                }
            case "standalone":
                guard valueText == "yes" || valueText == "no" else { throw .notWellFormed("bad standalone value") }
            default:
                throw .notWellFormed("unknown pseudo-attribute \(nameText) in the XML declaration")
            }
            isFirst = false
        }
    }

    // MARK: Content

    private mutating func nextInContent() throws(DecodingError) -> Event {
        var text = TextAccumulator(start: position)
        while true {
            // The hot loop: plain text bytes only advance the position.
            while position < input.count {
                let byte = input[position]
                if byte == XMLSyntax.lessThan || byte == XMLSyntax.ampersand
                    || byte == XMLSyntax.carriageReturn || byte == XMLSyntax.closingBracket { break }
                position += 1
            }
            guard position < input.count else {
                throw .notWellFormed("document ends inside <\(input.string(of: openElements.last!))>")
            }
            switch input[position] {
            case XMLSyntax.ampersand:
                try text.flush(upTo: position, from: input, limit: limits.textBytesMax)
                let scalar = try scanReference()
                text.appendScalar(scalar)
                text.restart(at: position)
            case XMLSyntax.carriageReturn:
                // XML 1.0 §2.11: CR LF and lone CR both read as LF.
                try text.flush(upTo: position, from: input, limit: limits.textBytesMax)
                position += 1
                if position < input.count && input[position] == XMLSyntax.lineFeed { position += 1 }
                text.appendScalar(UInt32(XMLSyntax.lineFeed))
                text.restart(at: position)
            case XMLSyntax.closingBracket:
                if startsWith("]]>") { throw .notWellFormed("']]>' in text at byte \(position)") }
                position += 1
            default:  // "<"
                if startsWith("<!--") {
                    try text.flush(upTo: position, from: input, limit: limits.textBytesMax)
                    try skipComment()
                    text.restart(at: position)
                } else if startsWith("<![CDATA[") {
                    try text.flush(upTo: position, from: input, limit: limits.textBytesMax)
                    try appendCharacterData(to: &text)
                    text.restart(at: position)
                } else if startsWith("<?") {
                    try text.flush(upTo: position, from: input, limit: limits.textBytesMax)
                    try skipProcessingInstruction()
                    text.restart(at: position)
                } else if startsWith("<!") {
                    throw .notWellFormed("markup declaration inside an element at byte \(position)")
                } else if let finished = try text.finish(at: position, from: input, limit: limits.textBytesMax) {
                    return .text(finished)
                } else if startsWith("</") {
                    return try scanEndTag()
                } else {
                    return try scanStartTag()
                }
            }
        }
    }

    // MARK: Tags

    private mutating func scanStartTag() throws(DecodingError) -> Event {
        position += 1  // "<"
        let name = try scanName()
        while true {
            let hadWhitespace = skipWhitespace()
            guard position < input.count else { throw .notWellFormed("document ends inside a start tag") }
            let byte = input[position]
            if byte == XMLSyntax.greaterThan {
                position += 1
                break
            }
            if startsWith("/>") {
                position += 2
                isEmptyElementPending = true
                break
            }
            guard hadWhitespace else { throw .notWellFormed("malformed start tag at byte \(position)") }
            _ = try scanAttribute()
        }
        guard openElements.count < limits.elementDepthMax else {
            throw .limitExceeded("elements nest deeper than \(limits.elementDepthMax) (XMLRPCDecodingLimits.elementDepthMax)")
        }
        elementCount += 1
        guard elementCount <= limits.elementCountMax else {
            throw .limitExceeded("more than \(limits.elementCountMax) elements (XMLRPCDecodingLimits.elementCountMax)")
        }
        openElements.append(name)
        return .start(name: name)
    }

    private mutating func scanEndTag() throws(DecodingError) -> Event {
        let tagStart = position
        position += 2  // "</"
        let name = try scanName()
        _ = skipWhitespace()
        guard position < input.count, input[position] == XMLSyntax.greaterThan else {
            throw .notWellFormed("malformed end tag at byte \(tagStart)")
        }
        position += 1
        let open = openElements.removeLast()
        guard open.count == name.count,
              zip(open, name).allSatisfy({ input[$0] == input[$1] })
        else {
            throw .notWellFormed("</\(input.string(of: name))> at byte \(tagStart) does not close <\(input.string(of: open))>")
        }
        return .end(name: name)
    }

    private mutating func scanName() throws(DecodingError) -> Range<Int> {
        let start = position
        guard position < input.count, XMLSyntax.isNameStart(input[position]) else {
            throw .notWellFormed("expected a name at byte \(position)")
        }
        position += 1
        while position < input.count && XMLSyntax.isName(input[position]) { position += 1 }
        return start..<position
    }

    /// `name S? = S? "value"` or with single quotes; references in the value are checked.
    private mutating func scanAttribute() throws(DecodingError) -> (name: Range<Int>, value: Range<Int>) {
        let name = try scanName()
        _ = skipWhitespace()
        guard position < input.count, input[position] == UInt8(ascii: "=") else {
            throw .notWellFormed("expected '=' after an attribute name at byte \(position)")
        }
        position += 1
        _ = skipWhitespace()
        guard position < input.count,
              input[position] == UInt8(ascii: "\"") || input[position] == UInt8(ascii: "'")
        else { throw .notWellFormed("expected a quoted attribute value at byte \(position)") }
        let quote = input[position]
        position += 1
        let valueStart = position
        while position < input.count && input[position] != quote {
            switch input[position] {
            case XMLSyntax.lessThan:
                throw .notWellFormed("'<' in an attribute value at byte \(position)")
            case XMLSyntax.ampersand:
                _ = try scanReference()
            default:
                position += 1
            }
        }
        guard position < input.count else { throw .notWellFormed("document ends inside an attribute value") }
        let value = valueStart..<position
        position += 1
        return (name, value)
    }

    // MARK: References, CDATA, comments, processing instructions

    /// `&name;`, `&#digits;` or `&#xhex;` at the position; returns the scalar it stands for.
    private mutating func scanReference() throws(DecodingError) -> UInt32 {
        let start = position
        position += 1  // "&"
        if position < input.count && input[position] == UInt8(ascii: "#") {
            position += 1
            let isHex = position < input.count && input[position] == UInt8(ascii: "x")
            if isHex { position += 1 }
            var scalar: UInt32 = 0
            var digitCount = 0
            while position < input.count, let digit = Self.digitValue(input[position], hex: isHex) {
                scalar = scalar &* (isHex ? 16 : 10) &+ digit
                digitCount += 1
                // Stop before overflow can wrap a huge number into a valid one.
                guard scalar <= 0x10FFFF else { throw .notWellFormed("character reference out of range at byte \(start)") }
                position += 1
            }
            guard digitCount > 0, position < input.count, input[position] == UInt8(ascii: ";") else {
                throw .notWellFormed("malformed character reference at byte \(start)")
            }
            position += 1
            guard XMLSyntax.isCharacter(scalar) else {
                throw .notWellFormed("character reference to a character XML cannot carry at byte \(start)")
            }
            return scalar
        }
        let name = try scanName()
        guard position < input.count, input[position] == UInt8(ascii: ";") else {
            throw .notWellFormed("malformed entity reference at byte \(start)")
        }
        position += 1
        if input.name(name, is: "lt") { return UInt32(UInt8(ascii: "<")) }
        if input.name(name, is: "gt") { return UInt32(UInt8(ascii: ">")) }
        if input.name(name, is: "amp") { return UInt32(UInt8(ascii: "&")) }
        if input.name(name, is: "quot") { return UInt32(UInt8(ascii: "\"")) }
        if input.name(name, is: "apos") { return UInt32(UInt8(ascii: "'")) }
        throw .notWellFormed("undefined entity &\(input.string(of: name)); at byte \(start)")
    }

    private static func digitValue(_ byte: UInt8, hex: Bool) -> UInt32? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): UInt32(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f") where hex: UInt32(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F") where hex: UInt32(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }

    private mutating func appendCharacterData(to text: inout TextAccumulator) throws(DecodingError) {
        let start = position
        position += 9  // "<![CDATA["
        text.restart(at: position)
        while position < input.count {
            if input[position] == XMLSyntax.closingBracket && startsWith("]]>") {
                try text.flush(upTo: position, from: input, limit: limits.textBytesMax)
                position += 3
                return
            }
            if input[position] == XMLSyntax.carriageReturn {
                try text.flush(upTo: position, from: input, limit: limits.textBytesMax)
                position += 1
                if position < input.count && input[position] == XMLSyntax.lineFeed { position += 1 }
                text.appendScalar(UInt32(XMLSyntax.lineFeed))
                text.restart(at: position)
                continue
            }
            position += 1
        }
        throw .notWellFormed("unterminated CDATA section at byte \(start)")
    }

    private mutating func skipComment() throws(DecodingError) {
        let start = position
        position += 4  // "<!--"
        while position + 1 < input.count {
            if input[position] == UInt8(ascii: "-") && input[position + 1] == UInt8(ascii: "-") {
                guard position + 2 < input.count, input[position + 2] == XMLSyntax.greaterThan else {
                    throw .notWellFormed("'--' inside the comment at byte \(start)")
                }
                position += 3
                return
            }
            position += 1
        }
        throw .notWellFormed("unterminated comment at byte \(start)")
    }

    private mutating func skipProcessingInstruction() throws(DecodingError) {
        let start = position
        position += 2  // "<?"
        let target = try scanName()
        if target.count == 3 && input.string(of: target).lowercased() == "xml" {
            throw .notWellFormed("an XML declaration that is not at the start of the document (byte \(start))")
        }
        while position + 1 < input.count {
            if input[position] == UInt8(ascii: "?") && input[position + 1] == XMLSyntax.greaterThan {
                position += 2
                return
            }
            position += 1
        }
        throw .notWellFormed("unterminated processing instruction at byte \(start)")
    }

    // MARK: Helpers

    @inline(__always) private func startsWith(_ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard position + count <= input.count else { return false }
        let bytes = literal.utf8Start
        for offset in 0..<count where input[position + offset] != bytes[offset] { return false }
        return true
    }

    /// Returns whether any whitespace was skipped.
    private mutating func skipWhitespace() -> Bool {
        let start = position
        while position < input.count && XMLSyntax.isWhitespace(input[position]) { position += 1 }
        return position != start
    }
}

/// Collects one run of character data: a slice of the input while nothing needs resolving,
/// a copy from the first reference, CDATA section, comment or CR on.
struct TextAccumulator {
    private var segmentStart: Int
    private var resolved: [UInt8]? = nil

    init(start: Int) { segmentStart = start }

    mutating func restart(at position: Int) { segmentStart = position }

    /// Moves the pending input slice into the copy.
    mutating func flush(upTo position: Int, from input: XMLInput, limit: Int) throws(DecodingError) {
        let length = position - segmentStart
        if resolved == nil {
            guard length > 0 else { return }
            resolved = []
        }
        guard resolved!.count + length <= limit else {
            throw .limitExceeded("text longer than \(limit) bytes (XMLRPCDecodingLimits.textBytesMax)")
        }
        resolved!.append(contentsOf: UnsafeBufferPointer(start: input.base + segmentStart, count: length))
        segmentStart = position
    }

    mutating func appendScalar(_ scalar: UInt32) {
        if resolved == nil { resolved = [] }
        XMLSyntax.appendUTF8(scalar, to: &resolved!)
    }

    /// The collected text, or nil when there is none.
    mutating func finish(at position: Int, from input: XMLInput, limit: Int) throws(DecodingError) -> XMLText? {
        if resolved == nil {
            guard position > segmentStart else { return nil }
            guard position - segmentStart <= limit else {
                throw .limitExceeded("text longer than \(limit) bytes (XMLRPCDecodingLimits.textBytesMax)")
            }
            return .raw(segmentStart..<position)
        }
        try flush(upTo: position, from: input, limit: limit)
        return .resolved(resolved!)
    }
}
