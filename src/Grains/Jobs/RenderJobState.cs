using Loom.Contracts.Jobs;

namespace Loom.Grains.Jobs;

/// <summary>A job's persisted state. Never renumber these members.</summary>
[GenerateSerializer, Alias("loom.render-job-state")]
public sealed class RenderJobState
{
    /// <summary>The accepted spec; null until a submit is accepted.</summary>
    [Id(0)] public JobSpec? Spec { get; set; }

    /// <summary>Phase.</summary>
    [Id(1)] public JobPhase Phase { get; set; }

    /// <summary>Steps finished and checkpointed.</summary>
    [Id(2)] public int StepsDone { get; set; }

    /// <summary>Forward passes spent.</summary>
    [Id(3)] public int Evaluations { get; set; }

    /// <summary>Forward passes spent by refinement.</summary>
    [Id(4)] public int RefineEvaluations { get; set; }

    /// <summary>Forward passes saved by window skipping.</summary>
    [Id(5)] public int SkippedEvaluations { get; set; }

    /// <summary>Certain share after each step.</summary>
    [Id(6)] public List<double> CertainFractions { get; set; } = [];

    /// <summary>Failure or cancel reason.</summary>
    [Id(7)] public string? Error { get; set; }

    /// <summary>Result path.</summary>
    [Id(8)] public string? OutputPath { get; set; }

    /// <summary>SHA-256 of the final latent.</summary>
    [Id(9)] public string? LatentSha256 { get; set; }

    /// <summary>Loop restarts from a checkpoint.</summary>
    [Id(10)] public int Resumes { get; set; }

    /// <summary>Evaluations retried elsewhere.</summary>
    [Id(11)] public int Retries { get; set; }

    /// <summary>Shards used.</summary>
    [Id(12)] public List<string> Shards { get; set; } = [];

    /// <summary>Accepted at.</summary>
    [Id(13)] public DateTimeOffset SubmittedAt { get; set; }

    /// <summary>Admitted at.</summary>
    [Id(14)] public DateTimeOffset? StartedAt { get; set; }

    /// <summary>Finished at.</summary>
    [Id(15)] public DateTimeOffset? FinishedAt { get; set; }

    /// <summary>Admission order.</summary>
    [Id(16)] public long AdmissionOrder { get; set; }

    /// <summary>The idempotency key it was submitted under, if any.</summary>
    [Id(17)] public string? IdempotencyKey { get; set; }

    /// <summary>Per-window cost, as of the last finished step.</summary>
    [Id(18)] public List<WindowProgress> Windows { get; set; } = [];

    /// <summary>SHA-256 of the model file when the job was accepted.</summary>
    [Id(19)] public string? ModelSha256 { get; set; }

    /// <summary>Size of the result file in bytes (0 until completed).</summary>
    [Id(20)] public long ResultBytes { get; set; }

    /// <summary>Evaluation calls made to shards, retries included.</summary>
    [Id(21)] public long WireMessages { get; set; }

    /// <summary>Payload bytes sent to shards (latents, conditioning).</summary>
    [Id(22)] public long WireBytesSent { get; set; }

    /// <summary>Payload bytes received from shards (velocities).</summary>
    [Id(23)] public long WireBytesReceived { get; set; }

    /// <summary>SHA-256 of the result file as written (a stored copy that differs is corrupt and never served).</summary>
    [Id(24)] public string? ResultSha256 { get; set; }

    /// <summary>Epoch of the latest job loop (raised and saved as each loop starts); its checkpoints carry it.</summary>
    [Id(25)] public long Epoch { get; set; }
}
