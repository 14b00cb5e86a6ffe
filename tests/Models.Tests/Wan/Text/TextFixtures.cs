namespace Loom.Models.Tests.Wan.Text;

/// <summary>Paths of the committed Wan reference files (<c>tests/fixtures/wan</c>), found from the test binaries upward.</summary>
internal static class TextFixtures
{
    public static string Folder { get; } = Find();

    public static string File(string name) => Path.Combine(Folder, name);

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "tests", "fixtures", "wan");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }
        throw new DirectoryNotFoundException("tests/fixtures/wan not found above " + AppContext.BaseDirectory);
    }
}
