using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Loom.Deploy.Tests;

/// <summary>What the silo itself says about its settings: src/Silo/appsettings.json and the option classes it binds.</summary>
internal static partial class SiloSettings
{
    /// <summary>
    /// Settings the deployment may set before the silo reads them (none now: <c>MetricsPort</c> and <c>DrainTimeout</c>
    /// landed with issue 7). .NET configuration ignores a key no option has, so each of these would do nothing until it lands.
    /// </summary>
    public static readonly string[] Pending = [];

    public static JsonObject AppSettings { get; } = JsonNode.Parse(
        Repository.Read("src/Silo/appsettings.json"),
        documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true })!.AsObject();

    /// <summary>The port the silo's gRPC API listens on by default: appsettings.json's <c>Loom:GrpcPort</c>, else the default of <c>LoomApiOptions.GrpcPort</c>.</summary>
    public static long GrpcPort { get; } = (long?)AppSettings["Loom"]?["GrpcPort"]
        ?? long.Parse(GrpcPortDefault().Match(Repository.Read("src/Silo/LoomApiOptions.cs")).Groups[1].Value, CultureInfo.InvariantCulture);

    /// <summary>Property names of the classes bound to the <c>Loom</c> section, and the subsections bound to their own classes (<c>Tls</c>, <c>Results</c>).</summary>
    public static IReadOnlySet<string> OptionNames { get; } = new[] { "src/Silo/LoomHostOptions.cs", "src/Silo/LoomApiOptions.cs", "src/Grains/LoomJobOptions.cs", "src/Grains/LoomEvaluationOptions.cs", "src/Grains/LoomShardOptions.cs", "src/Grains/LoomCatalogOptions.cs" }
        .SelectMany(f => Property().Matches(Repository.Read(f)).Select(m => m.Groups[1].Value))
        .Append("Tls")
        .Append(ResultsSection().Match(Repository.Read(ResultsOptionsFile)).Groups[1].Value)
        .ToHashSet(StringComparer.OrdinalIgnoreCase);

    /// <summary>The options class of <c>Loom:Results</c>.</summary>
    public const string ResultsOptionsFile = "src/Grains/Storage/LoomResultsOptions.cs";

    /// <summary>Property names of an options class in <paramref name="file"/>.</summary>
    public static IReadOnlySet<string> PropertiesOf(string file)
        => Property().Matches(Repository.Read(file)).Select(m => m.Groups[1].Value).ToHashSet(StringComparer.OrdinalIgnoreCase);

    /// <summary>A TimeSpan setting as .NET configuration binds it; a bare number would be read as days, so it must be hh:mm:ss.</summary>
    public static TimeSpan ParseTimeSpan(string? value)
    {
        Assert.NotNull(value);
        Assert.Contains(":", value, StringComparison.Ordinal);
        return TimeSpan.Parse(value, CultureInfo.InvariantCulture);
    }

    [GeneratedRegex(@"public\s+[\w<>\[\]?.]+\s+(\w+)\s*\{\s*get;\s*set;")]
    private static partial Regex Property();

    [GeneratedRegex(@"public\s+const\s+string\s+Section\s*=\s*""Loom:(\w+)"";")]
    private static partial Regex ResultsSection();

    [GeneratedRegex(@"public\s+int\s+GrpcPort\s*\{\s*get;\s*set;\s*\}\s*=\s*(\d+);")]
    private static partial Regex GrpcPortDefault();
}
