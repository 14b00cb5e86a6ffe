using System.Net;
using System.Net.Sockets;

namespace Loom.Cluster.Tests;

/// <summary>Free loopback ports.</summary>
internal static class Ports
{
    private static int _next = 20000 + Environment.ProcessId % 20000;

    /// <summary>A port nothing listens on now (and that this process has not handed out before).</summary>
    public static int Free()
    {
        while (true)
        {
            int port = Interlocked.Increment(ref _next);
            if (port > 60000)
            {
                Interlocked.Exchange(ref _next, 20000);
                continue;
            }
            try
            {
                var listener = new TcpListener(IPAddress.Loopback, port);
                listener.Start();
                listener.Stop();
                return port;
            }
            catch (SocketException)
            {
            }
        }
    }
}
