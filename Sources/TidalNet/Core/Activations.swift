#if canImport(Glibc)
import Glibc
#endif

/// Scalar activations used inside the fused gate loops.
public enum Activation {
    /// Logistic sigmoid `1 / (1 + e^−x)`, written so that large |x| neither overflows nor loses precision.
    @inline(__always) public static func sigmoid(_ x: Float) -> Float {
        if x >= 0 {
            return 1 / (1 + expf(-x))
        } else {
            let e = expf(x)
            return e / (1 + e)
        }
    }

    @inline(__always) public static func tanh(_ x: Float) -> Float { tanhf(x) }
}
