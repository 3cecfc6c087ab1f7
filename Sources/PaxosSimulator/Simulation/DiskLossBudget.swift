/// How many members the simulator and the model checker let be without their state at once (a
/// lost disk, or rebuilt and not voting yet): n minus a majority. With more, chosen values can be
/// lost whatever the protocol, and the instances below a rebuilt node's fence, which the others'
/// votes alone decide, may never be decided.
enum DiskLossBudget {
    static func allowsAnother(members: Int, withoutState: Int) -> Bool {
        withoutState + 1 <= members - (members / 2 + 1)
    }
}
