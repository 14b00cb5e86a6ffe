namespace Loom.Client.Cli;

/// <summary>An error the user can act on: its message is printed as is and the process exits with <see cref="ExitCode"/>.</summary>
internal sealed class CliException(int exitCode, string message, string? field = null) : Exception(message)
{
    /// <summary>One of <see cref="ExitCodes"/>.</summary>
    public int ExitCode { get; } = exitCode;

    /// <summary>The option or manifest field at fault, if any.</summary>
    public string? Field { get; } = field;
}
