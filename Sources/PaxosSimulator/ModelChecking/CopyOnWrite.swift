/// A value kept behind one reference, copied only when it is changed while shared.
///
/// A state of the search is copied once per move, and a move changes one node: with the nodes
/// held inline, every copy retained every field of every node and every discarded successor
/// released them all again (a quarter of the search's time). Boxed, a copy retains one
/// reference per node and only the node that moves is copied.
struct CopyOnWrite<Value: Hashable>: Hashable {
    private final class Box {
        var value: Value
        init(_ value: Value) { self.value = value }
    }

    private var box: Box

    init(_ value: Value) { box = Box(value) }

    var value: Value {
        get { box.value }
        _modify {
            if !isKnownUniquelyReferenced(&box) { box = Box(box.value) }
            yield &box.value
        }
    }

    static func == (lhs: CopyOnWrite, rhs: CopyOnWrite) -> Bool {
        lhs.box === rhs.box || lhs.box.value == rhs.box.value
    }

    func hash(into hasher: inout Hasher) { box.value.hash(into: &hasher) }
}
