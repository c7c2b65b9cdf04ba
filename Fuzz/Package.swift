// swift-tools-version:6.0
import PackageDescription

// Kindling's libFuzzer harnesses, one executable per input format. A package of its own, next to
// Kindling's, so that `swift build` and `swift test` of Kindling never see them: they only link
// with -sanitize=fuzzer (see mk/fuzz.mk and Fuzz/README.md). Harnesses reach internal API through
// @testable import, so the build passes -enable-testing.
let harnesses = [
    "FuzzCpioReader", "FuzzCpioRoundTrip", "FuzzInitramfsImage", "FuzzGunzip", "FuzzGzipRoundTrip",
    "FuzzArchiveExtractor", "FuzzELFParser", "FuzzModuleELF", "FuzzLoaderCache", "FuzzShellMessages",
    "FuzzConfigRecords", "FuzzCommandLine", "FuzzTextFormats", "FuzzKdumpConfig", "FuzzUnpackConfinement", "FuzzPEImage",
    "FuzzStripProbe",
]
// Files beside a harness's source that it reads at run time.
let runtimeFiles = ["FuzzKdumpConfig": ["driver.bash"]]

let package = Package(
    name: "KindlingFuzz",
    dependencies: [.package(name: "Kindling", path: "..")],
    targets: [
        .target(name: "FuzzKit", dependencies: [.product(name: "KindlingCore", package: "Kindling")], path: "Sources/FuzzKit")
    ]
        + harnesses.map { name in
            .executableTarget(
                name: name,
                dependencies: ["FuzzKit", .product(name: "KindlingCore", package: "Kindling")],
                path: "Sources/\(name)",
                exclude: runtimeFiles[name] ?? [])
        }
)
