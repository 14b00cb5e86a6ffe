using Loom.Silo;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

// A Loom silo: Orleans, shards and the gRPC API. Configuration: appsettings.json beside this program, LOOM__* variables,
// --Loom:Key=value. A port another process holds is one line naming the port and its setting, exit code 2.
var app = LoomSiloHost.Build(args);
if (PortClash.Find(app.Services.GetRequiredService<IOptions<LoomHostOptions>>().Value) is { } clash)
{
    Console.Error.WriteLine($"loom-silo: {clash}");
    return 2;
}
await app.RunAsync();
return 0;
