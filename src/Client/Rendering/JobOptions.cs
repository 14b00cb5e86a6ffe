using System.CommandLine;
using Loom.Protos.V1;

namespace Loom.Client.Rendering;

/// <summary>
/// The job parameters as render options. Each shows the physics model's default (the server's own), and only the
/// options given on the command line are sent: an unset field takes the server's default.
/// </summary>
internal sealed class JobOptions
{
    public Option<string> Model { get; } = new("--model") { Description = "Model name, as the silo's catalog knows it.", DefaultValueFactory = _ => "physics" };

    public Option<int> Frames { get; } = new("--frames") { Description = "Frames of the video.", DefaultValueFactory = _ => 16 };

    public Option<int?> Height { get; } = new("--height") { Description = "Frame height in pixels (default: the model's; a model may accept only its own)." };

    public Option<int?> Width { get; } = new("--width") { Description = "Frame width in pixels (default: the model's; a model may accept only its own)." };

    public Option<int> Steps { get; } = new("--steps") { Description = "Sampling steps N.", DefaultValueFactory = _ => 12 };

    public Option<double> Shift { get; } = new("--shift") { Description = "Schedule shift k (s' = k s / (1 + (k - 1) s)).", DefaultValueFactory = _ => 1.0 };

    public Option<double> Guidance { get; } = new("--guidance") { Description = "Classifier-free guidance scale (1 = off).", DefaultValueFactory = _ => 1.0 };

    public Option<string> Plan { get; } = new("--plan") { Description = "Refinement plan: step ranges and extra predictions, e.g. 1-4:2 or 2-5:3,6-13:1; 'none' for plain Euler.", DefaultValueFactory = _ => "1-4:2" };

    public Option<double> Tau { get; } = new("--tau") { Description = "Uncertainty threshold: cells whose predictions move less are frozen (0 = plain P&P).", DefaultValueFactory = _ => 0.1 };

    public Option<int> WindowLength { get; } = new("--window-length") { Description = "Frames per temporal window.", DefaultValueFactory = _ => 16 };

    public Option<int> WindowOverlap { get; } = new("--window-overlap") { Description = "Frames shared by neighbouring windows.", DefaultValueFactory = _ => 4 };

    public Option<string> Join { get; } = new("--join") { Description = "How windows are joined.", DefaultValueFactory = _ => "co-denoise" };

    public Option<string> Blend { get; } = new("--blend") { Description = "Fusion weights across window overlaps.", DefaultValueFactory = _ => "linear" };

    public Option<long> Seed { get; } = new("--seed") { Description = "Noise seed: the same spec and seed give the same video, bit for bit.", DefaultValueFactory = _ => 0L };

    public Option<int> Priority { get; } = new("--priority") { Description = "Admission priority: higher starts first.", DefaultValueFactory = _ => 0 };

    public Option<bool> Exact { get; } = new("--exact") { Description = "Never batch with other jobs' windows, so the output is bit-reproducible (the default).", Arity = ArgumentArity.Zero };

    public Option<bool> Batched { get; } = new("--batched") { Description = "Allow batching with other jobs' windows: more throughput, not bit-reproducible.", Arity = ArgumentArity.Zero };

    public Option<string> Wire { get; } = new("--wire") { Description = "Precision of latents between the job and its shards: fp16 (half the bytes, the same bits wherever windows run) or fp32 (shards see the exact latent).", DefaultValueFactory = _ => "fp16" };

    public Option<int> CheckpointEvery { get; } = new("--checkpoint-every") { Description = "Steps between latent checkpoints.", DefaultValueFactory = _ => 1 };

    public Option<string> Prompt { get; } = new("--prompt") { Description = "Text prompt (text-conditioned models only)." };

    public JobOptions()
    {
        Join.AcceptOnlyFromAmong([.. SpecNames.Joins.Keys]);
        Blend.AcceptOnlyFromAmong([.. SpecNames.Blends.Keys]);
        Wire.AcceptOnlyFromAmong([.. SpecNames.Wires.Keys]);
    }

    public IEnumerable<Option> All => [Model, Frames, Height, Width, Steps, Shift, Guidance, Plan, Tau, WindowLength, WindowOverlap, Join, Blend, Seed, Priority, Exact, Batched, Wire, CheckpointEvery, Prompt];

    /// <summary>A spec with exactly the options given on the command line set.</summary>
    public JobSpec SpecFrom(ParseResult parse)
    {
        var spec = new JobSpec();
        if (Given(parse, Model)) { spec.Model = parse.GetValue(Model)!; }
        if (Given(parse, Frames)) { spec.Frames = parse.GetValue(Frames); }
        if (parse.GetValue(Height) is int height) { spec.Height = height; }
        if (parse.GetValue(Width) is int width) { spec.Width = width; }
        if (Given(parse, Steps)) { spec.Steps = parse.GetValue(Steps); }
        if (Given(parse, Shift)) { spec.Shift = parse.GetValue(Shift); }
        if (Given(parse, Guidance)) { spec.Guidance = parse.GetValue(Guidance); }
        if (Given(parse, Plan)) { spec.Plan = parse.GetValue(Plan)!; }
        if (Given(parse, Tau)) { spec.Tau = parse.GetValue(Tau); }
        if (Given(parse, WindowLength)) { spec.WindowLength = parse.GetValue(WindowLength); }
        if (Given(parse, WindowOverlap)) { spec.WindowOverlap = parse.GetValue(WindowOverlap); }
        if (Given(parse, Join)) { spec.Join = SpecNames.Joins[parse.GetValue(Join)!]; }
        if (Given(parse, Blend)) { spec.Blend = SpecNames.Blends[parse.GetValue(Blend)!]; }
        if (Given(parse, Seed)) { spec.Seed = parse.GetValue(Seed); }
        if (Given(parse, Priority)) { spec.Priority = parse.GetValue(Priority); }
        if (Given(parse, Exact) && Given(parse, Batched))
        {
            throw new Cli.CliException(ExitCodes.Usage, "--exact and --batched contradict each other; give one.", "exact");
        }
        if (Given(parse, Exact)) { spec.Exact = true; }
        if (Given(parse, Batched)) { spec.Exact = false; }
        if (Given(parse, Wire)) { spec.Wire = SpecNames.Wires[parse.GetValue(Wire)!]; }
        if (Given(parse, CheckpointEvery)) { spec.CheckpointEvery = parse.GetValue(CheckpointEvery); }
        if (Given(parse, Prompt)) { spec.Prompt = parse.GetValue(Prompt)!; }
        return spec;
    }

    /// <summary>True when <paramref name="option"/> was on the command line (not its default).</summary>
    public static bool Given(ParseResult parse, Option option) => parse.GetResult(option) is { Implicit: false };
}
