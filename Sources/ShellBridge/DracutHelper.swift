// swift-format-ignore-file: AlwaysUseLowerCamelCase
// The cases are dracut's own function names, spelt as module code calls them.

/// Every dracut helper Kindling defines for module code, by what answers it: the one list of
/// helper names. DracutHelpers and KernelModuleHelpers dispatch on their part of it; BashSession
/// hands the names of the helpers the shell sends to the engine to the shim at startup, which
/// defines a forwarder for each and holds no list of its own; the tests compare it with the
/// functions the shim defines and with kindling.modules(7). The cases are dracut's own names.
public enum DracutHelper {
    /// Answered by DracutHelpers: files, binaries, hooks, udev rules, the loader cache, symlinks.
    public enum File: String, CaseIterable, Sendable {
        case inst, inst_simple, inst_library, inst_binary, inst_script, inst_symlink, inst_multiple, dracut_install
        case inst_dir, inst_hook, find_binary
        case inst_rules, inst_rules_wildcard, inst_rule_programs, inst_rule_group_owner, inst_rule_initqueue
        case prepare_udev_rules, inst_decompress, inst_opt_decompress, build_ld_cache, ln_r

        /// Installs files and directories and changes nothing already in the image: the helpers
        /// during which `FileInstaller` may remember the directories it resolves.
        var onlyAddsFiles: Bool {
            switch self {
            case .inst, .inst_simple, .inst_library, .inst_binary, .inst_script, .inst_symlink, .inst_multiple,
                .dracut_install, .inst_dir, .inst_rules, .inst_rules_wildcard, .inst_rule_programs,
                .inst_rule_group_owner:
                return true
            case .inst_hook, .find_binary, .inst_rule_initqueue, .prepare_udev_rules, .inst_decompress,
                .inst_opt_decompress, .build_ld_cache, .ln_r:
                return false
            }
        }
    }

    /// Answered by KernelModuleHelpers (libkmod). instmods and require_kernel_modules have a front
    /// in the shim that completes their arguments before the request.
    public enum KernelModule: String, CaseIterable, Sendable {
        case instmods, dracut_instmods, require_kernel_modules, check_kernel_module, check_kernel_config
        case dracut_kernel_post
    }

    /// Plain bash functions of the shim: they look at their arguments, the build's variables and
    /// the host, and call the engine's helpers for files.
    public enum Shell: String, CaseIterable, Sendable {
        // kindling-logger.bash
        case dinfo, dwarn, dwarning, derror, dfatal, ddebug, dtrace
        // kindling-functions.bash
        case dracut_module_included, module_install, dracut_need_initqueue, dracut_no_switch_root, convert_abs_rel
        case strstr, strglob, strglobin, str_starts, str_ends, is_func, trim, mksubdirs, vercmp, print_vars
        case is_qemu_virtualized, inst_fsck_help, require_binaries, require_any_binary, inst_any
        case inst_libdir_file, inst_libdir_dir, mark_hostonly, optional_hostonly
        // dracut-ng's own (the shim unsets them for 059's modules)
        case inst_sysusers, get_module_name, get_lvm_dm_dev
        // dracut's module checks, which dracut-ng's modules call from depends()
        case dracut_module_path, module_check, module_depends, check_module
        // kindling-block-devices.bash
        case get_maj_min, check_block_and_slaves, check_block_and_slaves_all
        case for_each_host_dev_and_slaves, for_each_host_dev_and_slaves_all, for_each_host_dev_fs
        case get_devpath_block, get_blockdev_drv_through_sys, get_dev_module
        case block_is_nbd, block_is_iscsi, block_is_fcoe, block_is_netdevice, btrfs_devs, zfs_devs
        // kindling-filesystems.bash
        case find_mp_fstype, find_dev_fstype, find_mp_fsopts, find_dev_fsopts, fs_get_option
        case find_block_device, find_root_block_device
        case get_persistent_dev, expand_persistent_dev, shorten_persistent_dev, get_fs_env
    }

    /// dracut helpers Kindling cannot answer yet. The shim sends them like the others, and the
    /// engine fails the build naming the helper, rather than let a module go on with a made-up
    /// answer (no network address, no volume's disks).
    public enum NotImplemented: String, CaseIterable, Sendable {
        case host_fs_all, check_vol_slaves, check_vol_slaves_all, lvm_internal_dev
        case get_cpu_vendor, get_ucode_file, get_decompress_cmd, normalize_path
        case ldconfig_paths, rev_lib_symlinks
        case iface_for_remote_addr, local_addr_for_remote_addr, peer_for_addr, netmask_for_addr, gateway_for_iface
        case bootproto_for_iface, is_unbracketed_ipv6_address, ip_params_for_remote_addr
    }

    /// The helpers whose calls the shell sends to the engine: it defines a forwarder for each.
    public static var forwarded: [String] {
        File.allCases.map(\.rawValue) + KernelModule.allCases.map(\.rawValue) + NotImplemented.allCases.map(\.rawValue)
    }

    /// The helpers the engine answers.
    public static var answered: [String] {
        File.allCases.map(\.rawValue) + KernelModule.allCases.map(\.rawValue)
    }

    /// Every helper module code may call.
    public static var all: [String] { forwarded + Shell.allCases.map(\.rawValue) }

    /// The environment variable through which BashSession names the forwarded helpers to the shim.
    static let environmentVariable = "KINDLING_ENGINE_HELPERS"
}
