extension Table {
    /// The rows of one series of a many-series table, as a table of that series alone (no
    /// series column): what a local model of that series trains on.
    /// - Throws: `DataError.unusable` when the table has no series column or no series `id`.
    public func series(_ id: String) throws -> Table {
        guard let ids = seriesIDs, let name = seriesName else {
            throw DataError.unusable(source: source, reason: "the file has no series column; --series names it")
        }
        let rows = ids.indices.filter { ids[$0] == id }
        guard !rows.isEmpty else { throw DataError.unusable(source: source, reason: "no series \"\(id)\" in column \"\(name)\"") }
        var table = self
        table.columns = columns.map { column in
            switch column {
            case let .numeric(v): return .numeric(rows.map { v[$0] })
            case let .text(v): return .text(rows.map { v[$0] })
            }
        }
        table.time = time.map { t in TextColumn(rows.map { t[$0] }) }
        table.lines = rows.map { lines[$0] }
        table.seriesName = nil
        return table
    }
}
