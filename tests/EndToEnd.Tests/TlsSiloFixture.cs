using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Loom.EndToEnd.Tests;

/// <summary>
/// A silo serving its API over TLS (<c>Loom:Tls:CertificatePath</c> and <c>KeyPath</c>) with a self-signed certificate
/// made for the test (written to its data directory, deleted with it), and one API key; the fixture's channel trusts exactly that certificate.
/// </summary>
public sealed class TlsSiloFixture : SiloFixture
{
    /// <summary>The key the fixture's calls send.</summary>
    public const string Key = "e2e-tls-key";

    /// <summary>Makes the certificate (CN=localhost, for 127.0.0.1 and localhost) and writes it and its key as PEM.</summary>
    public TlsSiloFixture()
    {
        ApiKey = Key;
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest("CN=localhost", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        using X509Certificate2 certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-5), DateTimeOffset.UtcNow.AddDays(1));
        Thumbprint = certificate.Thumbprint;
        File.WriteAllText(CertificatePath, certificate.ExportCertificatePem());
        File.WriteAllText(KeyPath, rsa.ExportPkcs8PrivateKeyPem());
    }

    /// <summary>SHA-1 thumbprint of the silo's certificate.</summary>
    public string Thumbprint { get; }

    /// <summary>The PEM certificate.</summary>
    public string CertificatePath => Path.Combine(DataDirectory, "api.crt");

    /// <summary>The PEM private key.</summary>
    public string KeyPath => Path.Combine(DataDirectory, "api.key");

    /// <inheritdoc />
    protected override string Scheme => "https";

    /// <inheritdoc />
    protected override HttpMessageHandler? Handler => Trusting(Thumbprint);

    /// <inheritdoc />
    protected override IEnumerable<string> ExtraSettings => [$"Tls:CertificatePath={CertificatePath}", $"Tls:KeyPath={KeyPath}", $"ApiKeys:0={Key}"];

    /// <summary>A handler that accepts only the certificate with <paramref name="thumbprint"/>.</summary>
    public static SocketsHttpHandler Trusting(string thumbprint) => new()
    {
        SslOptions = new SslClientAuthenticationOptions
        {
            RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate is X509Certificate2 c && c.Thumbprint == thumbprint,
        },
    };
}
