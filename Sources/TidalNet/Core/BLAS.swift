internal import CBLAS

/// Row-major matrix products on OpenBLAS, and its thread count.
///
/// `C = alpha · op(A) · op(B) + beta · C` where `op` transposes when asked; every matrix is
/// row-major with leading dimension `ld*` (its stored row length).
public enum BLAS {
    /// `C = alpha · op(A) · op(B) + beta · C` for row-major `op(A)` `[m, k]`, `op(B)` `[k, n]`, `C` `[m, n]`.
    /// One-row products go to sgemv; `k == 0` only scales `C` by `beta`.
    @inline(__always)
    package static func gemm(
        transposeA: Bool = false, transposeB: Bool = false,
        m: Int, n: Int, k: Int, alpha: Float = 1,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard m > 0, n > 0 else { return }
        guard k > 0 else {
            if beta == 0 {
                for r in 0 ..< m { (c + r * ldc).update(repeating: 0, count: n) }
            } else if beta != 1 {
                for r in 0 ..< m { for j in 0 ..< n { c[r * ldc + j] *= beta } }
            }
            return
        }
        if m == 1 && ldc >= n {
            // A single row: a matrix–vector product is much faster than a 1-row sgemm.
            // c = alpha · op(B)ᵀ·a + beta · c, with a (and c) contiguous when op(A) is one row.
            let lda1: Int32 = transposeA ? blasint(lda) : 1
            if transposeB {
                // B is [n, k]: c = B · a
                cblas_sgemv(CblasRowMajor, CblasNoTrans, blasint(n), blasint(k), alpha, b, blasint(ldb), a, lda1, beta, c, 1)
            } else {
                // B is [k, n]: c = Bᵀ · a
                cblas_sgemv(CblasRowMajor, CblasTrans, blasint(k), blasint(n), alpha, b, blasint(ldb), a, lda1, beta, c, 1)
            }
            return
        }
        if n == 1 {
            // One output column: c = op(A) · b, a matrix–vector product.
            let incb: Int32 = transposeB ? 1 : blasint(ldb)
            if transposeA {
                cblas_sgemv(CblasRowMajor, CblasTrans, blasint(k), blasint(m), alpha, a, blasint(lda), b, incb, beta, c, blasint(ldc))
            } else {
                cblas_sgemv(CblasRowMajor, CblasNoTrans, blasint(m), blasint(k), alpha, a, blasint(lda), b, incb, beta, c, blasint(ldc))
            }
            return
        }
        if k == 1 && beta == 1 {
            // Inner dimension 1: a rank-1 update, c += alpha · a bᵀ.
            let inca: Int32 = transposeA ? 1 : blasint(lda)
            let incb: Int32 = transposeB ? blasint(ldb) : 1
            cblas_sger(CblasRowMajor, blasint(m), blasint(n), alpha, a, inca, b, incb, c, blasint(ldc))
            return
        }
        cblas_sgemm(
            CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
            blasint(m), blasint(n), blasint(k), alpha, a, blasint(lda), b, blasint(ldb), beta, c, blasint(ldc))
    }

    /// Sets how many threads OpenBLAS uses for each product.
    public static func setThreads(_ count: Int) {
        openblas_set_num_threads(Int32(max(1, count)))
    }

    /// The thread count OpenBLAS uses now.
    public static var threads: Int { Int(openblas_get_num_threads()) }
}
