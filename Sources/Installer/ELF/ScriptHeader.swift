/// The `#!` line of an interpreted script, read the way the kernel's script loader reads it.
public enum ScriptHeader {
    /// The kernel only looks at this many bytes of a script (BINPRM_BUF_SIZE).
    static let readLength = 256

    /// The interpreter named after `#!` (its first word, e.g. `/bin/sh` for `#! /bin/sh -e`),
    /// or nil when the file is unreadable or not a script.
    public static func interpreter(ofScriptAt path: String) -> String? {
        guard let reader = try? BoundedFileReader(path: path), let head = try? reader.prefix(readLength) else {
            return nil
        }
        return interpreter(inHeader: head)
    }

    static func interpreter(inHeader head: [UInt8]) -> String? {
        guard head.starts(with: Array("#!".utf8)) else { return nil }
        let isBlank = { (byte: UInt8) in byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }
        let isEnd = { (byte: UInt8) in isBlank(byte) || byte == UInt8(ascii: "\n") || byte == 0 }
        let word = head.dropFirst(2).drop(while: isBlank).prefix { !isEnd($0) }
        return word.isEmpty ? nil : String(decoding: word, as: UTF8.self)
    }
}
