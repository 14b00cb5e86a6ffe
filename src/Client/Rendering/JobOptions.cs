using System.CommandLine;
using Loom.Protos.V1;

namespace Loom.Client.Rendering;

/// <summary>
/// The job parameters as render options. Each shows the physics model's default (the server's own), and only the
/// options given on the command line are sent: an unset field takes the server's default.
/// </summary>
internal sealed class JobOptions
{
    public Option<string> Model { get; } = new("--model") { Description = "Model name, as the silo's catalog knows it (embedded mode: or a model folder, e.g. a Wan folder).", DefaultValueFactory = _ => "physics" };

    public Option<int> Frames { get; } = new("--frames") { Description = "Frames of the video.", DefaultValueFactory = _ => 16 };

    public Option<int?> Height { get; } = new("--height") { Description = "Frame height in pixels (default: the model's; a model may accept only its own)." };

    public Option<int?> Width { get; } = new("--width") { Description = "Frame width in pixels (default: the model's; a model may accept only its own)." };

    public Option<int> Steps { get; } = new("--steps") { Description = "Sampling steps N.", DefaultValueFactory = _ => 12 };

    public Option<double> Shift { get; } = new("--shift") { Description = "Schedule shift k (s' = k s / (1 + (k - 1) s)).", DefaultValueFactory = _ => 1.0 };

    public Option<double[]> Guidance { get; } = new("--guidance")
    {
        Description = "Classifier-free guidance scale (1 = off); two values for Wan2.2 A14B's experts: high noise, then low noise (e.g. --guidance 4 3). Default: the model family's.",
        DefaultValueFactory = _ => [1.0],
        AllowMultipleArgumentsPerToken = true,
        Arity = new ArgumentArity(1, 2),
    };

    public Option<string> Size { get; } = new("--size") { Description = "Frame size WxH in pixels, e.g. 832x480 (the same as --width and --height)." };

    public Option<string> NegativePrompt { get; } = new("--negative-prompt") { Description = "What the unconditional branch steers away from (text-conditioned models; default: the family's, for Wan the official one)." };

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

    public IEnumerable<Option> All => [Model, Frames, Height, Width, Steps, Shift, Guidance, Plan, Tau, WindowLength, WindowOverlap, Join, Blend, Seed, Priority, Exact, Batched, Wire, CheckpointEvery, Prompt, Size, NegativePrompt];

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
        if (Given(parse, Guidance))
        {
            double[] guidance = parse.GetValue(Guidance)!;
            spec.Guidance = guidance[0];
            if (guidance.Length == 2) { spec.GuidanceLowNoise = guidance[1]; }
        }
        if (parse.GetValue(Size) is string size)
        {
            if (parse.GetValue(Height) is not null || parse.GetValue(Width) is not null)
            {
                throw new Cli.CliException(ExitCodes.Usage, "--size gives width and height; drop --width and --height, or --size.", "size");
            }
            (spec.Width, spec.Height) = ParseSize(size);
        }
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
        if (Given(parse, NegativePrompt)) { spec.NegativePrompt = parse.GetValue(NegativePrompt)!; }
        return spec;
    }

    /// <summary>Width and height of <c>WxH</c> (<c>832x480</c>).</summary>
    public static (int Width, int Height) ParseSize(string size)
    {
        string[] parts = size.ToLowerInvariant().Split('x');
        if (parts.Length != 2 || !int.TryParse(parts[0], out int width) || !int.TryParse(parts[1], out int height) || width < 1 || height < 1)
        {
            throw new Cli.CliException(ExitCodes.Usage, $"--size: expected WIDTHxHEIGHT in pixels, e.g. 832x480; got '{size}'.", "size");
        }
        return (width, height);
    }

    /// <summary>True when <paramref name="option"/> was on the command line (not its default).</summary>
    public static bool Given(ParseResult parse, Option option) => parse.GetResult(option) is { Implicit: false };
}
