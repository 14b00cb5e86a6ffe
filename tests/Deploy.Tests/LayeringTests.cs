using System.Text.RegularExpressions;

namespace Loom.Deploy.Tests;

/// <summary>
/// The dependency direction of the code (docs/architecture.md §1), read from the sources as text: the folders of
/// src/Grains reference each other one way only, the contracts (src/Contracts) know no library, model or grain, and the
/// CLI (src/Client) speaks the API only, with its local work behind src/Embedded.
/// </summary>
public sealed partial class LayeringTests
{
    private static readonly string[] Libraries = ["Loom.Models", "Loom.Sampling", "Loom.Grains", "Loom.Silo", "Loom.Client", "TorchSharp"];

    [Fact]
    public void Grains_folders_reference_each_other_one_way()
    {
        Dictionary<string, Dictionary<string, List<string>>> graph = GrainsFolderGraph();
        Assert.True(graph.Count >= 4, $"expected the folders of src/Grains (Jobs, Routing, Shards, Storage); found {string.Join(", ", graph.Keys)}.");
        List<string>? cycle = FindCycle(graph);
        if (cycle is not null)
        {
            IEnumerable<string> edges = cycle.Zip(cycle.Skip(1), (from, to) => $"{from} -> {to} ({string.Join(", ", graph[from][to].Distinct())})");
            Assert.Fail($"src/Grains folders form a cycle {string.Join(" -> ", cycle)}: {string.Join("; ", edges)}.");
        }
    }

    [Fact]
    public void Contracts_know_no_library_model_or_grain()
    {
        string project = Repository.Read("src/Contracts/Contracts.csproj");
        Assert.DoesNotMatch("<ProjectReference", project);
        Assert.DoesNotMatch(@"<PackageReference Include=""TorchSharp", project);
        string[] files = Sources("src/Contracts");
        Assert.NotEmpty(files);
        foreach (string file in files)
        {
            string text = File.ReadAllText(file);
            string name = Path.GetRelativePath(Repository.Root, file);
            Assert.Matches(@"(?m)^namespace Loom\.Contracts(\.\w+)*;", text);
            foreach (string library in Libraries)
            {
                Assert.False(Regex.IsMatch(text, $@"(?m)^using (static )?{Regex.Escape(library)}[.;]|\b{Regex.Escape(library)}\."), $"{name} uses {library}.");
            }
        }
    }

    [Fact]
    public void Grain_interfaces_live_in_the_contracts()
    {
        string[] outside = Sources("src")
            .Where(f => GrainInterface().IsMatch(File.ReadAllText(f)))
            .Select(f => Path.GetRelativePath(Repository.Root, f))
            .Where(f => !f.StartsWith("src/Contracts/", StringComparison.Ordinal))
            .ToArray();
        Assert.True(outside.Length == 0, $"grain interfaces outside src/Contracts: {string.Join(", ", outside)}.");
    }

    [Fact]
    public void Client_talks_to_the_api_only()
    {
        // The CLI's project sees the API's stubs and the one project that does local work with the library (embedded
        // silo, model folders, held-out scenes, the plan's syntax); no source of the CLI names a library, grain or silo type.
        string project = Repository.Read("src/Client/Client.csproj");
        string[] references = [.. ProjectReference().Matches(project).Select(m => m.Groups[1].Value.Replace('\\', '/')).Order(StringComparer.Ordinal)];
        Assert.Equal(["../Embedded/Embedded.csproj", "../Protos/Protos.csproj"], references);
        Assert.DoesNotMatch(@"<Compile\s+Include=""\.\.", project);
        // What Embedded references (silo, grains, models, sampler) is copied beside loom but invisible to its code.
        Assert.Matches(@"<DisableTransitiveProjectReferences>true</DisableTransitiveProjectReferences>", project);
        string[] files = Sources("src/Client");
        Assert.NotEmpty(files);
        string[] offenders = [.. files
            .Select(f => (File: Path.GetRelativePath(Repository.Root, f), Uses: ServerSide().Matches(File.ReadAllText(f)).Select(m => m.Value).Distinct().ToArray()))
            .Where(f => f.Uses.Length > 0)
            .Select(f => $"{f.File} ({string.Join(", ", f.Uses)})")];
        Assert.True(offenders.Length == 0, $"src/Client must speak the API only; these files name server-side namespaces: {string.Join("; ", offenders)}.");
    }

    [Fact]
    public void The_embedded_project_shows_the_client_no_library_type()
    {
        // What src/Embedded makes public (what the CLI can call) takes and returns its own records and plain values.
        string[] files = Sources("src/Embedded");
        Assert.NotEmpty(files);
        foreach (string file in files)
        {
            string name = Path.GetRelativePath(Repository.Root, file);
            Assert.Matches(@"(?m)^namespace Loom\.Embedded(\.\w+)*;", File.ReadAllText(file));
            foreach (string line in File.ReadAllLines(file).Where(l => PublicMember().IsMatch(l)))
            {
                // The signature only: what an expression body or an initializer computes stays inside.
                string signature = line.Split(["=>", " = "], 2, StringSplitOptions.None)[0];
                Assert.False(LibraryType().IsMatch(signature), $"{name}: public signature shows a library type: {line.Trim()}");
            }
        }
    }

    /// <summary>Folder -> folder it references -> the files that do (by <c>using Loom.Grains.X</c> or a qualified name).</summary>
    private static Dictionary<string, Dictionary<string, List<string>>> GrainsFolderGraph()
    {
        string grains = Repository.PathOf("src/Grains");
        string[] folders = Directory.GetDirectories(grains).Select(Path.GetFileName).OfType<string>()
            .Where(f => f is not ("bin" or "obj")).ToArray();
        var graph = folders.ToDictionary(f => f, _ => new Dictionary<string, List<string>>());
        foreach (string folder in folders)
        {
            foreach (string file in Sources(Path.Combine("src/Grains", folder)))
            {
                string text = File.ReadAllText(file);
                foreach (Match m in GrainsNamespace().Matches(text))
                {
                    string target = m.Groups[1].Value;
                    if (target != folder && graph.ContainsKey(target))
                    {
                        graph[folder].TryAdd(target, []);
                        graph[folder][target].Add(Path.GetFileName(file));
                    }
                }
            }
        }
        return graph;
    }

    /// <summary>A cycle as its folders, first repeated at the end; null when the graph has none.</summary>
    private static List<string>? FindCycle(Dictionary<string, Dictionary<string, List<string>>> graph)
    {
        var state = new Dictionary<string, int>();
        var path = new List<string>();
        List<string>? Visit(string node)
        {
            state[node] = 1;
            path.Add(node);
            foreach (string next in graph[node].Keys.Order(StringComparer.Ordinal))
            {
                if (state.GetValueOrDefault(next) == 1)
                {
                    return [.. path.Skip(path.IndexOf(next)), next];
                }
                if (state.GetValueOrDefault(next) == 0 && Visit(next) is { } found)
                {
                    return found;
                }
            }
            path.RemoveAt(path.Count - 1);
            state[node] = 2;
            return null;
        }
        foreach (string node in graph.Keys.Order(StringComparer.Ordinal))
        {
            if (state.GetValueOrDefault(node) == 0 && Visit(node) is { } cycle)
            {
                return cycle;
            }
        }
        return null;
    }

    private static string[] Sources(string relative)
        => Directory.GetFiles(Repository.PathOf(relative), "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains("/obj/", StringComparison.Ordinal) && !f.Contains("/bin/", StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .ToArray();

    /// <summary>A reference to a folder of src/Grains: a using directive or a qualified name (<c>Grains.Shards.ShardHost</c>).</summary>
    [GeneratedRegex(@"\bGrains\.(\w+)\b")]
    private static partial Regex GrainsNamespace();

    /// <summary>A namespace only the server side may use, named anywhere in a file (using directive or qualified name).</summary>
    [GeneratedRegex(@"\bLoom\.(Grains|Models|Sampling|Silo|Contracts)\b")]
    private static partial Regex ServerSide();

    [GeneratedRegex(@"<ProjectReference\s+Include=""([^""]+)""")]
    private static partial Regex ProjectReference();

    [GeneratedRegex(@"^\s*public\s")]
    private static partial Regex PublicMember();

    /// <summary>Types of the library that must not cross into the CLI (the Wan folder records, tensors, plans, limits, hosts).</summary>
    [GeneratedRegex(@"\b(WanModelFolder|WanComponent|RefinementPlan|JobLimits|PhysicsClip|SafeTensorsHeader|WebApplication|Tensor)\b")]
    private static partial Regex LibraryType();

    [GeneratedRegex(@"\binterface\s+I\w+\s*:[^{]*\bIGrainWith\w+Key\b")]
    private static partial Regex GrainInterface();
}
