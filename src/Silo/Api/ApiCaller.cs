using Grpc.Core;
using Loom.Contracts.Jobs;
namespace Loom.Silo.Api;

/// <summary>
/// Who makes a call, as <see cref="ApiKeyInterceptor"/> found it from the key: an admin sees every job, a submitter only
/// the jobs recorded with its owner (another owner's job is NOT_FOUND, exactly as a job that does not exist).
/// </summary>
/// <param name="Owner">Recorded on the jobs it submits; "" for an admin key without owner and on a silo without keys.</param>
/// <param name="IsAdmin">Whether it sees all jobs.</param>
public sealed record ApiCaller(string Owner, bool IsAdmin)
{
    /// <summary>The caller on a silo without keys (loopback only): an admin.</summary>
    public static readonly ApiCaller Anyone = new("", true);

    private const string UserStateKey = "loom.caller";

    /// <summary>The caller of <paramref name="context"/> (<see cref="Anyone"/> where no key was checked).</summary>
    public static ApiCaller Of(ServerCallContext context)
        => context.UserState.TryGetValue(UserStateKey, out object? caller) && caller is ApiCaller known ? known : Anyone;

    /// <summary>Records <paramref name="caller"/> on <paramref name="context"/>.</summary>
    public static void Set(ServerCallContext context, ApiCaller caller) => context.UserState[UserStateKey] = caller;

    /// <summary>The owner a job list is filtered by: null (all) for an admin.</summary>
    public string? ListedOwner => IsAdmin ? null : Owner;

    /// <summary>Whether this caller may see <paramref name="job"/>; else the job is answered as not found.</summary>
    public bool CanSee(JobStatus job) => IsAdmin || string.Equals(job.Spec.Owner, Owner, StringComparison.Ordinal);

    /// <summary>The idempotency key as bound in the job index: a submitter's are its own (two owners never share one).</summary>
    public string ScopedKey(string key) => key.Length == 0 || Owner.Length == 0 ? key : $"{Owner}/{key}";
}
