// The engine's side of the shim protocol: NUL-terminated fields (KIND, COUNT, then COUNT fields)
// arriving over a pipe in whatever pieces the kernel delivers. Decoding must not depend on
// where the stream was cut, and a malformed stream must give a ShellProtocolError.
@testable import ShellBridge
import FuzzKit

private enum Outcome: Equatable {
    case message(ShellMessage)
    case failure(String)
}

/// Every message the stream holds, feeding it in `pieces`; stops at the first error.
private func decode(_ stream: [UInt8], pieces: [Int]) -> [Outcome] {
    var decoder = ShellMessageDecoder()
    var outcomes: [Outcome] = []
    var start = 0
    for end in pieces + [stream.count] where end >= start {
        decoder.append(stream[start..<end])
        start = end
        do {
            while let message = try decoder.nextMessage() { outcomes.append(.message(message)) }
        } catch let error as ShellProtocolError {
            outcomes.append(.failure(error.description))
            return outcomes
        } catch {
            fuzzFailure("unexpected error type: \(error)")
        }
    }
    return outcomes
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzShellMessages(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    var input = FuzzInput(data, size)
    let cutCount = input.int(in: 0...8)
    let cuts = (0..<cutCount).map { _ in Int(input.uint16()) }
    let stream = input.rest()
    let whole = decode(stream, pieces: [])
    let cut = decode(stream, pieces: cuts.map { $0 % (stream.count + 1) }.sorted())
    fuzzCheck(whole == cut, "decoding depends on where the stream is cut: \(whole) vs \(cut)")
    return 0
}
