#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Support

/// What a build learns from the host it runs on besides its settings: the process environment,
/// the CPU, the mounts and devices. A build is handed these as values, so tests build whole images
/// on a host of their own making.
public struct HostProbes: Sendable {
    public var environment: [String: String]
    /// /proc/cpuinfo's text, read only when early microcode needs the host's processor.
    public var processorInformation: @Sendable () -> String?
    /// The first of the given directories (/sys, /proc, /run and /dev; dracut-ng 110 on: /dev) that
    /// is not mounted: a hostonly build needs them.
    public var unmountedHostDirectory: @Sendable ([String]) -> String?
    /// Where the shim's host-device helpers look for sysfs.
    public var sysfsRoot: String
    /// The host's kernel modules for $DRACUT_KERNEL_MODALIASES; nil: found from sysfs and libkmod.
    public var kernelModules: [String]?
    /// Files older than this, of the kinds a build leaves, belong to no live build.
    public var leftoverCutoff: Int

    public init(
        environment: [String: String], processorInformation: @escaping @Sendable () -> String?,
        unmountedHostDirectory: @escaping @Sendable ([String]) -> String?, sysfsRoot: String = "/sys",
        kernelModules: [String]? = nil, leftoverCutoff: Int
    ) {
        self.environment = environment
        self.processorInformation = processorInformation
        self.unmountedHostDirectory = unmountedHostDirectory
        self.sysfsRoot = sysfsRoot
        self.kernelModules = kernelModules
        self.leftoverCutoff = leftoverCutoff
    }

    /// The running host's.
    public static func live() -> HostProbes {
        HostProbes(
            environment: currentEnvironment(),
            processorInformation: { try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) },
            unmountedHostDirectory: { HostonlyEnvironment.unmounted($0) },
            leftoverCutoff: LiveBuilds.cutoff() ?? 0)
    }

    /// A non-empty environment variable.
    func variable(_ name: String) -> String? {
        environment[name].flatMap { $0.isEmpty ? nil : $0 }
    }
}
