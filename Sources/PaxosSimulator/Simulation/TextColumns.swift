/// Columns and decimals for the simulator's tables (`--coverage`, `--cost`), without
/// Foundation's formatting: the same digits on every machine.
extension String {
    /// Right-aligned in `width` characters (unchanged if it is as long already).
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }

    /// Left-aligned in `width` characters (unchanged if it is as long already).
    func rightPadded(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}

/// `value` rounded to `places` decimals (1 to 6), written with a point: 0.5 as "0.50" for two.
func formatDecimal(_ value: Double, places: Int) -> String {
    precondition((1...6).contains(places), "1 to 6 decimals")
    var scale = 1
    for _ in 0..<places { scale *= 10 }
    let scaled = Int((value * Double(scale)).rounded())
    let fraction = String(scaled % scale)
    return "\(scaled / scale).\(String(repeating: "0", count: places - fraction.count))\(fraction)"
}
