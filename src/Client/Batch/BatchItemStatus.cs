namespace Loom.Client.Batch;

/// <summary>How a batch item ended in this run.</summary>
internal enum BatchItemStatus
{
    /// <summary>Rendered (or its finished job downloaded) and written in this run.</summary>
    Done,

    /// <summary>Its output and sidecar were already there and matched: nothing was submitted.</summary>
    Skipped,

    /// <summary>The line or the server refused it (the field is named); no job exists for it.</summary>
    Invalid,

    /// <summary>Its job failed or was cancelled, or its output could not be written; a rerun tries again.</summary>
    Failed,
}
