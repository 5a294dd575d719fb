#if canImport(Glibc)
    import TidalCore
    import Glibc
#endif

/// A register-blocked kernel for the small per-step products of the recurrent layers.
///
/// `C[m, n] += A[m, k] · W[k, n]`, every matrix row-major. The recurrent products of one
/// time step are small (64 × 64 × 64 for a hidden size of 64 and a batch of 64), and there
/// are two per step, thousands per batch. For those, OpenBLAS spends a large share of its time
/// packing both operands again at every call. Here `W` is read in place — the layer lays it
/// out once per batch — and `C` is kept in registers while the inner dimension is swept:
/// blocks of 6 rows × 16 columns (12 AVX accumulators), one broadcast of `A` and two loads
/// of `W` per 12 fused multiply-adds.
///
/// Only `n` that are multiples of 16 are accepted (`supports(n:)`); callers use BLAS otherwise.
enum SmallGEMM {
    typealias Vector = Lanes.Vector

    /// Whether the kernel handles a product with `n` output columns.
    @inline(__always) static func supports(n: Int) -> Bool { n > 0 && n % 16 == 0 }

    /// `C[m, n] += A[m, k] · W[k, n]` with leading dimensions `lda`, `ldw` and `ldc`.
    static func multiplyAdd(
        m: Int, n: Int, k: Int,
        a: UnsafePointer<Float>, lda: Int,
        w: UnsafePointer<Float>, ldw: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        precondition(supports(n: n), "SmallGEMM needs n to be a multiple of 16")
        guard m > 0, k > 0 else { return }
        if m == 1 {
            // One row: sweep wide column blocks so that several independent chains keep the FMA units busy.
            var j = 0
            while j + 64 <= n { row1x64(a: a, w: w + j, ldw: ldw, k: k, c: c + j); j += 64 }
            while j < n { rows1(a: a, lda: lda, w: w + j, ldw: ldw, k: k, c: c + j, ldc: ldc); j += 16 }
            return
        }
        var j = 0
        while j < n {
            let wj = w + j
            var i = 0
            while i + 6 <= m { rows6(a: a + i * lda, lda: lda, w: wj, ldw: ldw, k: k, c: c + i * ldc + j, ldc: ldc); i += 6 }
            if i + 4 <= m { rows4(a: a + i * lda, lda: lda, w: wj, ldw: ldw, k: k, c: c + i * ldc + j, ldc: ldc); i += 4 }
            if i + 2 <= m { rows2(a: a + i * lda, lda: lda, w: wj, ldw: ldw, k: k, c: c + i * ldc + j, ldc: ldc); i += 2 }
            if i < m { rows1(a: a + i * lda, lda: lda, w: wj, ldw: ldw, k: k, c: c + i * ldc + j, ldc: ldc) }
            j += 16
        }
    }

    /// Copies `source` (`[rows, columns]`, row-major) transposed into `destination` (`[columns, rows]`).
    static func transpose(_ source: UnsafePointer<Float>, rows: Int, columns: Int, into destination: UnsafeMutablePointer<Float>) {
        for r in 0 ..< rows {
            let src = source + r * columns
            for col in 0 ..< columns { destination[col * rows + r] = src[col] }
        }
    }

    @inline(__always) static func rows6(
        a: UnsafePointer<Float>, lda: Int, w: UnsafePointer<Float>, ldw: Int, k: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        let c0 = c, c1 = c + ldc, c2 = c + 2 * ldc, c3 = c + 3 * ldc, c4 = c + 4 * ldc, c5 = c + 5 * ldc
        var s00 = Lanes.load(c0), s01 = Lanes.load(c0 + 8), s10 = Lanes.load(c1), s11 = Lanes.load(c1 + 8)
        var s20 = Lanes.load(c2), s21 = Lanes.load(c2 + 8), s30 = Lanes.load(c3), s31 = Lanes.load(c3 + 8)
        var s40 = Lanes.load(c4), s41 = Lanes.load(c4 + 8), s50 = Lanes.load(c5), s51 = Lanes.load(c5 + 8)
        let a0 = a, a1 = a + lda, a2 = a + 2 * lda, a3 = a + 3 * lda, a4 = a + 4 * lda, a5 = a + 5 * lda
        var wp = w
        for p in 0 ..< k {
            let w0 = Lanes.load(wp), w1 = Lanes.load(wp + 8)
            var x = Vector(repeating: a0[p]); s00.addProduct(x, w0); s01.addProduct(x, w1)
            x = Vector(repeating: a1[p]); s10.addProduct(x, w0); s11.addProduct(x, w1)
            x = Vector(repeating: a2[p]); s20.addProduct(x, w0); s21.addProduct(x, w1)
            x = Vector(repeating: a3[p]); s30.addProduct(x, w0); s31.addProduct(x, w1)
            x = Vector(repeating: a4[p]); s40.addProduct(x, w0); s41.addProduct(x, w1)
            x = Vector(repeating: a5[p]); s50.addProduct(x, w0); s51.addProduct(x, w1)
            wp += ldw
        }
        Lanes.store(s00, c0); Lanes.store(s01, c0 + 8); Lanes.store(s10, c1); Lanes.store(s11, c1 + 8)
        Lanes.store(s20, c2); Lanes.store(s21, c2 + 8); Lanes.store(s30, c3); Lanes.store(s31, c3 + 8)
        Lanes.store(s40, c4); Lanes.store(s41, c4 + 8); Lanes.store(s50, c5); Lanes.store(s51, c5 + 8)
    }

    @inline(__always) static func rows4(
        a: UnsafePointer<Float>, lda: Int, w: UnsafePointer<Float>, ldw: Int, k: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        let c0 = c, c1 = c + ldc, c2 = c + 2 * ldc, c3 = c + 3 * ldc
        var s00 = Lanes.load(c0), s01 = Lanes.load(c0 + 8), s10 = Lanes.load(c1), s11 = Lanes.load(c1 + 8)
        var s20 = Lanes.load(c2), s21 = Lanes.load(c2 + 8), s30 = Lanes.load(c3), s31 = Lanes.load(c3 + 8)
        let a0 = a, a1 = a + lda, a2 = a + 2 * lda, a3 = a + 3 * lda
        var wp = w
        for p in 0 ..< k {
            let w0 = Lanes.load(wp), w1 = Lanes.load(wp + 8)
            var x = Vector(repeating: a0[p]); s00.addProduct(x, w0); s01.addProduct(x, w1)
            x = Vector(repeating: a1[p]); s10.addProduct(x, w0); s11.addProduct(x, w1)
            x = Vector(repeating: a2[p]); s20.addProduct(x, w0); s21.addProduct(x, w1)
            x = Vector(repeating: a3[p]); s30.addProduct(x, w0); s31.addProduct(x, w1)
            wp += ldw
        }
        Lanes.store(s00, c0); Lanes.store(s01, c0 + 8); Lanes.store(s10, c1); Lanes.store(s11, c1 + 8)
        Lanes.store(s20, c2); Lanes.store(s21, c2 + 8); Lanes.store(s30, c3); Lanes.store(s31, c3 + 8)
    }

    @inline(__always) static func rows2(
        a: UnsafePointer<Float>, lda: Int, w: UnsafePointer<Float>, ldw: Int, k: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        let c0 = c, c1 = c + ldc
        var s00 = Lanes.load(c0), s01 = Lanes.load(c0 + 8), s10 = Lanes.load(c1), s11 = Lanes.load(c1 + 8)
        let a0 = a, a1 = a + lda
        var wp = w
        for p in 0 ..< k {
            let w0 = Lanes.load(wp), w1 = Lanes.load(wp + 8)
            var x = Vector(repeating: a0[p]); s00.addProduct(x, w0); s01.addProduct(x, w1)
            x = Vector(repeating: a1[p]); s10.addProduct(x, w0); s11.addProduct(x, w1)
            wp += ldw
        }
        Lanes.store(s00, c0); Lanes.store(s01, c0 + 8); Lanes.store(s10, c1); Lanes.store(s11, c1 + 8)
    }

    @inline(__always) static func rows1(
        a: UnsafePointer<Float>, lda: Int, w: UnsafePointer<Float>, ldw: Int, k: Int,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        // A single chain per column, like every other block: each output is c + Σ a·w summed in
        // the same order whatever block computes it, so a row gives bit-identical results alone
        // (replay) and inside a batch (forecast).
        var s0 = Lanes.load(c), s1 = Lanes.load(c + 8)
        var wp = w
        for p in 0 ..< k {
            let x = Vector(repeating: a[p])
            s0.addProduct(x, Lanes.load(wp)); s1.addProduct(x, Lanes.load(wp + 8))
            wp += ldw
        }
        Lanes.store(s0, c); Lanes.store(s1, c + 8)
    }

    /// One row, 64 columns: eight independent accumulators.
    @inline(__always) static func row1x64(
        a: UnsafePointer<Float>, w: UnsafePointer<Float>, ldw: Int, k: Int,
        c: UnsafeMutablePointer<Float>
    ) {
        var s0 = Lanes.load(c), s1 = Lanes.load(c + 8), s2 = Lanes.load(c + 16), s3 = Lanes.load(c + 24)
        var s4 = Lanes.load(c + 32), s5 = Lanes.load(c + 40), s6 = Lanes.load(c + 48), s7 = Lanes.load(c + 56)
        var wp = w
        for p in 0 ..< k {
            let x = Vector(repeating: a[p])
            s0.addProduct(x, Lanes.load(wp)); s1.addProduct(x, Lanes.load(wp + 8))
            s2.addProduct(x, Lanes.load(wp + 16)); s3.addProduct(x, Lanes.load(wp + 24))
            s4.addProduct(x, Lanes.load(wp + 32)); s5.addProduct(x, Lanes.load(wp + 40))
            s6.addProduct(x, Lanes.load(wp + 48)); s7.addProduct(x, Lanes.load(wp + 56))
            wp += ldw
        }
        Lanes.store(s0, c); Lanes.store(s1, c + 8); Lanes.store(s2, c + 16); Lanes.store(s3, c + 24)
        Lanes.store(s4, c + 32); Lanes.store(s5, c + 40); Lanes.store(s6, c + 48); Lanes.store(s7, c + 56)
    }
}

extension SmallGEMM {
    /// Off when the environment sets `TIDAL_SMALL_GEMM=0` (to compare against OpenBLAS).
    nonisolated(unsafe) static var enabled: Bool = {
        #if canImport(Glibc)
            if let v = getenv("TIDAL_SMALL_GEMM"), String(cString: v) == "0" { return false }
        #endif
        return true
    }()
    /// The largest per-step product (`m · n · k`) sent to the kernel; larger ones go to OpenBLAS
    /// (LSTM B's 32 × 512 × 128 ran 4 % slower in the kernel).
    static let maximumProduct = 1 << 20
}
