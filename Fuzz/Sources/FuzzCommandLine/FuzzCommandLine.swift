// CommandLineParser, dracut's getopt semantics: clusters, abbreviations, `--long=value`, `--`,
// and -i/--include's two values. Arguments are NUL-separated in the input. Every outcome must be
// a parse or a CommandLineError; a parse must account for the arguments it was given.
import Configuration
import FuzzKit

nonisolated(unsafe) private let parser = CommandLineParser()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCommandLine(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let arguments = bytes.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
    do {
        let parsed = try parser.parse(arguments)
        fuzzCheck(
            parsed.positionals.count + parsed.options.count + 2 * parsed.includes.count <= arguments.count
                + arguments.reduce(0) { $0 + $1.count },
            "more results than arguments")
        for positional in parsed.positionals {
            fuzzCheck(arguments.contains(positional), "positional '\(positional)' was not an argument")
        }
        _ = parsed.storedParameters
        for option in parsed.options {
            _ = parsed.values(of: option.spec.longNames.first ?? "")
            fuzzCheck(option.spec.takesValue == (option.value != nil), "option \(option.spelling): value presence is wrong")
        }
    } catch is CommandLineError {
    } catch {
        fuzzFailure("unexpected error type: \(error)")
    }
    return 0
}
