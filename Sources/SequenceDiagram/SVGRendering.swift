extension SequenceDiagram {
    private static let columnWidth = 150
    private static let rowHeight = 30
    private static let top = 70
    /// Room left of the first lifeline for its notes, and right of the last for the labels of
    /// its arrows to itself.
    private static let leftMargin = 70
    private static let rightMargin = 170
    private static let bottomMargin = 40
    /// Roughly the width of one character of the 13-pixel font, for sizing boxes and the canvas.
    private static let characterWidth = 7

    /// The diagram as a standalone SVG document. Every arrow is a `<line class="message …">` with
    /// its label in a `<text class="label">`, so tests (and people) can find them.
    public func svg() -> String {
        let lifelinesWidth = Self.leftMargin + max(participants.count - 1, 1) * Self.columnWidth + Self.rightMargin
        let titleWidth = title.count * (Self.characterWidth + 1) + 40
        let width = max(lifelinesWidth, titleWidth)
        let height = Self.top + (events.count + 1) * Self.rowHeight + Self.bottomMargin
        func x(_ participant: Int) -> Int { Self.leftMargin + participant * Self.columnWidth }
        var out = """
            <svg xmlns="http://www.w3.org/2000/svg" width="\(width)" height="\(height)" viewBox="0 0 \(width) \(height)" font-family="Helvetica, Arial, sans-serif" font-size="13">
            <title>\(escape(title))</title>
            <defs>
              <marker id="arrow" markerWidth="10" markerHeight="8" refX="9" refY="4" orient="auto"><path d="M0,0 L10,4 L0,8 z" fill="#333"/></marker>
              <marker id="arrow-refusal" markerWidth="10" markerHeight="8" refX="9" refY="4" orient="auto"><path d="M0,0 L10,4 L0,8 z" fill="#c0392b"/></marker>
            </defs>
            <style>
              .lifeline { stroke: #999; stroke-dasharray: 4 4; }
              .participant { font-weight: bold; text-anchor: middle; }
              .message { stroke: #333; stroke-width: 1.4; fill: none; }
              .message.answer { stroke-dasharray: 6 3; }
              .message.refusal { stroke: #c0392b; stroke-dasharray: 2 3; }
              .label { text-anchor: middle; fill: #111; paint-order: stroke; stroke: white; stroke-width: 4px; stroke-linejoin: round; }
              .note rect { fill: #d5f5e3; stroke: #1e8449; }
              .note.info rect { fill: #fdf2e9; stroke: #ca6f1e; }
              .note text { text-anchor: middle; font-weight: bold; }
            </style>
            <rect width="100%" height="100%" fill="white"/>
            <text x="\(width / 2)" y="24" text-anchor="middle" font-size="15" font-weight="bold">\(escape(title))</text>

            """
        for (index, name) in participants.enumerated() {
            out += "<text class=\"participant\" x=\"\(x(index))\" y=\"\(Self.top - 16)\">\(escape(name))</text>\n"
            out += "<line class=\"lifeline\" x1=\"\(x(index))\" y1=\"\(Self.top - 8)\" x2=\"\(x(index))\" y2=\"\(height - Self.bottomMargin / 2)\"/>\n"
        }
        for (row, event) in events.enumerated() {
            let y = Self.top + (row + 1) * Self.rowHeight
            switch event {
            case .message(let from, let to, let label, let style):
                let marker = style == .refusal ? "arrow-refusal" : "arrow"
                if from == to {
                    let x0 = x(from)
                    out += "<path class=\"message \(style.rawValue) self\" d=\"M\(x0),\(y - 12) h30 v12 h-28\" marker-end=\"url(#\(marker))\"/>\n"
                    out += "<text class=\"label\" x=\"\(x0 + 36)\" y=\"\(y - 8)\" text-anchor=\"start\" style=\"text-anchor: start\">\(escape(label))</text>\n"
                } else {
                    let direction = to > from ? 1 : -1
                    out += "<line class=\"message \(style.rawValue)\" x1=\"\(x(from))\" y1=\"\(y)\" x2=\"\(x(to) - direction * 2)\" y2=\"\(y)\" marker-end=\"url(#\(marker))\"/>\n"
                    out += "<text class=\"label\" x=\"\((x(from) + x(to)) / 2)\" y=\"\(y - 5)\">\(escape(label))</text>\n"
                }
            case .note(let participant, let text, let style):
                let boxWidth = min(max(70, text.count * (Self.characterWidth + 1) + 16), Self.columnWidth - 10)
                out += "<g class=\"note \(style.rawValue)\"><rect x=\"\(x(participant) - boxWidth / 2)\" y=\"\(y - 17)\" width=\"\(boxWidth)\" height=\"22\" rx=\"6\"/>"
                out += "<text x=\"\(x(participant))\" y=\"\(y - 2)\">\(escape(text))</text></g>\n"
            }
        }
        out += "</svg>\n"
        return out
    }

    /// The same diagram for Mermaid (`sequenceDiagram`), e.g. inside a Markdown code block.
    public func mermaid() -> String {
        var out = "sequenceDiagram\n    title \(mermaidText(title))\n"
        for name in participants { out += "    participant \(name)\n" }
        for event in events {
            switch event {
            case .message(let from, let to, let label, let style):
                let arrow = style == .request ? "->>" : (style == .refusal ? "-x" : "-->>")
                out += "    \(participants[from])\(arrow)\(participants[to]): \(mermaidText(label))\n"
            case .note(let participant, let text, _):
                out += "    Note over \(participants[participant]): \(mermaidText(text))\n"
            }
        }
        return out
    }

    private func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            case "\"": out += "&quot;"
            default: out.append(character)
            }
        }
        return out
    }

    /// Mermaid ends a message at a line break and treats `;` and `#` specially.
    private func mermaidText(_ text: String) -> String {
        text.replacingAll(["\n": " ", ";": ",", "#": "#35;"])
    }
}

extension String {
    fileprivate func replacingAll(_ replacements: [Character: String]) -> String {
        var out = ""
        for character in self {
            if let replacement = replacements[character] { out += replacement } else { out.append(character) }
        }
        return out
    }
}
