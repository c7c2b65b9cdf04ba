import KindlingCore
import Support

#if canImport(Glibc)
import Glibc
#endif

// First: a closed standard descriptor would otherwise be the next file opened, and get the log.
reopenClosedStandardDescriptors()
// A reader that died (the module shell, a compressor) must fail the write with EPIPE, which the
// build reports and cleans up after, not kill it with SIGPIPE on the spot. Children get the
// default back (Subprocess resets it).
signal(SIGPIPE, SIG_IGN)
// The arguments as bytes (a file name need not be UTF-8), read without /proc.
let commandLine = ProcessArguments.bytes.map(PathBytes.string)
guard !commandLine.isEmpty,
    let executable = ProcessArguments.executablePath(argumentZero: commandLine.first)
else {
    writeStandardError("kindling: cannot read the command line\n")
    exit(1)
}
exit(KindlingCommand.run(arguments: Array(commandLine.dropFirst()), executable: executable))
