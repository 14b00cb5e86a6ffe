namespace Loom.Client.Hub;

/// <summary>A repository at one revision: the commit the revision resolved to, and its files.</summary>
internal sealed record HubRepository(string RepoId, string Revision, string Commit, IReadOnlyList<HubFile> Files);
