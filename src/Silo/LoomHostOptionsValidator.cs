using System.Net;
using Loom.Grains.Configuration;
using Microsoft.Extensions.Options;

namespace Loom.Silo;

/// <summary>The allowed range of every <see cref="LoomHostOptions"/> setting, checked once at start (<c>ValidateOnStart</c>).</summary>
public sealed class LoomHostOptionsValidator : IValidateOptions<LoomHostOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, LoomHostOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var checks = new SettingChecks()
            .NotEmpty("Loom:ClusterId", options.ClusterId)
            .NotEmpty("Loom:ServiceId", options.ServiceId)
            .Between("Loom:SiloPort", options.SiloPort, 1, 65535)
            .Between("Loom:GatewayPort", options.GatewayPort, 1, 65535)
            .Between("Loom:PrimarySiloPort", options.PrimarySiloPort, 0, 65535)
            .That(IPAddress.TryParse(options.AdvertisedIp, out _), $"Loom:AdvertisedIp is '{options.AdvertisedIp}'; allowed: an IPv4 or IPv6 address.")
            .NotEmpty("Loom:DataDirectory", options.DataDirectory)
            .Between("Loom:DrainTimeout", options.DrainTimeout, TimeSpan.Zero, TimeSpan.FromHours(1));
        if (!string.IsNullOrWhiteSpace(options.Redis))
        {
            try
            {
                StackExchange.Redis.ConfigurationOptions.Parse(options.Redis);
            }
            catch (ArgumentException e)
            {
                checks.That(false, $"Loom:Redis cannot be read ({e.Message}); allowed: a StackExchange.Redis connection string (host:port[,option=value...]), or empty for embedded mode.");
            }
        }
        return checks.Result();
    }
}
