namespace Loom.Models.Tests.Wan;

/// <summary>Finds <c>tests/fixtures/wan</c> from the test binaries, so the suite runs from a clone alone.</summary>
internal static class WanFixtureFiles
{
    private static readonly Lazy<string> Root = new(() =>
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = System.IO.Path.Combine(dir.FullName, "tests", "fixtures", "wan");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }
        throw new DirectoryNotFoundException($"tests/fixtures/wan not found above {AppContext.BaseDirectory}.");
    });

    /// <summary>The folder itself.</summary>
    public static string Folder => Root.Value;

    /// <summary>The path of fixture <paramref name="name"/>.</summary>
    public static string Path(string name) => System.IO.Path.Combine(Root.Value, name);
}
