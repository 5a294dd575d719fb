/// Eight `Float` lanes loaded from and stored to unaligned memory: the vector type of
/// `SmallGEMM`, and of the gate loops the compiler does not vectorize by itself (several output
/// streams that might alias).
enum Lanes {
    typealias Vector = SIMD8<Float>

    @inline(__always) static func load(_ p: UnsafePointer<Float>) -> Vector {
        UnsafeRawPointer(p).loadUnaligned(as: Vector.self)
    }

    @inline(__always) static func load(_ p: UnsafeMutablePointer<Float>) -> Vector {
        UnsafeRawPointer(p).loadUnaligned(as: Vector.self)
    }

    @inline(__always) static func store(_ v: Vector, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vector.self)
    }
}
