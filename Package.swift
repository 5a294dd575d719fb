// swift-tools-version: 6.0
// Tidal: deep learning on time series, one native binary.
//
// The target graph reads like the pipeline:
//   CCSV / CZstd / CBLAS (system C libraries)
//     → TidalData  (CSV ingest, windows, normalizer, batches)
//     → TidalNet   (recurrent layers, heads, losses, optimizers)
//     → TidalModel (training, metrics, model file, replay)
//     → tidal      (the command-line tool)
//
// Products: `tidal` (the tool) and `Tidal`, the library for Swift programs: one `import Tidal`
// re-exports TidalCore, TidalData, TidalNet and TidalModel, and its DocC catalog
// (Sources/Tidal/Tidal.docc) is the API reference's landing page. The per-module products stay for
// programs that need one layer only (TidalData's CSV ingest without the network and its BLAS).
// `tidal-library-example` is the program of Docs/library.md; a test runs it.
// swift-docc-plugin adds `swift package generate-documentation`; plain builds never run it.
import PackageDescription

// Release builds of the numeric modules: no overflow/bounds traps in the hot loops, and on x86-64
// Haswell's instruction set (AVX2 + FMA: Intel since 2013, AMD since 2015) so the gate loops vectorize 8 wide.
#if arch(x86_64)
    let numericFlags: [String] = ["-Ounchecked", "-target-cpu", "haswell"]
#else
    let numericFlags: [String] = ["-Ounchecked"]
#endif

// `-static-stdlib` links the standard library statically; Foundation's static archives then need
// their C layers named (what `swift build --static-swift-stdlib` adds for an executable).
let staticStdlibFlags = ["-static-stdlib", "-lCoreFoundation", "-l_FoundationICU", "-l_FoundationCShims", "-l_FoundationCollections"]

let package = Package(
    name: "Tidal",
    products: [
        .executable(name: "tidal", targets: ["tidal"]),
        .library(name: "Tidal", targets: ["Tidal"]),
        .library(name: "TidalData", targets: ["TidalData"]),
        .library(name: "TidalNet", targets: ["TidalNet"]),
        .library(name: "TidalModel", targets: ["TidalModel"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.4.0"),
    ],
    targets: [
        // libcsv ships no pkg-config file, so CCSV names none.
        .systemLibrary(name: "CCSV", path: "Sources/CCSV"),
        .systemLibrary(name: "CZstd", path: "Sources/CZstd", pkgConfig: "libzstd"),
        .systemLibrary(name: "CBLAS", path: "Sources/CBLAS"),

        .target(name: "TidalCore"),
        .target(
            name: "TidalData",
            dependencies: ["TidalCore", "CCSV"],
            swiftSettings: [.unsafeFlags(numericFlags, .when(configuration: .release))]
        ),
        .target(
            name: "TidalNet",
            dependencies: ["TidalCore", "TidalData", "CBLAS"],
            swiftSettings: [.unsafeFlags(numericFlags, .when(configuration: .release))]
        ),
        .target(
            name: "TidalModel",
            dependencies: ["TidalCore", "TidalData", "TidalNet", "CZstd", "CBLAS"]
        ),
        .target(name: "Tidal", dependencies: ["TidalCore", "TidalData", "TidalNet", "TidalModel"]),
        .executableTarget(
            name: "tidal",
            dependencies: [
                "TidalCore", "TidalData", "TidalNet", "TidalModel",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            // Release binaries carry the Swift standard library and Foundation inside them, so the one
            // file copies to any x86-64 Linux with glibc, libcsv, libzstd and OpenBLAS (`ldd` names nothing
            // from the toolchain).
            linkerSettings: [.unsafeFlags(staticStdlibFlags, .when(configuration: .release))]
        ),

        .executableTarget(name: "tidal-library-example", dependencies: ["Tidal"]),

        .target(name: "TidalTestSupport", dependencies: ["TidalCore"], path: "Tests/TidalTestSupport"),
        .testTarget(name: "TidalDataTests", dependencies: ["TidalData", "TidalTestSupport"]),
        .testTarget(name: "TidalNetTests", dependencies: ["TidalNet", "TidalTestSupport"]),
        .testTarget(name: "TidalModelTests", dependencies: ["TidalModel", "TidalTestSupport"]),
        .testTarget(name: "TidalCLITests", dependencies: ["tidal", "tidal-library-example", "TidalTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
