namespace Loom.Client;

/// <summary>
/// Every exit code <c>loom</c> returns, in one place:
/// <list type="table">
/// <item><term>0</term><description><see cref="Ok"/>: the command did what was asked (a job completed, a batch had no failed item).</description></item>
/// <item><term>1</term><description><see cref="JobFailed"/>: a job failed or was cancelled by someone else, or a batch item failed.</description></item>
/// <item><term>2</term><description><see cref="Usage"/>: bad command line, bad input file, or the server refused a field (INVALID_ARGUMENT).</description></item>
/// <item><term>3</term><description><see cref="Unauthenticated"/>: the server wants a valid <c>--api-key</c>.</description></item>
/// <item><term>4</term><description><see cref="NotFound"/>: no such job (or the result is not there yet).</description></item>
/// <item><term>5</term><description><see cref="Unavailable"/>: the server could not be reached, or timed out, or the embedded silo did not start.</description></item>
/// <item><term>6</term><description><see cref="OutputFailed"/>: the job completed but its output could not be written (e.g. ffmpeg is missing for <c>.mp4</c>).</description></item>
/// <item><term>7</term><description><see cref="ModelInvalid"/>: a model folder is not a complete model, or a pulled file did not match the hub's checksum.</description></item>
/// <item><term>70</term><description><see cref="Internal"/>: any other server or client error.</description></item>
/// <item><term>130</term><description><see cref="Cancelled"/>: interrupted with Ctrl-C (the job was cancelled on the server).</description></item>
/// </list>
/// </summary>
public static class ExitCodes
{
    /// <summary>Success.</summary>
    public const int Ok = 0;

    /// <summary>A job (or a batch item) failed or was cancelled.</summary>
    public const int JobFailed = 1;

    /// <summary>Usage error or invalid argument, client- or server-side.</summary>
    public const int Usage = 2;

    /// <summary>Missing or wrong API key.</summary>
    public const int Unauthenticated = 3;

    /// <summary>No such job.</summary>
    public const int NotFound = 4;

    /// <summary>Server unreachable or too slow, or the embedded silo failed to start.</summary>
    public const int Unavailable = 5;

    /// <summary>The result could not be written in the asked format.</summary>
    public const int OutputFailed = 6;

    /// <summary>A model folder is incomplete or damaged, or a download did not match its checksum.</summary>
    public const int ModelInvalid = 7;

    /// <summary>An unexpected error.</summary>
    public const int Internal = 70;

    /// <summary>Interrupted by the user (Ctrl-C, SIGINT); 128 + 2 as shells report it.</summary>
    public const int Cancelled = 130;
}
