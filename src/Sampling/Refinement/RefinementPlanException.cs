namespace Loom.Sampling.Refinement;

/// <summary>A refinement plan that cannot be used; the message says which item and what is wrong with it.</summary>
public sealed class RefinementPlanException : ArgumentException
{
    /// <summary>Creates the error for the <c>plan</c> field.</summary>
    public RefinementPlanException(string message)
        : base("plan: " + message, "plan")
    {
        Detail = message;
    }

    /// <summary>What is wrong, without the field name (callers that name the field themselves use this).</summary>
    public string Detail { get; }
}
