// The unpacker harnesses' common step: an archive extracted as kindling-lsinitrd --unpack does.
@testable import Archive

/// Extracts every member of `archive` into `destination` but those `skipping` names, going on
/// past members the extractor refuses (its way to stay inside) and system errors (EEXIST, ENOTDIR
/// and the like from hostile layouts), then applies the directories' modes. Any error that is not
/// an `ArchiveError` is a finding.
public func extractHostileArchive(_ archive: [UInt8], into destination: String, skipping: (CpioMember) -> Bool) {
    do {
        let extractor = try ArchiveExtractor(destination: destination)
        let reader = CpioReader(source: MemorySource(archive))
        while let member = try reader.nextMember() {
            if skipping(member) { continue }
            do {
                try extractor.extract(member, from: reader)
            } catch ArchiveError.refusedMember {
            } catch ArchiveError.system {
            }
        }
        try extractor.finish()
    } catch is ArchiveError {
    } catch {
        fuzzFailure("unexpected error type: \(error)")
    }
}
