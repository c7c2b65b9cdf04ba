#if canImport(Glibc)
import Glibc
#endif
import Archive
import ImageMap
import Support

/// Carries out one lsinitrd request on one image.
struct ImageInspector {
    let imagePath: String
    /// How the listing names the image: its path, or for a UEFI executable's .initrd, the
    /// executable's path with the section's name.
    var displayName: String? = nil
    let options: CommandLineOptions
    let output: StandardOutput

    static let rule = String(repeating: "=", count: 72)

    /// Where dracut puts the files describing a build, relative to the image root.
    private static let dracutDirectories = ["lib64/dracut", "lib/dracut", "usr/lib64/dracut", "usr/lib/dracut"]

    private static func dracutPatterns(_ name: String) -> [RawPath] {
        dracutDirectories.map { RawPath("\($0)/\(name)") }
    }

    /// Returns false when some part of the request failed but the rest was done.
    func run() throws -> Bool {
        switch options.action {
        case .list:
            try list()
            return true
        case .printFiles:
            try printFiles()
            return true
        case .unpack:
            return try unpack(early: false)
        case .unpackEarly:
            return try unpack(early: true)
        case .drawMap:
            try drawMap(to: options.mapPath ?? "")
            return true
        }
    }

    // MARK: Listing

    /// What one pass over the image found.
    private struct Contents {
        var early: [CpioMember]?
        var main: [CpioMember] = []
        var version: [UInt8] = []
        var arguments: [UInt8] = []
        var modules: [UInt8] = []
    }

    private func list() throws {
        output.writeLine("Image: \(displayName ?? imagePath): \(humanReadableSize(diskUsage(of: imagePath)))")
        output.writeLine(ImageInspector.rule)
        let contents = try readContents()
        let formatter = ListingFormatter()
        let order: ListingOrder = options.sortsBySize ? .bySize : .byName

        if let early = contents.early {
            output.writeLine("Early CPIO image")
            writeListing(early, formatter: formatter, order: order)
        }
        output.write("Version: ")
        output.write(contents.version.trimmingTrailingNewlines())
        output.writeLine()
        output.writeLine()
        if options.listsModulesOnly {
            writeModules(contents.modules)
            output.writeLine(ImageInspector.rule)
            return
        }
        output.write("Arguments: ")
        output.write(contents.arguments)
        output.writeLine()
        writeModules(contents.modules)
        writeListing(contents.main, formatter: formatter, order: order)
    }

    private func writeModules(_ modules: [UInt8]) {
        output.writeLine("dracut modules:")
        output.write(modules)
    }

    private func writeListing(_ members: [CpioMember], formatter: ListingFormatter, order: ListingOrder) {
        output.writeLine(ImageInspector.rule)
        for line in order.sorted(members.map(formatter.line)) {
            output.write(line)
            output.write([UInt8(ascii: "\n")])
        }
        output.writeLine(ImageInspector.rule)
    }

    /// Reads every member's metadata, plus the small dracut files the header shows, in one pass.
    private func readContents() throws -> Contents {
        var contents = Contents()
        let image = try ImageReader(path: imagePath)
        while let archive = try image.nextArchive() {
            var members: [CpioMember] = []
            var found = Contents()
            var isEarly = false
            let mayBeEarly = archive.index == 0 && archive.compression == .uncompressed
            while let member = try archive.reader.nextMember() {
                members.append(member)
                if mayBeEarly && ImageInspector.marksEarlyArchive(member) { isEarly = true }
                guard member.fileType == .regular else { continue }
                if ImageInspector.dracutPatterns("dracut-*").contains(where: member.path.matches) {
                    found.version += try archive.reader.readData()
                } else if ImageInspector.dracutPatterns("build-parameter.txt").contains(member.path) {
                    found.arguments += try archive.reader.readData()
                } else if ImageInspector.dracutPatterns("modules.txt").contains(member.path) {
                    found.modules += try archive.reader.readData()
                }
            }
            if isEarly {
                contents.early = members
            } else {
                contents.main += members
                contents.version += found.version
                contents.arguments += found.arguments
                contents.modules += found.modules
            }
        }
        return contents
    }

    /// The first archive is the early one when it holds dracut's marker file or CPU microcode.
    private static func marksEarlyArchive(_ member: CpioMember) -> Bool {
        (member.path == "early_cpio" && member.size > 0) || member.path.matches(pattern: "kernel/*/microcode/*.bin")
    }

    /// Whether the first archive is the early one; reads only that archive.
    private func hasEarlyArchive() throws -> Bool {
        let image = try ImageReader(path: imagePath)
        guard let first = try image.nextArchive(), first.compression == .uncompressed else { return false }
        while let member = try first.reader.nextMember() {
            if ImageInspector.marksEarlyArchive(member) { return true }
        }
        return false
    }

    // MARK: Drawing

    /// The early archive's files go into a box of their own: its paths (kernel/x86/microcode)
    /// are not the main archive's, though they look alike.
    static let earlyArchiveBox = "early"

    /// Draws the image as a treemap into `path`: a top-level box per top directory of the main
    /// archive, and one for the early archive. The sizes are the archive's, before compression.
    private func drawMap(to path: String) throws {
        // Made first, so that a map that cannot be written fails before the image is read.
        let file: AtomicFile
        do {
            file = try AtomicFile(replacing: path, permissions: 0o644)
        } catch ArchiveError.system(_, _, let error) {
            throw ArchiveError.system(operation: "write the --svg map", path: path, errno: error)
        }
        let contents = try readContents()
        var entries: [ImageMapEntry] = []
        func add(_ members: [CpioMember], group: String?) {
            for member in members where options.files.isEmpty || options.files.contains(where: member.path.matches) {
                // A hardlink group stores its data once, with one member: the others have no size.
                let size = member.fileType == .regular ? Int(clamping: member.size) : 0
                entries.append(ImageMapEntry(path: member.path.bytes, size: size, group: group))
            }
        }
        add(contents.early ?? [], group: Self.earlyArchiveBox)
        add(contents.main, group: nil)
        var map = ImageMap(title: displayName ?? imagePath, entries: entries)
        map.groupNoun = "archive"
        guard writeAll(fd: file.fileDescriptor, map.svg()) else {
            throw ArchiveError.system(operation: "write", path: path, errno: errno)
        }
        try file.commit()
    }

    // MARK: Printing files

    /// Prints each requested file's contents; with several, each gets a heading like lsinitrd's.
    private func printFiles() throws {
        let showsHeadings = options.files.count > 1
        for pattern in options.files {
            if showsHeadings {
                output.write("initramfs:/")
                output.write(pattern.bytes)
                output.writeLine()
                output.writeLine(ImageInspector.rule)
            }
            try printContents(matching: pattern)
            if showsHeadings {
                output.writeLine(ImageInspector.rule)
                output.writeLine()
            }
        }
    }

    /// Writes the data of every regular member matching `pattern`, in every archive.
    private func printContents(matching pattern: RawPath) throws {
        let image = try ImageReader(path: imagePath)
        while let archive = try image.nextArchive() {
            // A hardlink group's data comes with its last member, which may have another name.
            var awaitingData: Set<[UInt32]> = []
            while let member = try archive.reader.nextMember() {
                guard member.fileType == .regular else { continue }
                let link = [member.inode, member.device.major, member.device.minor]
                let matches = member.path.matches(pattern: pattern)
                if matches && member.size == 0 && member.linkCount > 1 {
                    awaitingData.insert(link)
                } else if matches || (member.size > 0 && awaitingData.remove(link) != nil) {
                    try archive.reader.readData { output.write($0) }
                }
            }
        }
    }

    // MARK: Unpacking

    /// Unpacks the main archives (or only the early one) into the current directory.
    /// Members that cannot be created are reported and skipped; returns false if there were any.
    private func unpack(early: Bool) throws -> Bool {
        let hasEarly = try hasEarlyArchive()
        if early && !hasEarly { return true }
        let extractor = try ArchiveExtractor(destination: ".")
        let image = try ImageReader(path: imagePath)
        var succeeded = true
        while let archive = try image.nextArchive() {
            let isEarly = hasEarly && archive.index == 0
            if isEarly != early { continue }
            while let member = try archive.reader.nextMember() {
                guard options.files.isEmpty || options.files.contains(where: member.path.matches) else { continue }
                if options.isVerbose {
                    writeStandardErrorBytes(member.path.bytes + [UInt8(ascii: "\n")])
                }
                do {
                    try extractor.extract(member, from: archive.reader)
                } catch let error as ArchiveError {
                    reportError(error.description)
                    succeeded = false
                }
            }
        }
        try extractor.finish()
        return succeeded
    }
}

extension Array where Element == UInt8 {
    /// What shell command substitution does to a command's output.
    fileprivate func trimmingTrailingNewlines() -> ArraySlice<UInt8> {
        var end = count
        while end > 0 && self[end - 1] == UInt8(ascii: "\n") { end -= 1 }
        return self[..<end]
    }
}

/// Space the file takes on disk, as `du` counts it.
func diskUsage(of path: String) -> UInt64 {
    var status = stat()
    guard stat(path, &status) == 0 else { return 0 }
    return UInt64(status.st_blocks) * 512
}

func writeStandardErrorBytes(_ bytes: [UInt8]) {
    writeAll(fd: 2, bytes)
}

func reportError(_ message: String) {
    writeStandardError("kindling-lsinitrd: \(message)\n")
}
