import Configuration

enum Usage {
    static var text: String {
        var text = """
            Usage: kindling [OPTION]... [IMAGE [KERNEL-VERSION]]

            Builds an initramfs IMAGE (default, as dracut's: the boot loader entry directory, or
            /boot/initrd.img-KERNEL-VERSION) for KERNEL-VERSION (default: the running kernel) from
            dracut modules. Options and config files are dracut 059's.

            Options (those marked * are recognised but not supported yet, and fail):

            """
        for option in OptionTable.all {
            var names = option.longNames.map { "--\($0)" }
            if let short = option.shortName { names.insert("-\(short)", at: 0) }
            let value = option.takesValue ? (option.longNames == ["include"] ? " SRC DST" : " VALUE") : ""
            text += "  \(option.isSupported ? " " : "*") \(names.joined(separator: ", "))\(value)\n"
        }
        return text
    }
}
