using Loom.Contracts.Jobs;
using Loom.Grains.Jobs;

namespace Loom.Cluster.Tests;

/// <summary>Output names stay under the output directory by text alone; user strings are escaped for logs.</summary>
public sealed class OutputNamesTests
{
    [Theory]
    [InlineData("")]
    [InlineData("video.safetensors")]
    [InlineData("a/b/c.safetensors")]
    [InlineData("..video")]
    [InlineData("vidéo.safetensors")]
    public void Relative_names_are_accepted_and_resolve_under_the_directory(string name)
    {
        Assert.Null(OutputNames.Problem(name));
        string path = OutputNames.Resolve("/srv/out", "job-1", name);
        Assert.StartsWith("/srv/out/", path, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/etc/passwd")]
    [InlineData("../x")]
    [InlineData("a/../../x")]
    [InlineData("a/./x")]
    [InlineData("a//x")]
    [InlineData("a/")]
    [InlineData("a\0b")]
    [InlineData("a\nb")]
    [InlineData("a\\b")]
    public void Names_that_could_leave_the_directory_or_hide_characters_are_refused(string name)
    {
        Assert.NotNull(OutputNames.Problem(name));
        Assert.Equal("output", Assert.Throws<InvalidJobSpecException>(() => OutputNames.Resolve("/srv/out", "job-1", name)).Field);
    }

    [Fact]
    public void Segments_are_at_most_255_bytes()
    {
        Assert.Null(OutputNames.Problem(new string('n', 255)));
        Assert.NotNull(OutputNames.Problem(new string('n', 256)));
        Assert.NotNull(OutputNames.Problem(new string('é', 128)));
    }

    [Fact]
    public void Validation_touches_no_file_system()
    {
        string outside = Path.Combine(Path.GetTempPath(), $"loom-unit-{Guid.NewGuid():N}");
        Assert.NotNull(OutputNames.Problem(outside + "/x"));
        Assert.False(Directory.Exists(outside));
    }

    [Fact]
    public void Control_characters_are_escaped_for_logs()
        => Assert.Equal("a\\nb\\0c\\u001b[0m", LogText.Escape("a\nb\0c\u001b[0m"));
}
