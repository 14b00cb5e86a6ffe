using System.Security.Cryptography.X509Certificates;

namespace Loom.Silo;

/// <summary>TLS for the gRPC API (configuration <c>Loom:Tls</c>): a PEM certificate and its key, so keys never travel in clear.</summary>
public sealed class LoomTlsOptions
{
    /// <summary>PEM certificate (chain) file; empty: the API speaks HTTP/2 without TLS.</summary>
    public string CertificatePath { get; set; } = "";

    /// <summary>PEM private key file; empty: the key is in <see cref="CertificatePath"/>.</summary>
    public string KeyPath { get; set; } = "";

    /// <summary>The certificate with its key, or null without <see cref="CertificatePath"/>; a missing or unreadable file is named.</summary>
    public X509Certificate2? Load()
    {
        if (string.IsNullOrWhiteSpace(CertificatePath))
        {
            return null;
        }
        foreach ((string name, string path) in new[] { ("CertificatePath", CertificatePath), ("KeyPath", KeyPath) })
        {
            if (path.Length > 0 && !File.Exists(path))
            {
                throw new InvalidOperationException($"Loom:Tls:{name}: no file at '{path}'.");
            }
        }
        try
        {
            return X509Certificate2.CreateFromPemFile(CertificatePath, KeyPath.Length > 0 ? KeyPath : null);
        }
        catch (System.Security.Cryptography.CryptographicException e)
        {
            throw new InvalidOperationException($"Loom:Tls: cannot read the certificate '{CertificatePath}' with its key{(KeyPath.Length > 0 ? $" '{KeyPath}'" : "")}: {e.Message}", e);
        }
    }
}
