#if canImport(Glibc)
    import TidalCore
    import Glibc
#endif

/// Activations used inside the fused gate loops.
///
/// `exp` is computed without libm so that loops over a gate block vectorize: with
/// `x = n·ln2 + r`, `|r| ≤ ln2/2`, `e^x = 2^n · p(r)` where `p` is the degree-6 Taylor/Cephes
/// polynomial of `e^r` (relative error below 2e-7 on the reduced range) and `2^n` is built
/// from the exponent bits. Inputs are clamped to ±87 so nothing overflows. `sigmoid` and
/// `tanh` follow from it: `σ(x) = 1 / (1 + e^−x)`, `tanh(x) = 2σ(2x) − 1`. Their absolute error
/// stays below 3e-7 everywhere, far inside the fixtures' float32 tolerances (1e-5 forward).
public enum Activation {
    /// `e^x` in float32 without libm (see above), clamped to ±87.
    @inline(__always) public static func exp(_ x: Float) -> Float {
        let clamped = min(max(x, -87), 87)
        let n = (clamped * 1.442_695_04).rounded(.toNearestOrEven)
        // r = x − n·ln2 with ln2 split in two parts for accuracy (Cody–Waite).
        let r = clamped.addingProduct(-n, 0.693_359_375).addingProduct(n, 2.121_944_4e-4)
        // Horner's scheme in fused multiply-adds (one instruction each on FMA hardware).
        var p: Float = 1.987_569_1e-4
        p = (1.398_199_9e-3 as Float).addingProduct(p, r)
        p = (8.333_452e-3 as Float).addingProduct(p, r)
        p = (4.166_579_6e-2 as Float).addingProduct(p, r)
        p = (0.166_666_66 as Float).addingProduct(p, r)
        p = (0.5 as Float).addingProduct(p, r)
        p = (r + 1).addingProduct(p * r, r)
        let scale = Float(bitPattern: UInt32(bitPattern: Int32(n) + 127) << 23)
        return p * scale
    }

    /// Logistic sigmoid `1 / (1 + e^−x)`.
    @inline(__always) public static func sigmoid(_ x: Float) -> Float { 1 / (1 + exp(-x)) }

    /// Hyperbolic tangent, `2σ(2x) − 1`.
    @inline(__always) public static func tanh(_ x: Float) -> Float { 2 / (1 + exp(-2 * x)) - 1 }

    /// Applies `sigmoid` to `count` values in place (a loop the compiler vectorizes).
    @inline(__always) package static func sigmoid(_ p: UnsafeMutablePointer<Float>, _ count: Int) {
        for i in 0 ..< count { p[i] = sigmoid(p[i]) }
    }

    /// Applies `tanh` to `count` values in place.
    @inline(__always) package static func tanh(_ p: UnsafeMutablePointer<Float>, _ count: Int) {
        for i in 0 ..< count { p[i] = tanh(p[i]) }
    }
}
