// ConfigEvaluator.decode, which turns the NUL-separated records the config-reading bash prints
// (S name value | A name count items | H name count key value ...) back into variables; and
// what the engine does with them next: declarations, words and elements.
@testable import Configuration
import FuzzKit

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfigRecords(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let variables: ShellVariables
    do {
        variables = try ConfigEvaluator.decode(bytes)
    } catch is ConfigError {
        return 0
    } catch {
        fuzzFailure("unexpected error type: \(error)")
    }
    _ = variables.declarations
    for name in variables.values.keys {
        _ = variables.words(name)
        _ = variables.elements(name)
        _ = variables.has(name)
    }
    return 0
}
