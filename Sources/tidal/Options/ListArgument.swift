import ArgumentParser

/// One occurrence of a list flag, split at commas: `--features a,b` means what
/// `--features a --features b` means, for every repeatable option.
///
/// A list option is declared as `[ListArgument<Element>]` and read through `flattened`:
///
/// ```swift
/// @Option(help: "Input column (repeatable, or comma-separated).")
/// var features: [ListArgument<String>] = []
/// // tidal train --features a,b --features c  →  features.flattened() == ["a", "b", "c"]
/// ```
///
/// An empty item (`a,,b`, a trailing comma) or an item `Element` rejects makes the whole value
/// invalid, and ArgumentParser reports it with the flag's name (and the possible values, for an
/// enumeration).
struct ListArgument<Element: ExpressibleByArgument>: ExpressibleByArgument {
    /// The items of this occurrence, in order.
    var items: [Element]

    /// The items given in code, e.g. an option's default value.
    init(_ items: [Element]) { self.items = items }

    /// Splits `argument` at commas; nil when an item is empty or `Element` rejects it.
    init?(argument: String) {
        var items: [Element] = []
        for part in argument.split(separator: ",", omittingEmptySubsequences: false) {
            guard !part.isEmpty, let item = Element(argument: String(part)) else { return nil }
            items.append(item)
        }
        self.items = items
    }

    /// The items as they would be typed, joined by commas (the default shown in `--help`).
    var defaultValueDescription: String { items.map(\.defaultValueDescription).joined(separator: ",") }

    /// The element's possible values, listed in `--help` for an enumeration.
    static var allValueStrings: [String] { Element.allValueStrings }
}

extension Array {
    /// Every item of every occurrence of a list flag, in the order given.
    func flattened<Item>() -> [Item] where Element == ListArgument<Item> { flatMap(\.items) }
}
