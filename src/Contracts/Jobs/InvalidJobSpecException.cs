namespace Loom.Contracts.Jobs;

/// <summary>A job spec was refused; <see cref="Field"/> names the offending field (snake_case, as in the API).</summary>
[GenerateSerializer, Alias("loom.invalid-job-spec")]
public sealed class InvalidJobSpecException : Exception
{
    /// <summary>Creates the error for <paramref name="field"/>.</summary>
    public InvalidJobSpecException(string field, string message)
        : base($"{field}: {message}")
    {
        Field = field;
        Reason = message;
    }

    /// <summary>The offending field.</summary>
    [Id(0)]
    public string Field { get; }

    /// <summary>What is wrong with it.</summary>
    [Id(1)]
    public string Reason { get; }
}
