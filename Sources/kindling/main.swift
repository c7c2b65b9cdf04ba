import Foundation
import KindlingCore
import Support

#if canImport(Glibc)
import Glibc
#endif

// The arguments as bytes: a file name need not be UTF-8 (CommandLine.arguments would replace such bytes).
let arguments = (1..<Int(CommandLine.argc)).map { index in
    PathBytes.string(UnsafeBufferPointer(start: CommandLine.unsafeArgv[index], count: strlen(CommandLine.unsafeArgv[index]!))
        .map { UInt8(bitPattern: $0) })
}
exit(KindlingCommand.run(arguments: arguments, executable: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]))
