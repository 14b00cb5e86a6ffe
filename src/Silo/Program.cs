using Loom.Silo;

// A Loom silo: Orleans, shards and the gRPC API. Configuration: appsettings.json, LOOM__* variables, --Loom:Key=value.
await LoomSiloHost.Build(args).RunAsync();
