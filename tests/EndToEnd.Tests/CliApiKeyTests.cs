namespace Loom.EndToEnd.Tests;

/// <summary><c>--api-key</c> (and <c>LOOM_API_KEY</c>) reach a silo that wants keys as <c>x-api-key</c>; a missing or wrong one exits 3.</summary>
[Collection(SiloCollection.Name)]
public sealed class CliApiKeyTests(KeyedSiloFixture silo) : IClassFixture<KeyedSiloFixture>, IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("loom-cli-keys-").FullName;

    [Fact]
    public async Task A_known_key_is_let_in_and_a_missing_or_wrong_one_exits_3()
    {
        LoomResult none = await LoomCli.RunAsync(_folder, "cluster", "--server", silo.GrpcAddress);
        LoomResult wrong = await LoomCli.RunAsync(_folder, "list", "--server", silo.GrpcAddress, "--api-key", "not-a-key");
        LoomResult render = await LoomCli.RunAsync(_folder, "render", "--server", silo.GrpcAddress, "--api-key", "not-a-key", "--steps", "1", "--out", "x.mp4");
        LoomResult known = await LoomCli.RunAsync(_folder, "list", "--server", silo.GrpcAddress, "--api-key", KeyedSiloFixture.Keys[1], "--json");

        Assert.True(none.ExitCode == 3, none.ToString());
        Assert.Contains("unauthenticated", none.Stderr, StringComparison.Ordinal);
        Assert.True(wrong.ExitCode == 3, wrong.ToString());
        Assert.True(render.ExitCode == 3, render.ToString());
        Assert.False(File.Exists(Path.Combine(_folder, "x.mp4")));
        Assert.True(known.ExitCode == 0, known.ToString());
        Assert.True(Assert.Single(known.JsonLines).GetProperty("total").GetInt32() >= 0);
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
