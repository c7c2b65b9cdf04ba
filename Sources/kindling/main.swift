import Foundation
import KindlingCore

#if canImport(Glibc)
import Glibc
#endif

exit(KindlingCommand.run(arguments: Array(CommandLine.arguments.dropFirst()), executable: (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]))
