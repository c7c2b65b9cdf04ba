import Archive
import Support

/// The image's compression, from dracut's `compress` value: a name or a full command line.
/// The rules live in `CompressionMethod`; the build resolves it in its preflight, before any module
/// runs, so a compressor that is misspelt or not installed never costs a whole build.
struct Compressor {
    let method: CompressionMethod

    /// - Parameter findExecutable: resolves a tool name to a runnable path, nil when missing.
    init(
        _ setting: String, levels: [String: Int] = [:],
        findExecutable: (String) -> String? = findExecutableInSearchPath
    ) throws(ArchiveError) {
        method = try CompressionMethod(dracutSetting: setting, levels: levels, findExecutable: findExecutable)
    }

    private init(method: CompressionMethod) {
        self.method = method
    }

    /// The archive as it is, dracut's `compress=cat`: what the squash pass leaves to write.
    static let uncompressed = Compressor(method: .none)

    /// Compresses into `file`, which an external tool writes to directly.
    func sink(writingTo file: FileSink, advance: AdvanceDeflation? = nil) throws -> ByteSink {
        try method.makeSink(writingTo: file, advance: advance)
    }
}

extension ArchiveError {
    /// Why a compress setting cannot be used, for a line that already says what was being done.
    var reason: String {
        guard case .toolMissing(let tool, _) = self else { return description }
        let names = CompressionMethod.settingNames
        if !names.contains(tool), let near = nearestName(to: tool, among: names) {
            return "'\(tool)' is not installed; did you mean '\(near)'?"
        }
        return "'\(tool)' is not installed"
    }
}
