using System.Globalization;
using System.Text.RegularExpressions;

namespace Loom.Deploy.Tests;

/// <summary>The two silo images (deploy/docker), read as text: docker is not available where these tests run.</summary>
public sealed class DockerfileTests
{
    public static TheoryData<string, string> Images => new() { { "Dockerfile.cpu", "false" }, { "Dockerfile.gpu", "true" } };

    [Theory]
    [MemberData(nameof(Images))]
    public void Image_builds_the_silo_for_its_backend_and_runs_it_as_a_non_root_user(string file, string gpu)
    {
        string text = Repository.Read($"deploy/docker/{file}");
        Assert.Contains($"dotnet publish src/Silo -c Release -r linux-x64 --self-contained false -p:LoomGpu={gpu}", text, StringComparison.Ordinal);
        string[] users = Regex.Matches(text, @"^USER\s+(\S+)", RegexOptions.Multiline).Select(m => m.Groups[1].Value).ToArray();
        Assert.NotEmpty(users);
        Assert.DoesNotMatch("^(root|0)$", users[^1]);
        // Exec form: the silo is PID 1 and receives SIGTERM itself, which starts its drain.
        Assert.Matches(@"(?m)^ENTRYPOINT \[""dotnet"", ""loom-silo\.dll""\]$", text);
        Assert.Contains("LOOM__MODELDIRECTORY=/models", text, StringComparison.Ordinal);
        Assert.DoesNotMatch(@"(?m)^COPY\s+models", text);
        // The GPU image runs one shard per GPU and refuses to start without one; the CPU image runs CPU shards.
        Assert.Contains($"LOOM__DEVICES={(gpu == "true" ? "cuda" : "cpu")}", text, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Images))]
    public void Image_checks_grpc_health_and_exposes_the_ports_the_pod_declares(string file, string gpu)
    {
        string text = Repository.Read($"deploy/docker/{file}");
        Assert.Matches(@"(?m)^HEALTHCHECK .*CMD \[""/usr/local/bin/grpc-health\.sh""\]$", text);
        Assert.Contains($"LOOM__GRPCPORT={SiloSettings.GrpcPort}", text, StringComparison.Ordinal);
        string[] exposed = Regex.Match(text, @"(?m)^EXPOSE (.+)$").Groups[1].Value.Split(' ');
        var container = Manifests.Container(Manifests.Committed.Silo, "silo")!;
        Assert.All(new[] { "grpc", "metrics", "silo", "gateway" }, p => Assert.Contains(Manifests.ContainerPort(container, p).ToString(CultureInfo.InvariantCulture), exposed));
        Assert.Equal(gpu == "true", text.Contains("FROM nvidia/cuda", StringComparison.Ordinal));
    }

    [Fact]
    public void Health_script_asks_the_apis_default_port_for_serving()
    {
        string script = Repository.Read("deploy/docker/grpc-health.sh");
        Assert.Contains($"${{LOOM__GRPCPORT:-{SiloSettings.GrpcPort}}}", script, StringComparison.Ordinal);
        Assert.Contains("/grpc.health.v1.Health/Check", script, StringComparison.Ordinal);
        // An empty request in gRPC framing; a SERVING reply is status = 1 in field 1.
        Assert.Contains("00000000020801", script, StringComparison.Ordinal);
    }
}
