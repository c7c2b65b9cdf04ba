import Configuration

extension BuildConfiguration {
    /// What modules would see in bash: the settings' export.
    var variables: ShellVariables { settings?.exportedVariables ?? ShellVariables() }
}
