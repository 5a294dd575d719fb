import Dispatch
import TidalCore
#if canImport(Glibc)
    import Glibc
#endif

extension Table {
    /// Files smaller than this are read front to back: a second thread would not pay for itself.
    nonisolated(unsafe) static var partedLoadMinimumBytes = 8 << 20

    /// Parses a large regular file as two halves on two threads, each with its own libcsv parser.
    ///
    /// The split point is the byte after a line feed near the middle. It is a row boundary
    /// unless that line feed lies inside a quoted field; the first half's parser tells which
    /// (it must end between rows), and if it does not, the halves are thrown away. The second
    /// half's line numbers are shifted by the line feeds of the first. Whenever anything is
    /// unusual — a parse error or bad value in either half, a column that holds text, fewer
    /// than two processors — this returns nil and the caller reads the file front to back, so
    /// every error message and every result is exactly that of the sequential reader.
    ///
    /// `path` may be `-` when standard input is a regular file (`tidal describe - < data.csv`):
    /// the parts then start at stdin's current offset, and `pread` leaves that offset where it
    /// was, so the front-to-back reader can still take over.
    static func loadInParts(path: String, options: TableOptions) throws -> Table? {
        guard sysconf(Int32(_SC_NPROCESSORS_ONLN)) >= 2 else { return nil }
        let isStandardInput = path == "-"
        let fd = isStandardInput ? 0 : open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { if !isStandardInput { close(fd) } }
        let name = isStandardInput ? "<stdin>" : path
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        let base = isStandardInput ? Int(lseek(fd, 0, SEEK_CUR)) : 0
        let size = Int(info.st_size)
        guard base >= 0, size - base >= partedLoadMinimumBytes,
            let split = lineStart(near: base + (size - base) / 2, in: fd, size: size)
        else { return nil }

        // The first record (header, or first data row) sets up both halves' columns.
        let probe = try CSVStream(
            source: FileRangeByteSource(name: name, descriptor: fd, start: base, end: split),
            delimiter: options.delimiter, bufferSize: 1 << 16)
        probe.sourceEndsInput = false
        var first: CSVRecord?
        do {
            try probe.forEachRecord {
                first = $0; return false
            }
        } catch { return nil }
        guard let first else { return nil }

        // Reserve each part's columns up front (from the line density of the first 256 kB): no
        // regrowth copies, and no page-fault storms from two threads growing arrays at once.
        let rowsPerByte = lineDensity(of: fd, from: base, size: size)
        final class Part: @unchecked Sendable {
            var loader: TableLoader
            var stream: CSVStream?
            var failed = false
            init(_ loader: TableLoader) { self.loader = loader }
        }
        let parts = [Part(TableLoader(source: name, options: options)), Part(TableLoader(source: name, options: options))]
        DispatchQueue.concurrentPerform(iterations: 2) { index in
            let part = parts[index]
            do {
                let stream = try CSVStream(
                    source: FileRangeByteSource(
                        name: name, descriptor: fd, start: index == 0 ? base : split,
                        end: index == 0 ? split : size),
                    delimiter: options.delimiter)
                part.stream = stream
                stream.sourceEndsInput = index == 1
                var loader = part.loader
                defer { part.loader = loader }
                // The first part receives the second's rows afterwards: room for the whole file.
                loader.expectedRows = Int(Double(index == 0 ? size - base : size - split) * rowsPerByte * 1.05) + 64
                if index == 1 {
                    stream.skipsByteOrderMark = false
                    stream.expectedFieldCount = first.count
                    try loader.begin(with: first)
                }
                try loader.read(stream)
            } catch {
                part.failed = true
            }
        }
        guard !parts[0].failed, !parts[1].failed, let firstStream = parts[0].stream, firstStream.endedAtRowBoundary else { return nil }
        var loader = parts[0].loader
        guard loader.absorb(parts[1].loader, lineOffset: firstStream.nextLine - 1) else { return nil }
        do { return try loader.finish() } catch { return nil }
    }

    /// Line feeds per byte in the first 256 kB from `start`.
    static func lineDensity(of fd: Int32, from start: Int, size: Int) -> Double {
        var chunk = [UInt8](repeating: 0, count: min(size - start, 1 << 18))
        let n = chunk.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(start)) }
        guard n > 0 else { return 0 }
        return Double(chunk[0 ..< n].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }) / Double(n)
    }

    /// The offset just after the first line feed at or after `middle`, if one is found within 4 MB before the end.
    static func lineStart(near middle: Int, in fd: Int32, size: Int) -> Int? {
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var offset = middle
        while offset < min(size, middle + (4 << 20)) {
            let n = chunk.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(offset)) }
            guard n > 0 else { return nil }
            if let i = chunk[0 ..< n].firstIndex(of: 0x0A) {
                let start = offset + i + 1
                return start < size ? start : nil
            }
            offset += n
        }
        return nil
    }
}

extension TableLoader {
    /// Appends the rows `other` read after this loader's rows (the next part of the same file).
    /// Returns false when the parts disagree in a way only a front-to-back read settles
    /// (an inferred column that is text in one part and numbers in the other).
    mutating func absorb(_ other: TableLoader, lineOffset: Int) -> Bool {
        guard slots.count == other.slots.count, timeField == other.timeField else { return false }
        for k in slots.indices {
            switch (slots[k], other.slots[k]) {
            case let (.numeric(a), .numeric(b)), let (.numeric(a), .undecided(b)),
                let (.undecided(a), .numeric(b)), let (.undecided(a), .undecided(b)):
                numericStore[a].values.append(contentsOf: other.numericStore[b].values)
                // Numbers in either part decide the column, as they would in one pass.
                if case .numeric = other.slots[k] { slots[k] = .numeric(a) }
            case let (.text(a), .text(b)):
                // Requested text columns, or inferred ones: text from each part's first value on, as in one pass.
                textStore[a].append(contentsOf: other.textStore[b])
            default:
                return false
            }
            missing[k] += other.missing[k]
        }
        timeValues.append(contentsOf: other.timeValues)
        lines.append(contentsOf: other.lines.lazy.map { $0 + lineOffset })
        return true
    }
}
