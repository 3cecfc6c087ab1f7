import PaxosCore

/// Something that happens at one instant of a run. Events aimed at a node carry the node's life
/// (how many times it has started), so that a timer or a sync of a life that crashed is ignored.
enum SimulationEvent {
    /// A message arrives (unless the link is cut or the addressee is down).
    case deliver(Envelope)
    /// A peer call arrives, or its time to arrive passes if the network lost it
    /// (`SimulationOptions.peerCalls`).
    case peerCall(SimulatedPeerCall)
    /// The answer to a peer call arrives at the caller, or its time passes if it was lost.
    case peerAnswer(SimulatedPeerAnswer)
    case timer(node: Int, life: UInt32, TimerID)
    /// An fsync finishes: the node's held effects may now leave.
    case syncDone(node: Int, life: UInt32)
    /// A client submits a value at a random live node.
    case submit
    case deadline(node: Int, life: UInt32, request: RequestID)
    /// Time for the next crash fault, or for a crashed node to come back.
    case crashSomeNode
    case restart(node: Int)
    /// Time to cut links, or to heal the cut numbered `partition`.
    case partitionStart
    case partitionHeal(partition: Int)
    /// Time for several nodes to propose on one instance at once (the `contend` fault).
    case contend
    /// A client asks a random live node for a linearizable read.
    case read
    /// A snapshot fetched from `peer` arrives at `node` (if both still live).
    case snapshotArrives(node: Int, life: UInt32, peer: Int)
    /// The chunk of a snapshot transfer written last is synced (`WALDisk`).
    case snapshotChunkSynced(node: Int, life: UInt32)
    /// A received snapshot is in place: time to install it.
    case snapshotStored(node: Int, life: UInt32)
    /// A node's file is synced up to `point` (its `lines` lines): its snapshot point moves.
    case compactionDue(node: Int, life: UInt32, point: InstanceNumber, lines: Int)
    /// A crash aimed at the middle of a snapshot install.
    case crashDuringInstall(node: Int, life: UInt32)
    /// A crash aimed at the time before `ticket` (a checkpoint) is durable.
    case crashBeforeSynced(node: Int, life: UInt32, ticket: UInt64, window: AimedCheckpoint)
}

/// Which checkpoint of a rebuilt node a `crashBeforeSynced` is aimed before (for coverage).
enum AimedCheckpoint {
    /// The checkpoint of a snapshot it just installed.
    case install
    /// The checkpoint of its first snapshot point past a snapshot it installed or started from.
    case pointPastStoredSnapshot
}

/// A `paxos.peer` call on its way from one node to another (`PeerQueue`).
struct SimulatedPeerCall {
    var from: Int
    var to: Int
    /// The sender's life when it sent the call: a call of a life that crashed ends nothing.
    var senderLife: UInt32
    var messages: [Message]
    /// The network lost it (the `drop` fault): it ends its call without arriving.
    var lost: Bool
    /// A duplicate the network made arrives without ending a call.
    var endsCall: Bool
    /// The sender's number for the call, and the number of the addressee's call whose answer
    /// last carried the sender's messages (`PeerQueue.mayTakeCall`).
    var number: Int
    var answered: Int
}

/// The answer to a `paxos.peer` call on its way back to the caller, with the messages the
/// answering node had queued for it (`PeerQueue.takeAnswer`): it ends the call.
struct SimulatedPeerAnswer {
    /// The node that answers (the call's addressee), and the caller.
    var from: Int
    var to: Int
    /// The caller's life when it sent the call: an answer to a life that crashed ends nothing.
    var callerLife: UInt32
    var messages: [Message]
    /// The network lost it, or it came after the caller gave up waiting: it ends the call, and
    /// its messages are lost.
    var lost: Bool
}
