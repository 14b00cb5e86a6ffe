using Loom.Grains.Storage;
using Microsoft.Extensions.Options;

namespace Loom.Silo;

/// <summary>Refuses <see cref="LoomResultsOptions"/> that cannot work, with the key named (checked at start).</summary>
public sealed class LoomResultsValidation : IValidateOptions<LoomResultsOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, LoomResultsOptions options)
        => options.Problem() is { } problem ? ValidateOptionsResult.Fail(problem) : ValidateOptionsResult.Success;
}
