using Loom.Grains.Configuration;
using Microsoft.Extensions.Options;

namespace Loom.Silo;

/// <summary>Checks at start that the TLS files named by <see cref="LoomTlsOptions"/> exist (reading them is Kestrel's, when it binds).</summary>
public sealed class LoomTlsOptionsValidator : IValidateOptions<LoomTlsOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, LoomTlsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        bool certificate = !string.IsNullOrWhiteSpace(options.CertificatePath);
        return new SettingChecks()
            .That(certificate || string.IsNullOrWhiteSpace(options.KeyPath),
                $"Loom:Tls:KeyPath is set ('{options.KeyPath}') without Loom:Tls:CertificatePath; allowed: a key only beside a certificate.")
            .That(!certificate || File.Exists(options.CertificatePath), $"Loom:Tls:CertificatePath: no file at '{options.CertificatePath}'; allowed: a PEM certificate file.")
            .That(string.IsNullOrEmpty(options.KeyPath) || File.Exists(options.KeyPath), $"Loom:Tls:KeyPath: no file at '{options.KeyPath}'; allowed: a PEM private key file.")
            .Result();
    }
}
