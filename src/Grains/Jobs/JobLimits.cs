namespace Loom.Grains.Jobs;

/// <summary>Bounds a submitted spec must respect (configuration section <c>Loom:Limits</c>).</summary>
public sealed class JobLimits
{
    /// <summary>Lowest job priority (fixed: priorities compare across every silo of a cluster).</summary>
    public const int MinPriority = -1000;

    /// <summary>Highest job priority.</summary>
    public const int MaxPriority = 1000;

    /// <summary>Most frames in one video.</summary>
    public int MaxFrames { get; set; } = 4096;

    /// <summary>Most sampling steps.</summary>
    public int MaxSteps { get; set; } = 1000;

    /// <summary>Largest guidance scale.</summary>
    public double MaxGuidance { get; set; } = 50;

    /// <summary>Most refinement iterations in one step.</summary>
    public int MaxIterationsPerStep { get; set; } = 8;

    /// <summary>Largest conditioning payload in bytes.</summary>
    public int MaxConditioningBytes { get; set; } = 64 << 20;

    /// <summary>Longest prompt in UTF-8 bytes.</summary>
    public int MaxPromptBytes { get; set; } = 4096;
}
