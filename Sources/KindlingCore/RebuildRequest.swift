import Archive
import Configuration
import Foundation
import Support

/// `--rebuild IMAGE`: the options stored in IMAGE's build-parameter.txt go before the ones given
/// now (so the new ones win), and the output defaults to IMAGE itself, overwritten without --force.
struct RebuildRequest {
    /// The image, as an absolute path with symlinks resolved.
    let image: String
    let storedWords: [String]

    /// Nil when the command line has no --rebuild; the last one counts, as in dracut.
    init?(arguments: [String]) throws {
        let commandLine = try CommandLineParser().parse(arguments)
        guard let given = commandLine.values(of: "rebuild").last else { return nil }
        guard FileManager.default.fileExists(atPath: given) else {
            throw BuildFailure("Image file '\(given)', for rebuild, does not exist!")
        }
        image = URL(fileURLWithPath: given).resolvingSymlinksInPath().path
        let stored: String
        do {
            stored = try Self.storedParameters(of: image)
        } catch {
            throw BuildFailure("Image '\(image)' has no rebuild information stored (\(error))")
        }
        storedWords = try ShellWords.split(stored)
    }

    /// The command line to build with: the stored options, the given ones, and the image as the
    /// output when none is named.
    func arguments(adding given: [String]) throws -> [String] {
        let commandLine = try CommandLineParser().parse(given)
        var combined = storedWords + given
        if commandLine.positionals.isEmpty {
            if !given.contains("--") { combined.append("--") }
            combined.append(image)
        }
        return combined
    }

    /// dracut forces the build when the output is the image being rebuilt.
    func overwritesImage(_ outputPath: String) -> Bool {
        outputPath == image
    }

    /// The text of every `*lib/dracut/build-parameter.txt` in the image, as lsinitrd prints it.
    static func storedParameters(of image: String) throws -> String {
        let reader = try ImageReader(path: image)
        var text: [UInt8] = []
        let pattern = RawPath("*lib/dracut/build-parameter.txt")
        while let archive = try reader.nextArchive() {
            while let member = try archive.reader.nextMember() {
                guard member.fileType == .regular, member.path.matches(pattern: pattern) else { continue }
                text += try archive.reader.readData()
            }
        }
        return String(decoding: text, as: UTF8.self)
    }
}
