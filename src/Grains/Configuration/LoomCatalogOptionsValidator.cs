using Microsoft.Extensions.Options;

namespace Loom.Grains.Configuration;

/// <summary>
/// Checks <see cref="LoomCatalogOptions"/> once at start (<c>ValidateOnStart</c>). Entries of <c>Loom:Models</c> are
/// checked by the catalog as it scans them (a bad one is skipped with its reason, the others are served).
/// </summary>
public sealed class LoomCatalogOptionsValidator : IValidateOptions<LoomCatalogOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, LoomCatalogOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new SettingChecks().NotEmpty("Loom:ModelDirectory", options.ModelDirectory).Result();
    }
}
