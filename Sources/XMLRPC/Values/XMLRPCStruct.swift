/// The members of an XML-RPC `<struct>`: unique names, kept in the order they were first set.
///
/// Order is kept so that what we encode reads like what the caller wrote, but equality and
/// hashing ignore it: the specification (and every peer, Python's `dict` included) treats a
/// struct as an unordered map. Setting an existing name replaces its value in place, as
/// Python's `dict` does, so a document with a repeated name decodes to the last value.
public struct XMLRPCStruct: Sendable {
    public typealias Member = (name: String, value: XMLRPCValue)

    /// Small structs (the common case: a handful of fields) are searched linearly; an index
    /// is built only past this size so that decoding a typical message allocates no dictionary.
    static let linearSearchCountMax = 16

    private var names: [String] = []
    private var values: [XMLRPCValue] = []
    private var indexByName: [String: Int]? = nil

    public init() {}

    public init(_ members: some Sequence<(String, XMLRPCValue)>) {
        for (name, value) in members { self[name] = value }
    }

    public var count: Int { names.count }
    public var isEmpty: Bool { names.isEmpty }
    /// Member names in insertion order.
    public var memberNames: [String] { names }

    public subscript(name: String) -> XMLRPCValue? {
        get { position(of: name).map { values[$0] } }
        set {
            if let position = position(of: name) {
                if let newValue {
                    values[position] = newValue
                } else {
                    remove(at: position)
                }
            } else if let newValue {
                append(name: name, value: newValue)
            }
        }
    }

    private func position(of name: String) -> Int? {
        if let indexByName { return indexByName[name] }
        return names.firstIndex(of: name)
    }

    private mutating func append(name: String, value: XMLRPCValue) {
        names.append(name)
        values.append(value)
        if indexByName != nil {
            indexByName![name] = names.count - 1
        } else if names.count > Self.linearSearchCountMax {
            indexByName = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
        }
    }

    private mutating func remove(at position: Int) {
        names.remove(at: position)
        values.remove(at: position)
        if indexByName != nil {
            indexByName = names.count > Self.linearSearchCountMax
                ? Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
                : nil
        }
    }
}

extension XMLRPCStruct: Sequence {
    public struct Iterator: IteratorProtocol {
        fileprivate let members: XMLRPCStruct
        fileprivate var position = 0

        public mutating func next() -> Member? {
            guard position < members.names.count else { return nil }
            defer { position += 1 }
            return (members.names[position], members.values[position])
        }
    }

    public func makeIterator() -> Iterator { Iterator(members: self) }
    public var underestimatedCount: Int { count }
}

extension XMLRPCStruct: ExpressibleByDictionaryLiteral {
    public init(dictionaryLiteral elements: (String, XMLRPCValue)...) {
        self.init(elements)
    }
}

extension XMLRPCStruct: Hashable {
    public static func == (lhs: XMLRPCStruct, rhs: XMLRPCStruct) -> Bool {
        guard lhs.count == rhs.count else { return false }
        for (name, value) in lhs where rhs[name] != value { return false }
        return true
    }

    public func hash(into hasher: inout Hasher) {
        // Order-independent: combine per-member hashes with a commutative sum.
        var membersHash = 0
        for (name, value) in self {
            var memberHasher = Hasher()
            memberHasher.combine(name)
            memberHasher.combine(value)
            membersHash &+= memberHasher.finalize()
        }
        hasher.combine(count)
        hasher.combine(membersHash)
    }
}

extension XMLRPCStruct: CustomStringConvertible {
    public var description: String {
        "{" + map { "\"\($0.name)\": \($0.value)" }.joined(separator: ", ") + "}"
    }
}
