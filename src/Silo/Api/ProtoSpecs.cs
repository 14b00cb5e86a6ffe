using Google.Protobuf;
using Loom.Contracts.Jobs;
using Loom.Contracts.Shards;
using Loom.Grains.Jobs;
using Proto = Loom.Protos.V1;

namespace Loom.Silo.Api;

/// <summary>
/// Job specs between the API and the grains. An unset proto field takes the <see cref="JobSpec"/> default (height and
/// width: the model's own); a set field is passed on as given, for the validator to judge.
/// </summary>
public static class ProtoSpecs
{
    /// <summary>The grain spec for <paramref name="spec"/> (null: every default).</summary>
    /// <exception cref="InvalidJobSpecException">An enum value this API does not define.</exception>
    public static JobSpec FromProto(Proto.JobSpec? spec, IReadOnlyDictionary<string, ModelShape> models)
    {
        spec ??= new Proto.JobSpec();
        string model = spec.HasModel ? spec.Model : new JobSpec().Model;
        JobSpec d = JobDefaults.For(models.GetValueOrDefault(model));
        return new JobSpec(
            Model: model,
            Frames: spec.HasFrames ? spec.Frames : d.Frames,
            Height: spec.HasHeight ? spec.Height : d.Height,
            Width: spec.HasWidth ? spec.Width : d.Width,
            Steps: spec.HasSteps ? spec.Steps : d.Steps,
            Shift: spec.HasShift ? spec.Shift : d.Shift,
            Guidance: spec.HasGuidance ? spec.Guidance : d.Guidance,
            Plan: spec.HasPlan ? spec.Plan : d.Plan,
            Tau: spec.HasTau ? spec.Tau : d.Tau,
            WindowLength: spec.HasWindowLength ? spec.WindowLength : d.WindowLength,
            WindowOverlap: spec.HasWindowOverlap ? spec.WindowOverlap : d.WindowOverlap,
            Join: spec.HasJoin ? Join(spec.Join) ?? d.Join : d.Join,
            Seed: spec.HasSeed ? spec.Seed : d.Seed,
            Priority: spec.HasPriority ? spec.Priority : d.Priority,
            Output: spec.HasOutput ? spec.Output : d.Output,
            Conditioning: spec.Conditioning is { } given ? new GivenFrames(given.Count, given.Rgb.ToByteArray()) : null,
            CheckpointEvery: spec.HasCheckpointEvery ? spec.CheckpointEvery : d.CheckpointEvery,
            Blend: spec.HasBlend ? Blend(spec.Blend) ?? d.Blend : d.Blend,
            Exact: spec.HasExact ? spec.Exact : d.Exact,
            Prompt: spec.HasPrompt ? spec.Prompt : d.Prompt,
            Wire: spec.HasWire ? Wire(spec.Wire) ?? d.Wire : d.Wire,
            NegativePrompt: spec.HasNegativePrompt ? spec.NegativePrompt : d.NegativePrompt,
            Image: spec.HasImage ? spec.Image.ToByteArray() : null,
            // One guidance given for a two-expert model is both experts' (as the in-process pipeline reads one value).
            GuidanceLowNoise: spec.HasGuidanceLowNoise ? spec.GuidanceLowNoise : spec.HasGuidance ? null : d.GuidanceLowNoise,
            Family: d.Family);
    }

    /// <summary>
    /// The effective spec with every field set. Conditioning frames are not echoed (a job is sent with every watch
    /// event): only their count, with empty <c>rgb</c>; an image-to-video image is not echoed either (the submitter has it).
    /// </summary>
    public static Proto.JobSpec ToProto(JobSpec spec)
    {
        var proto = new Proto.JobSpec
        {
            Model = spec.Model,
            Frames = spec.Frames,
            Height = spec.Height,
            Width = spec.Width,
            Steps = spec.Steps,
            Shift = spec.Shift,
            Guidance = spec.Guidance,
            Plan = spec.Plan,
            Tau = spec.Tau,
            WindowLength = spec.WindowLength,
            WindowOverlap = spec.WindowOverlap,
            Join = spec.Join switch
            {
                WindowJoin.Independent => Proto.WindowJoin.Independent,
                WindowJoin.Chained => Proto.WindowJoin.Chained,
                _ => Proto.WindowJoin.CoDenoise,
            },
            Blend = spec.Blend switch
            {
                WindowBlend.Uniform => Proto.WindowBlend.Uniform,
                WindowBlend.Pyramid => Proto.WindowBlend.Pyramid,
                _ => Proto.WindowBlend.Linear,
            },
            Seed = spec.Seed,
            Priority = spec.Priority,
            Output = spec.Output,
            CheckpointEvery = spec.CheckpointEvery,
            Exact = spec.Exact,
            Prompt = spec.Prompt ?? "",
            Wire = spec.Wire == WirePrecision.Float32 ? Proto.WirePrecision.Fp32 : Proto.WirePrecision.Fp16,
            Conditioning = spec.Conditioning is { } given ? new Proto.Conditioning { Count = given.Count, Rgb = ByteString.Empty } : null,
            NegativePrompt = spec.NegativePrompt ?? "",
        };
        if (spec.GuidanceLowNoise is double low)
        {
            proto.GuidanceLowNoise = low;
        }
        return proto;
    }

    /// <summary>Null for UNSPECIFIED (the default applies).</summary>
    private static WindowJoin? Join(Proto.WindowJoin join) => join switch
    {
        Proto.WindowJoin.Unspecified => null,
        Proto.WindowJoin.CoDenoise => WindowJoin.CoDenoise,
        Proto.WindowJoin.Independent => WindowJoin.Independent,
        Proto.WindowJoin.Chained => WindowJoin.Chained,
        _ => throw new InvalidJobSpecException("join", $"unknown join {(int)join}; use co-denoise (1), independent (2) or chained (3)."),
    };

    /// <summary>Null for UNSPECIFIED (the default applies).</summary>
    private static WindowBlend? Blend(Proto.WindowBlend blend) => blend switch
    {
        Proto.WindowBlend.Unspecified => null,
        Proto.WindowBlend.Uniform => WindowBlend.Uniform,
        Proto.WindowBlend.Linear => WindowBlend.Linear,
        Proto.WindowBlend.Pyramid => WindowBlend.Pyramid,
        _ => throw new InvalidJobSpecException("blend", $"unknown blend {(int)blend}; use uniform (1), linear (2) or pyramid (3)."),
    };

    /// <summary>Null for UNSPECIFIED (the default applies).</summary>
    private static WirePrecision? Wire(Proto.WirePrecision wire) => wire switch
    {
        Proto.WirePrecision.Unspecified => null,
        Proto.WirePrecision.Fp32 => WirePrecision.Float32,
        Proto.WirePrecision.Fp16 => WirePrecision.Float16,
        _ => throw new InvalidJobSpecException("wire", $"unknown wire precision {(int)wire}; use fp32 (1) or fp16 (2)."),
    };
}
