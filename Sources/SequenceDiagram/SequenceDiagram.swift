/// A message sequence chart: one lifeline per participant, one arrow per message, notes where
/// something is decided. Drawn as SVG (to look at) or as a Mermaid diagram (to paste into
/// Markdown). Pure string building: the live scenarios and the simulator draw the same way.
public struct SequenceDiagram: Sendable, Hashable {
    public var title: String
    public var participants: [String]
    public private(set) var events: [Event] = []

    public enum Event: Sendable, Hashable {
        /// An arrow from one lifeline to another (or to itself).
        case message(from: Int, to: Int, label: String, style: ArrowStyle)
        /// A mark on one lifeline, such as "chosen X".
        case note(on: Int, text: String, style: NoteStyle)
    }

    public enum ArrowStyle: String, Sendable, Hashable {
        case request      // Prepare, Accept, Learn
        case answer       // promise, accepted
        case refusal      // nack
    }

    public enum NoteStyle: String, Sendable, Hashable {
        case chosen
        case info
    }

    /// A limit on what one diagram draws, so a long run cannot produce an unbounded file.
    public static let eventsMax = 2_000

    public init(title: String, participants: [String]) {
        self.title = title
        self.participants = participants
    }

    public mutating func message(from: Int, to: Int, label: String, style: ArrowStyle) {
        precondition(participants.indices.contains(from) && participants.indices.contains(to), "no such participant")
        guard events.count < Self.eventsMax else { return }
        events.append(.message(from: from, to: to, label: label, style: style))
    }

    public mutating func note(on participant: Int, text: String, style: NoteStyle) {
        precondition(participants.indices.contains(participant), "no such participant")
        guard events.count < Self.eventsMax else { return }
        events.append(.note(on: participant, text: text, style: style))
    }

    public var messageCount: Int {
        events.reduce(0) { count, event in
            if case .message = event { return count + 1 }
            return count
        }
    }
}
