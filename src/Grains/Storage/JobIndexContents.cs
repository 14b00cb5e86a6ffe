using Loom.Contracts.Jobs;

namespace Loom.Grains.Storage;

/// <summary>What <see cref="IJobIndexStore.LoadAsync"/> read.</summary>
/// <param name="Jobs">Every readable entry.</param>
/// <param name="Keys">Idempotency key to the job it is bound to.</param>
/// <param name="Unreadable">Where each entry that could not be read lies (a file, a hash field), with why; they are skipped.</param>
public sealed record JobIndexContents(IReadOnlyList<JobIndexEntry> Jobs, IReadOnlyDictionary<string, string> Keys, IReadOnlyList<string> Unreadable);
