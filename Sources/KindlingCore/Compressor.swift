import Archive

/// The image's compression, from dracut's `compress` value: a name or a full command line.
/// The rules live in `CompressionMethod`; this turns its errors into build failures.
struct Compressor {
    let method: CompressionMethod

    init(_ setting: String) throws {
        do {
            method = try CompressionMethod(dracutSetting: setting)
        } catch {
            throw BuildFailure(error.description)
        }
    }

    /// Compresses into `file`, which an external tool writes to directly.
    func sink(writingTo file: FileSink) throws -> ByteSink {
        try method.makeSink(writingTo: file)
    }
}
