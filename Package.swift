// swift-tools-version:6.0
import PackageDescription

// The engine is split into one target per layer so that the compiler enforces the direction of
// data flow: options and config -> module graph -> shell bridge -> installer -> staged tree -> archive.
// A layer imports only the layers below it; KindlingCore wires them into a build. Each target lists
// exactly the targets its files import, no more, so the graph here is the one the code has.
// Each Swift target's folder has a README.md (its job and its imports), for people, not the compiler.
let readme = ["README.md"]

let package = Package(
    name: "Kindling",
    products: [
        .executable(name: "kindling", targets: ["kindling"]),
        .executable(name: "kindling-lsinitrd", targets: ["kindling-lsinitrd"]),
        .library(name: "KindlingCore", targets: ["KindlingCore"]),
    ],
    targets: [
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // Whole-buffer deflate for the parallel gzip writer (zlib still reads and combines CRCs).
        .systemLibrary(name: "CLibdeflate", providers: [.apt(["libdeflate-dev"])]),
        .systemLibrary(name: "CKmod", pkgConfig: "libkmod", providers: [.apt(["libkmod-dev"])]),

        // argc and argv without /proc (the Swift runtime reads CommandLine from /proc/self/cmdline).
        .target(name: "CSystem"),
        .target(name: "Support", dependencies: ["CSystem"], exclude: readme),
        .target(name: "Archive", dependencies: ["Support", "CZlib", "CLibdeflate"], exclude: readme),
        // The treemap of an image as SVG, for --explain-svg and kindling-lsinitrd --svg: it sees only
        // paths, sizes and names, never a build or an archive.
        .target(name: "ImageMap", dependencies: ["Support"], exclude: readme),
        // The unified kernel image (--uefi): the stub's PE headers read and extended with the kernel,
        // the archive and the command line; it sees files and bytes, never a build.
        .target(name: "UnifiedKernelImage", dependencies: ["Support"], exclude: readme),
        .target(name: "StagedTree", dependencies: ["Support", "Archive", "ImageMap"], exclude: readme),
        .target(name: "Installer", dependencies: ["Support", "CKmod"], exclude: readme),
        .target(name: "ShellBridge", dependencies: ["Support", "Installer"], exclude: readme),
        .target(name: "ModuleGraph", dependencies: ["Support"], exclude: readme),
        .target(name: "Configuration", dependencies: ["Support"], exclude: readme),
        .target(
            name: "KindlingCore",
            dependencies: [
                "Support", "Configuration", "ModuleGraph", "ShellBridge", "Installer", "StagedTree", "Archive",
                "UnifiedKernelImage",
            ], exclude: readme),

        .executableTarget(name: "kindling", dependencies: ["KindlingCore", "Support"], exclude: readme),
        .executableTarget(
            name: "kindling-lsinitrd", dependencies: ["Archive", "ImageMap", "UnifiedKernelImage", "Support"],
            exclude: readme),

        .testTarget(name: "SupportTests", dependencies: ["Support"]),
        .testTarget(name: "ArchiveTests", dependencies: ["Archive", "Support", "CZlib"]),
        .testTarget(name: "ImageMapTests", dependencies: ["ImageMap"]),
        .testTarget(name: "UnifiedKernelImageTests", dependencies: ["UnifiedKernelImage"]),
        .testTarget(name: "StagedTreeTests", dependencies: ["StagedTree", "Archive", "ImageMap"]),
        .testTarget(name: "InstallerTests", dependencies: ["Installer", "Support"]),
        .testTarget(name: "ShellBridgeTests", dependencies: ["ShellBridge", "Installer", "Support"]),
        .testTarget(name: "ModuleGraphTests", dependencies: ["ModuleGraph", "Support"]),
        .testTarget(name: "ConfigurationTests", dependencies: ["Configuration", "Support"]),
        .testTarget(name: "KindlingCoreTests", dependencies: ["KindlingCore", "Configuration", "Archive", "Support"]),
    ]
)
