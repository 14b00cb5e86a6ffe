namespace Loom.Silo;

/// <summary>What a caller holding an API key may do with jobs.</summary>
public enum ApiKeyRole
{
    /// <summary>Submits jobs, and sees, lists, watches, cancels and downloads only the jobs it submitted.</summary>
    Submitter,

    /// <summary>Sees and acts on every job.</summary>
    Admin,
}
