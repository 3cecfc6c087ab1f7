import PaxosCore
import PaxosStorage
import XMLRPC

/// What clients ask of the node: submits, the lab's proposals and reads. Each waits on the
/// core's reply (or its deadline) through `request`.
extension NodeRuntime {
    // MARK: - Client requests

    public struct Submitted: Sendable {
        public var instance: InstanceNumber
        public var value: String
    }

    /// - Parameter clientCommand: the identity of a client-named request (`ClientRequestID`).
    public func submit(_ value: String, clientCommand: CommandID? = nil) async throws -> Submitted {
        try checkServing()
        try checkValue(value)
        switch try await request({ core, request in core.onSubmit(request: request, value: value, clientCommand: clientCommand) }) {
        case .submitted(_, let instance, let value):
            return Submitted(instance: instance, value: value)
        case .appliedEarlier(_, let instance):
            // A retry of a request applied below the snapshot point: its line is in the file.
            guard let line = try? file.entries(from: instance, limit: 1).first, line.instance == instance else {
                throw Self.fault(for: .outcomeUnknown)
            }
            return Submitted(instance: instance, value: line.value)
        case .failed(_, let failure):
            throw Self.fault(for: failure)
        case .proposed, .readable:
            preconditionFailure("a submit is answered as a submit")
        }
    }

    public struct Proposed: Sendable {
        public var instance: InstanceNumber
        public var chosen: Command
        public var ours: Bool
    }

    public func propose(instance: InstanceNumber, value: String, minimumRound: UInt64) async throws -> Proposed {
        try checkServing()
        try checkValue(value)
        guard instance >= 1 else { throw XMLRPCFault(code: XMLRPCFault.invalidParameters, message: "instances are numbered from 1") }
        let answer = try await request { core, request in
            core.onPropose(request: request, instance: instance, value: value, minimumRound: minimumRound)
        }
        switch answer {
        case .proposed(_, let instance, let chosen, let ours):
            return Proposed(instance: instance, chosen: chosen, ours: ours)
        case .failed(_, let failure):
            throw Self.fault(for: failure)
        case .submitted, .readable, .appliedEarlier:
            preconditionFailure("a propose is answered as a propose")
        }
    }

    /// The applied instances from `start` on, as this node has them (a local read: it may miss
    /// what was chosen elsewhere and not yet learned here).
    public nonisolated func read(from start: InstanceNumber) async throws -> [FileEntry] {
        try entries(await fileReader(), from: start)
    }

    /// A linearizable read: the applied instances from `start` on, once this node has applied
    /// every value that was acknowledged anywhere before the call began (`ReadQuorums`).
    public nonisolated func linearizableRead(from start: InstanceNumber) async throws -> [FileEntry] {
        try entries(await readableFile(), from: start)
    }

    /// The file once the core said a linearizable read may be answered (`ReadQuorums`).
    private func readableFile() async throws -> ReplicatedFileReader {
        try checkServing()
        switch try await request({ core, request in core.onRead(request: request) }) {
        case .readable:
            return file.reader
        case .failed(_, let failure):
            throw Self.fault(for: failure)
        case .submitted, .proposed, .appliedEarlier:
            preconditionFailure("a read is answered as a read")
        }
    }

    /// At most this many lines per read: a client pages with `from` (README, XML-RPC methods).
    public static let readEntriesMax = 10_000

    private func fileReader() -> ReplicatedFileReader { file.reader }

    /// From the replicated file on disk (the node keeps no old line in memory), off the actor:
    /// the reader covers every line a reply of this node has announced, since replies follow
    /// the lines in a Ready, and those lines never change.
    private nonisolated func entries(_ reader: ReplicatedFileReader, from start: InstanceNumber) throws -> [FileEntry] {
        do {
            return try reader.entries(from: max(start, 1), limit: Self.readEntriesMax)
        } catch {
            logger.error("cannot read the replicated file", metadata: ["error": "\(error)"])
            throw XMLRPCFault(code: XMLRPCFault.internalError, message: "cannot read the replicated file: \(error)")
        }
    }

    /// Registers a waiting client, runs the event, and arms the deadline.
    private func request(_ event: (inout PaxosNode, RequestID) -> Ready) async throws -> ClientReply {
        let request = nextRequest
        nextRequest += 1
        let deadline = options.requestDeadlineMilliseconds
        let outcome = await withCheckedContinuation { (continuation: CheckedContinuation<Result<ClientReply, XMLRPCFault>, Never>) in
            waiters[request] = continuation
            arm(.deadline(request), afterMilliseconds: deadline)
            step { event(&$0, request) }
        }
        return try outcome.get()
    }
}
