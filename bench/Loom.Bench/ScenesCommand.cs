using Loom.Models.Physics;

namespace Loom.Bench;

/// <summary>Writes a PNG strip of simulated clips, one row per seed, to look at the data: <c>scenes --out f.png --count 8 --frames 16</c>.</summary>
public static class ScenesCommand
{
    /// <summary>Renders the strip and reports what it wrote.</summary>
    public static Task<BenchTable> RunAsync(BenchArguments args)
    {
        int count = args.Int("count", 8), frames = args.Int("frames", 16), first = args.Int("seed", 1);
        string path = args.Text("out", "scenes.png");
        var simulator = new PhysicsSimulator();
        var clips = Enumerable.Range(first, count).Select(s => simulator.Generate(s, frames)).ToArray();
        PngWriter.WriteStrip(path, clips.Select(c => c.Pixels).ToArray(), frames, simulator.Height, simulator.Width);
        var table = new BenchTable("scenes", new Dictionary<string, object> { ["out"] = path, ["frames"] = frames }, ["seed", "kind", "balls"]);
        foreach (PhysicsClip clip in clips)
        {
            table.Add(clip.Seed, clip.Kind.ToString(), clip.Balls.Count);
        }
        return Task.FromResult(table);
    }
}
