using System.Runtime.InteropServices;

namespace Loom.Client.Cli;

/// <summary>
/// Turns the first Ctrl-C (SIGINT) or SIGTERM into a cancelled token, so a command can cancel its job on the server
/// before it exits; a second Ctrl-C ends the process at once. Registered as POSIX signal handlers, which also replace
/// an inherited "ignore SIGINT" (what a non-interactive shell gives a command it starts in the background).
/// </summary>
internal sealed class Interrupt : IDisposable
{
    private readonly CancellationTokenSource _source = new();
    private readonly PosixSignalRegistration _sigint;
    private readonly PosixSignalRegistration _sigterm;

    public Interrupt()
    {
        _sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        _sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
    }

    /// <summary>Cancelled when the user interrupts.</summary>
    public CancellationToken Token => _source.Token;

    public void Dispose()
    {
        _sigint.Dispose();
        _sigterm.Dispose();
        _source.Dispose();
    }

    private void OnSignal(PosixSignalContext context)
    {
        if (context.Signal == PosixSignal.SIGINT && _source.IsCancellationRequested)
        {
            return; // the second Ctrl-C: the default action ends the process
        }
        context.Cancel = true;
        try
        {
            _source.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }
}
