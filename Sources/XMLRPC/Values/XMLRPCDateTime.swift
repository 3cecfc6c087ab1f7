/// An XML-RPC `dateTime.iso8601`: calendar components with no time zone, exactly what the
/// specification carries (`19980717T14:08:55`). Which zone they mean is the peers' agreement.
///
/// Stored compactly so that `XMLRPCValue` stays small (every array element pays for its size).
public struct XMLRPCDateTime: Sendable, Hashable {
    private var storedYear: Int32
    private var storedMonth: UInt8
    private var storedDay: UInt8
    private var storedHour: UInt8
    private var storedMinute: UInt8
    private var storedSecond: UInt8

    public var year: Int { Int(storedYear) }
    public var month: Int { Int(storedMonth) }
    public var day: Int { Int(storedDay) }
    public var hour: Int { Int(storedHour) }
    public var minute: Int { Int(storedMinute) }
    public var second: Int { Int(storedSecond) }

    /// Returns nil when a component is out of its calendar range (a leap second, 60, is allowed;
    /// the day is checked against the month, leap years included).
    public init?(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0) {
        guard (0...9999).contains(year), (1...12).contains(month),
              (1...Self.daysIn(month: month, year: year)).contains(day),
              (0...23).contains(hour), (0...59).contains(minute), (0...60).contains(second)
        else { return nil }
        storedYear = Int32(year)
        storedMonth = UInt8(month)
        storedDay = UInt8(day)
        storedHour = UInt8(hour)
        storedMinute = UInt8(minute)
        storedSecond = UInt8(second)
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}

extension XMLRPCDateTime: Comparable {
    public static func < (lhs: XMLRPCDateTime, rhs: XMLRPCDateTime) -> Bool {
        (lhs.year, lhs.month, lhs.day, lhs.hour, lhs.minute, lhs.second)
            < (rhs.year, rhs.month, rhs.day, rhs.hour, rhs.minute, rhs.second)
    }
}

extension XMLRPCDateTime: CustomStringConvertible {
    /// The wire form, `YYYYMMDDTHH:MM:SS`.
    public var description: String {
        String(decoding: XMLRPCDateTimeFormat.bytes(of: self), as: UTF8.self)
    }
}
