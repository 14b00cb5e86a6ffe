namespace Loom.Deploy.Tests;

/// <summary>What kubectl can check without a cluster. (<c>kubectl create --dry-run=client</c> still asks an API server for the schema, so only kustomize runs offline.)</summary>
public sealed class KubectlTests
{
    [NeedsToolFact("kubectl")]
    public void Kustomize_renders_every_manifest_into_the_namespace_with_the_registry_image()
    {
        (int exit, string output, string error) = Tool.Run("kubectl", "kustomize", Manifests.Folder);
        Assert.True(exit == 0, $"kubectl kustomize {Manifests.Folder} failed: {error}");

        var rendered = new Manifests(Yaml.Documents(output));
        Assert.Equal(Manifests.Committed.Objects.Count, rendered.Objects.Count);
        Assert.All(rendered.Objects.Where(o => Manifests.Kind(o) != "Namespace"), o => Assert.Equal("loom", (string?)o["metadata"]!["namespace"]));
        // The image transformer reached the silo; the rest of the pod is passed through unchanged.
        string image = (string)Manifests.Container(rendered.Silo, "silo")!["image"]!;
        Assert.Contains('/', image);
        Assert.Equal(
            Manifests.PodSpec(Manifests.Committed.Silo)["terminationGracePeriodSeconds"]!.ToJsonString(),
            Manifests.PodSpec(rendered.Silo)["terminationGracePeriodSeconds"]!.ToJsonString());
    }
}
