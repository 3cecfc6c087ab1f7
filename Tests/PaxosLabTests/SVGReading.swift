import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif

/// What a person sees in a rendered sequence diagram, read back from its SVG with an XML parser
/// (so a document that is not well-formed XML fails the test): lifelines, arrows, notes.
struct DrawnDiagram {
    struct Arrow: Equatable, CustomStringConvertible {
        var from: String
        var to: String
        var label: String
        var style: String      // request, answer or refusal
        var row: Int           // position in the drawing, top to bottom
        var description: String { "\(from)→\(to) \(label) [\(style)]" }
    }
    struct Note: Equatable {
        var on: String
        var text: String
        var style: String
        var row: Int
    }

    var title = ""
    var width = 0
    var height = 0
    var participants: [String] = []
    var arrows: [Arrow] = []
    var notes: [Note] = []

    func arrows(_ label: String) -> [Arrow] { arrows.filter { $0.label == label } }
    func arrows(_ label: String, from: String) -> [Arrow] { arrows.filter { $0.label == label && $0.from == from } }
    /// The receivers of the arrows labelled `label`, sorted.
    func receivers(_ label: String, from: String) -> [String] { arrows(label, from: from).map(\.to).sorted() }
    func firstRow(_ label: String) -> Int? { arrows(label).map(\.row).min() }

    /// Parses `svg`; nil (with the parser's error) if it is not well-formed.
    static func read(_ svg: String) -> (DrawnDiagram?, String?) {
        let reader = Reader()
        let parser = XMLParser(data: Data(svg.utf8))
        parser.delegate = reader
        guard parser.parse() else { return (nil, parser.parserError.map { "\($0)" } ?? "parse error") }
        return (reader.finish(), nil)
    }

    private final class Reader: NSObject, XMLParserDelegate {
        enum Pending { case participant(x: Double), label, note, title, none }
        var diagram = DrawnDiagram()
        var participantXs: [(x: Double, name: String)] = []
        // Arrows until their label arrives: (x from, x to, style, is self)
        var open: (from: Double, to: Double, style: String)?
        var rawArrows: [(from: Double, to: Double, style: String, label: String, row: Int)] = []
        var rawNotes: [(x: Double, style: String, text: String, row: Int)] = []
        var noteStyle: String?
        var noteX: Double?
        var pending = Pending.none
        var text = ""
        var row = 0

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            let classes = (attributes["class"] ?? "").split(separator: " ").map(String.init)
            text = ""
            switch name {
            case "svg":
                diagram.width = Int(attributes["width"] ?? "") ?? 0
                diagram.height = Int(attributes["height"] ?? "") ?? 0
            case "title":
                pending = .title
            case "line" where classes.first == "message":
                open = (Double(attributes["x1"] ?? "") ?? .nan, Double(attributes["x2"] ?? "") ?? .nan, classes.dropFirst().first ?? "")
            case "path" where classes.first == "message":
                // A self-arrow "Mx,y h30 v12 h-28": it starts and ends on the same lifeline.
                let d = attributes["d"] ?? ""
                let x = Double(d.dropFirst().prefix { $0 != "," }) ?? .nan
                open = (x, x, classes.dropFirst().first ?? "")
            case "text" where classes.contains("participant"):
                pending = .participant(x: Double(attributes["x"] ?? "") ?? .nan)
            case "text" where classes.contains("label"):
                pending = .label
            case "g" where classes.first == "note":
                noteStyle = classes.dropFirst().first ?? ""
            case "text" where noteStyle != nil:
                noteX = Double(attributes["x"] ?? "") ?? .nan
                pending = .note
            default:
                break
            }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            switch (name, pending) {
            case ("title", .title):
                diagram.title = text
            case ("text", .participant(let x)):
                participantXs.append((x, text))
            case ("text", .label):
                if let open {
                    row += 1
                    rawArrows.append((open.from, open.to, open.style, text, row))
                }
                open = nil
            case ("text", .note):
                row += 1
                rawNotes.append((noteX ?? .nan, noteStyle ?? "", text, row))
            case ("g", _):
                noteStyle = nil
            default:
                break
            }
            if name == "text" || name == "title" { pending = .none }
        }

        /// Lifelines by position: an arrow belongs to the lifeline nearest its end.
        func finish() -> DrawnDiagram {
            func nearest(_ x: Double) -> String {
                participantXs.min { abs($0.x - x) < abs($1.x - x) }?.name ?? "?"
            }
            diagram.participants = participantXs.map(\.name)
            diagram.arrows = rawArrows.map { Arrow(from: nearest($0.from), to: nearest($0.to), label: $0.label, style: $0.style, row: $0.row) }
            diagram.notes = rawNotes.map { Note(on: nearest($0.x), text: $0.text, style: $0.style, row: $0.row) }
            return diagram
        }
    }
}
