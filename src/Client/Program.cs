// The `loom` CLI is built by issue 6; this project holds its place in the map.
Console.Error.WriteLine("loom: the CLI is not built yet (see the open issues).");
return 2;
