using Loom.Silo;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

// A Loom silo: Orleans, shards and the gRPC API. Configuration: appsettings.json beside this program, LOOM__* variables,
// --Loom:Key=value. A port another process holds, or a setting out of its range, is one line naming the setting, exit code 2.
try
{
    var app = LoomSiloHost.Build(args);
    if (PortClash.Find(app.Services.GetRequiredService<IOptions<LoomHostOptions>>().Value, app.Services.GetRequiredService<IOptions<LoomApiOptions>>().Value) is { } clash)
    {
        Console.Error.WriteLine($"loom-silo: {clash}");
        return 2;
    }
    await app.RunAsync();
    return 0;
}
catch (Exception e) when (InvalidSettings.Describe(e) is { } refused)
{
    Console.Error.WriteLine($"loom-silo: {refused}");
    return 2;
}
