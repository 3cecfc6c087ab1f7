/// Bounds on what one document may make the decoder do. Each is checked while scanning, so a
/// hostile document costs at most these amounts of memory and time, and exceeding any of them
/// is an `XMLRPCFault.invalidXMLRPC` fault naming the limit, never a crash.
public struct XMLRPCDecodingLimits: Sendable, Hashable {
    /// Elements open at once. The envelope takes four levels (`methodCall`, `params`, `param`,
    /// `value`) and each nested array or struct three more, so this allows about 80 nested
    /// containers while keeping the decoder's recursion shallow.
    public static let elementDepthMaxDefault = 256
    /// Elements in one document. A 1 MiB body cannot hold many more than this.
    public static let elementCountMaxDefault = 262_144
    /// Bytes of one piece of text (a string, a member name, base64 text), after references
    /// are resolved.
    public static let textBytesMaxDefault = 1 << 20

    public var elementDepthMax: Int
    public var elementCountMax: Int
    public var textBytesMax: Int

    public init(
        elementDepthMax: Int = Self.elementDepthMaxDefault,
        elementCountMax: Int = Self.elementCountMaxDefault,
        textBytesMax: Int = Self.textBytesMaxDefault
    ) {
        self.elementDepthMax = elementDepthMax
        self.elementCountMax = elementCountMax
        self.textBytesMax = textBytesMax
    }

    public static let `default` = XMLRPCDecodingLimits()
}
