using System.Net;
using System.Net.Sockets;

namespace Loom.Silo;

/// <summary>
/// Finds, before a silo starts, a configured port another process already holds, and says which setting names it: one
/// line for the operator instead of the stack trace the host would log when the bind fails.
/// </summary>
public static class PortClash
{
    /// <summary>A one-line message for the first port in use among those the silo binds, or null when all are free.</summary>
    public static string? Find(LoomHostOptions host, LoomApiOptions api)
    {
        ArgumentNullException.ThrowIfNull(host);
        ArgumentNullException.ThrowIfNull(api);
        (string Setting, int Port)[] ports =
        [
            ("Loom:GrpcPort", api.GrpcPort),
            ("Loom:MetricsPort", api.ServedMetricsPort),
            ("Loom:SiloPort", host.SiloPort),
            ("Loom:GatewayPort", host.GatewayPort),
        ];
        foreach (var (setting, port) in ports.Where(p => p.Port > 0))
        {
            if (InUse(port))
            {
                return $"port {port} ({setting}) is already in use by another process: stop it, or give this silo another port (--{setting}=N or LOOM__{setting.Split(':')[1].ToUpperInvariant()}=N).";
            }
        }
        return null;
    }

    private static bool InUse(int port)
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            probe.Bind(new IPEndPoint(IPAddress.Any, port));
            return false;
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.AddressAlreadyInUse or SocketError.AccessDenied)
        {
            return true;
        }
    }
}
