using System.ComponentModel;

namespace Loom.Silo;

/// <summary>
/// One API key (an entry of <c>Loom:ApiKeys</c>): <c>{ "Key": "...", "Owner": "alice", "Role": "submitter" }</c>. A
/// plain string entry, as configured before keys had owners, is an <see cref="ApiKeyRole.Admin"/> key with no owner.
/// </summary>
[TypeConverter(typeof(ApiKeyConverter))]
public sealed class ApiKey
{
    /// <summary>The secret the caller sends in the <c>x-api-key</c> header.</summary>
    public string Key { get; set; } = "";

    /// <summary>Who the key belongs to: recorded on each job it submits. Required for a submitter.</summary>
    public string Owner { get; set; } = "";

    /// <summary>What the key may do; <see cref="ApiKeyRole.Submitter"/> unless said.</summary>
    public ApiKeyRole Role { get; set; } = ApiKeyRole.Submitter;
}
