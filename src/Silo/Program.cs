// The silo host (Orleans + gRPC + /metrics) is built by issue 5; this project holds its place in the map.
Console.Error.WriteLine("loom-silo: the cluster host is not built yet (see the open issues).");
return 2;
