/// An error that ends the build; its description is the one line the user sees.
public struct BuildError: Error, CustomStringConvertible, Equatable {
    public let description: String
    /// The process exit status dracut would use for the same failure.
    public let exitStatus: Int32

    public init(_ description: String, exitStatus: Int32 = 1) {
        self.description = description
        self.exitStatus = exitStatus
    }
}
