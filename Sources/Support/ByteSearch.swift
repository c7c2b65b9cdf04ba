extension StringProtocol {
    /// Whether the UTF-8 bytes of `needle` occur in this text's bytes. For the ASCII needles the
    /// engine looks for (keys of udev rules, "lib/modules/", "$") it answers as `contains`
    /// would, without the trip through Foundation's NSString that `contains` takes on Linux
    /// once Foundation is imported (a UTF-16 copy of the text for each call).
    public func containsBytes(of needle: some StringProtocol) -> Bool {
        let pattern = Array(needle.utf8)
        guard let first = pattern.first else { return true }
        let search = { (text: UnsafeBufferPointer<UInt8>) -> Bool in
            guard text.count >= pattern.count else { return false }
            for start in 0...(text.count - pattern.count)
            where text[start] == first && text[start..<start + pattern.count].elementsEqual(pattern) {
                return true
            }
            return false
        }
        return utf8.withContiguousStorageIfAvailable(search) ?? Array(utf8).withUnsafeBufferPointer(search)
    }
}
