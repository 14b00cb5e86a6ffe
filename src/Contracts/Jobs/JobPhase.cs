namespace Loom.Contracts.Jobs;

/// <summary>Where a job is in its life. Completed, Failed and Cancelled are final.</summary>
public enum JobPhase
{
    /// <summary>Accepted, waiting for admission.</summary>
    Queued,

    /// <summary>Admitted and sampling.</summary>
    Running,

    /// <summary>Finished; the output is written.</summary>
    Completed,

    /// <summary>Stopped by an error; the reason is kept.</summary>
    Failed,

    /// <summary>Stopped by a cancel request.</summary>
    Cancelled,
}
