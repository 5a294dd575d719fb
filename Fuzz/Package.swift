// swift-tools-version: 6.0
// Tidal's libFuzzer targets: a package of its own so that the main package's `swift build` and
// `swift test` never see them. They are built with `-sanitize=fuzzer,address` (which gives every
// executable libFuzzer's `main`) and `-parse-as-library`, flags the main build must not get;
// `Scripts/fuzz.sh` builds and runs them. The main package is a dependency by path, built in
// debug (bounds and overflow checks on) with testability, so `FuzzSupport` can
// `@testable import TidalModel` to re-pack edited descriptions with `ModelFile.pack`.
import PackageDescription

let tidal: [Target.Dependency] = [
    .product(name: "TidalData", package: "Tidal"), .product(name: "TidalModel", package: "Tidal"),
    .product(name: "TidalNet", package: "Tidal"),
]

let package = Package(
    name: "TidalFuzz",
    dependencies: [.package(name: "Tidal", path: "..")],
    targets: [
        .target(name: "FuzzSupport", dependencies: tidal),
        .executableTarget(name: "fuzz-csv", dependencies: tidal + ["FuzzSupport"]),
        .executableTarget(name: "fuzz-model", dependencies: tidal + ["FuzzSupport"]),
        .executableTarget(name: "fuzz-replay", dependencies: tidal + ["FuzzSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
