using System.Text.Json;

namespace Loom.EndToEnd.Tests;

/// <summary>
/// The one-command demo: <c>loom render</c> with no server boots a silo inside the CLI process and renders through it over
/// real gRPC. In the silo collection only so that it does not run beside the other silo tests on a 2-core machine.
/// </summary>
[Collection(SiloCollection.Name)]
public sealed class CliEmbeddedTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("loom-cli-embedded-").FullName;

    [Fact]
    public async Task Render_without_a_server_boots_an_embedded_silo_and_writes_the_video()
    {
        using LoomCli cli = LoomCli.Start(_folder, "render", "--scene", "0", "--steps", "2", "--plan", "1:1", "--out", "demo.gif");
        LoomResult run = await cli.WaitAsync(TimeSpan.FromMinutes(4));

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("starting an embedded silo", run.Stdout, StringComparison.Ordinal);
        Assert.Equal(new Ffprobe(16, 256, 256), await Ffprobe.ReadAsync(Path.Combine(_folder, "demo.gif")));
        JsonElement sidecar = JsonDocument.Parse(File.ReadAllText(Path.Combine(_folder, "demo.gif.json"))).RootElement;
        Assert.Equal("embedded", sidecar.GetProperty("server").GetString());
        Assert.Equal("completed", sidecar.GetProperty("state").GetString());
        Assert.Equal(2, sidecar.GetProperty("steps").GetProperty("done").GetInt32());
        Assert.True(sidecar.GetProperty("nfe").GetProperty("refine").GetInt64() > 0);
        // The embedded silo's data lived under a temporary folder that went away with it.
        Assert.Empty(Directory.GetDirectories(Path.GetTempPath(), $"loom-embedded-{cli.Id}-*"));
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);
}
