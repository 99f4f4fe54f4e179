using System.Collections.Generic;
using System.Net;
using System.Net.Sockets;

namespace AblyPgTyped.LocalPostgres;

/// <summary>Picks free loopback ports, never handing the same one out twice in this process.</summary>
internal static class FreePort
{
    private static readonly HashSet<int> HandedOut = new();
    private static readonly object Gate = new();

    public static int Pick()
    {
        lock (Gate)
        {
            while (true)
            {
                TcpListener listener = new(IPAddress.Loopback, 0);
                listener.Start();
                var port = ((IPEndPoint)listener.LocalEndpoint).Port;
                listener.Stop();
                if (HandedOut.Add(port))
                {
                    return port;
                }
            }
        }
    }
}
