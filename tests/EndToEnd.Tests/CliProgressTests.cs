using System.Text.Json;
using System.Text.RegularExpressions;

namespace Loom.EndToEnd.Tests;

/// <summary>Progress that tells the truth, as the real CLI prints it: ETA from measured step times, windows in one line, chained jobs' refinement.</summary>
[Collection(SiloCollection.Name)]
public sealed partial class CliProgressTests(SiloFixture silo) : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("loom-cli-progress-").FullName;

    [Fact]
    public async Task A_chained_render_prints_steps_with_an_eta_one_windows_summary_and_its_refinement_in_the_sidecar()
    {
        LoomResult run = await LoomCli.RunAsync(_folder, "render", "--server", silo.GrpcAddress, "--join", "chained", "--frames", "14", "--window-length", "6",
            "--window-overlap", "2", "--steps", "24", "--plan", "1-2:1", "--tau", "1000", "--seed", "21", "--out", "chained.safetensors");

        Assert.True(run.ExitCode == 0, run.ToString());
        string[] lines = run.Stdout.Split('\n');
        // Steps move while it runs (they used to jump from 0 to the end), and once a step was timed there is an ETA.
        Assert.True(lines.Count(l => StepLine().IsMatch(l)) >= 2, run.Stdout);
        Assert.Contains(lines, l => EtaLine().IsMatch(l));
        Assert.Contains(lines, l => l.Contains("completed: 24 steps", StringComparison.Ordinal) && l.Contains("; 3 windows: evals ", StringComparison.Ordinal));
        Assert.DoesNotContain(lines, l => l.Contains("window 1 (frames", StringComparison.Ordinal)); // no row per window

        JsonElement sidecar = JsonDocument.Parse(File.ReadAllText(Path.Combine(_folder, "chained.safetensors.json"))).RootElement;
        Assert.Equal(6, sidecar.GetProperty("nfe").GetProperty("refine").GetInt64()); // 3 windows refined at steps 1 and 2
        double[] certain = [.. sidecar.GetProperty("certain_fractions").EnumerateArray().Select(f => f.GetDouble())];
        Assert.Equal(24, certain.Length);
        Assert.Equal([0.0, 1.0, 1.0, 0.0], certain[..4]);
        Assert.Equal(24, sidecar.GetProperty("steps").GetProperty("done").GetInt32());
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [GeneratedRegex(@"step \d+/24 ")]
    private static partial Regex StepLine();

    [GeneratedRegex(@"step \d+/24 .* \d+\.\d\d s/step, ETA \d+")]
    private static partial Regex EtaLine();
}
