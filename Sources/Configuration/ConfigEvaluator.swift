#if canImport(Glibc)
import Glibc
#endif
import Support

public struct ConfigError: Error, CustomStringConvertible, Equatable {
    public let description: String
}

/// Sources dracut config files, which are bash, in one bash run and reads the variables back.
public struct ConfigEvaluator {
    /// The script: remember bash's own variables, set the presets, source each file, then print
    /// every other variable as NUL-separated records (S name value | A name count items | H name count k v...).
    /// On descriptor 4 it names each file before sourcing it, and writes "end" once all is printed:
    /// without it the run ended early, and the last name is the file that ended it. `return` in a
    /// file ends that file only, as in dracut, which sources them in its own shell. After each file,
    /// "set NAME" on descriptor 4 says that the file changed NAME, one of $KINDLING_WATCH, so a
    /// refusal can name the file that asked.
    static let script = #"""
        declare -A __kindling_builtin=()
        for __kindling_v in $(compgen -v); do __kindling_builtin[$__kindling_v]=1; done
        eval "$KINDLING_PRESETS"
        unset KINDLING_PRESETS
        __kindling_watch=$KINDLING_WATCH
        unset KINDLING_WATCH
        declare -A __kindling_was=()
        for __kindling_w in $__kindling_watch; do __kindling_was[$__kindling_w]=${!__kindling_w+set:${!__kindling_w}}; done
        for __kindling_f in "$@"; do
            builtin printf 'file %s\0' "$__kindling_f" >&4
            . "$__kindling_f"
            for __kindling_w in $__kindling_watch; do
                __kindling_now=${!__kindling_w+set:${!__kindling_w}}
                [[ $__kindling_now == "${__kindling_was[$__kindling_w]}" ]] && continue
                __kindling_was[$__kindling_w]=$__kindling_now
                builtin printf 'set %s\0' "$__kindling_w" >&4
            done
        done
        for __kindling_v in $(compgen -v); do
            [[ -n ${__kindling_builtin[$__kindling_v]+x} || $__kindling_v == __kindling_* ]] && continue
            case ${!__kindling_v@a} in
                *A*)
                    declare -n __kindling_ref=$__kindling_v
                    printf '%s\0' H "$__kindling_v" "${#__kindling_ref[@]}" >&3
                    for __kindling_k in "${!__kindling_ref[@]}"; do
                        printf '%s\0' "$__kindling_k" "${__kindling_ref[$__kindling_k]}" >&3
                    done
                    unset -n __kindling_ref ;;
                *a*)
                    declare -n __kindling_ref=$__kindling_v
                    printf '%s\0' A "$__kindling_v" "${#__kindling_ref[@]}" "${__kindling_ref[@]}" >&3
                    unset -n __kindling_ref ;;
                *) printf '%s\0' S "$__kindling_v" "${!__kindling_v}" >&3 ;;
            esac
        done
        builtin printf 'end\0' >&4
        """#

    public init() {}

    /// - Parameters:
    ///   - files: sourced in order.
    ///   - presets: variables set before the first file (dracut sets a few options that early).
    public func evaluate(files: [String], presets: ShellVariables, logger: Logger) throws -> ShellVariables {
        try read(files: files, presets: presets, watching: [], logger: logger).variables
    }

    /// The variables the files leave, and for each name of `watched` that a file changed, the
    /// last file that changed it. Files of plain assignments alone are read here; any other
    /// sends the whole reading to bash.
    public func read(
        files: [String], presets: ShellVariables, watching watched: [String], logger: Logger
    ) throws -> (variables: ShellVariables, origins: [String: String]) {
        if let plain = PlainAssignments.read(files: files, presets: presets, watching: watched) { return plain }
        return try readWithBash(files: files, presets: presets, watching: watched, logger: logger)
    }

    func readWithBash(
        files: [String], presets: ShellVariables, watching watched: [String], logger: Logger
    ) throws -> (variables: ShellVariables, origins: [String: String]) {
        let resultPipe = try makePipe()
        var environment = [
            "PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL": "C",
            "KINDLING_PRESETS": presets.declarations, "KINDLING_WATCH": watched.joined(separator: " "),
        ]
        if let home = currentEnvironment()["HOME"] { environment["HOME"] = home }
        let devNull = try openEmptyInput()
        defer { close(devNull) }
        let errorPipe = try makePipe(), progressPipe = try makePipe()
        let child = try ChildProcess(
            executable: "/bin/bash", arguments: ["--noprofile", "--norc", "-c", Self.script, "kindling-config"] + files,
            environment: environment,
            descriptors: [0: devNull, 1: errorPipe[1], 2: errorPipe[1], 3: resultPipe[1], 4: progressPipe[1]])
        close(resultPipe[1]); close(errorPipe[1]); close(progressPipe[1])
        // Not until the pipes close: a file that starts a background job (`sleep 100 &`) leaves
        // them open in it; bash's own end is what counts.
        let outputs = readUntilExit(of: child, from: [resultPipe[0], errorPipe[0], progressPipe[0]])
        for fd in [resultPipe[0], errorPipe[0], progressPipe[0]] { close(fd) }
        let status = child.wait()
        for line in PathBytes.string(outputs[1]).split(separator: "\n") {
            logger.warning("config: \(line)")
        }
        let progress = outputs[2].split(separator: 0).map { PathBytes.string($0) }
        guard progress.last == "end" else {
            // exit, exec or a fatal error in a file: the options after that point would be lost.
            let file = progress.last { $0.hasPrefix("file ") }.map { "configuration file \($0.dropFirst(5))" }
            throw ConfigError(
                description: "\(file ?? "the configuration reader") ended the reading of the configuration "
                    + "early (exit, exec or a fatal error; bash exited with status \(status))")
        }
        guard status == 0 else {
            throw ConfigError(description: "reading the configuration failed (bash exited with status \(status)) in \(files.joined(separator: ", "))")
        }
        var origins: [String: String] = [:]
        var current = ""
        for record in progress {
            if record.hasPrefix("file ") { current = String(record.dropFirst(5)) }
            if record.hasPrefix("set ") { origins[String(record.dropFirst(4))] = current }
        }
        return (try Self.decode(outputs[0]), origins)
    }

    static func decode(_ bytes: [UInt8]) throws -> ShellVariables {
        // Values are bytes, as in dracut: a file name that is not UTF-8 is carried through PathBytes,
        // never replaced by U+FFFD (which would name another file, silently not installed).
        let fields = bytes.split(separator: 0, omittingEmptySubsequences: false).map { PathBytes.string($0) }
        var variables = ShellVariables()
        var index = 0
        func take() throws -> String {
            guard index < fields.count else { throw ConfigError(description: "configuration reader: truncated output") }
            defer { index += 1 }
            return fields[index]
        }
        // A count no larger than the fields left: a broken reader must not make us reserve for it.
        func takeCount() throws -> Int {
            guard let count = Int(try take()), count >= 0, count <= fields.count - index else {
                throw ConfigError(description: "configuration reader: bad count")
            }
            return count
        }
        while index < fields.count - 1 {
            let kind = try take(), name = try take()
            switch kind {
            case "S":
                variables.set(name, .scalar(try take()))
            case "A":
                let count = try takeCount()
                var items: [String] = []
                for _ in 0..<count { items.append(try take()) }
                variables.set(name, .array(items))
            case "H":
                let count = try takeCount()
                var values: [String: String] = [:]
                for _ in 0..<count { values[try take()] = try take() }
                variables.set(name, .associative(values))
            default:
                throw ConfigError(description: "configuration reader: unexpected record '\(kind)'")
            }
        }
        return variables
    }
}
