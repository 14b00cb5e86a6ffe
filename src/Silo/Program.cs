using Loom.Silo;
using Microsoft.Extensions.Hosting;

// A Loom silo: Orleans + shards. Configuration: appsettings.json, LOOM__* environment variables, --Loom:Key=value.
HostApplicationBuilder builder = Host.CreateApplicationBuilder(args);
builder.AddLoomSilo();
await builder.Build().RunAsync();
