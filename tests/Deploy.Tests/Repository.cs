namespace Loom.Deploy.Tests;

/// <summary>Files of the repository these tests read.</summary>
internal static class Repository
{
    /// <summary>The folder with Cluster.sln, found above the test output.</summary>
    public static string Root { get; } = FindRoot();

    public static string PathOf(string relative) => Path.Combine(Root, relative);

    public static string Read(string relative) => File.ReadAllText(PathOf(relative));

    private static string FindRoot()
    {
        string root = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(root, "Cluster.sln")))
        {
            root = Path.GetDirectoryName(root.TrimEnd('/')) ?? throw new InvalidOperationException("Cluster.sln not found above the test output.");
        }
        return root;
    }
}
