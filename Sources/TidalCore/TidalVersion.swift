/// Tidal's version: printed by `tidal --version` and written into every model file.
public enum TidalVersion {
    /// The version number, `major.minor.patch`.
    public static let string = "0.1.0"
}
