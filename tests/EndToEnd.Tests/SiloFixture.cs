using Grpc.Core;
using Grpc.Core.Interceptors;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Loom.Cluster.Tests;
using Loom.Protos.V1;

namespace Loom.EndToEnd.Tests;

/// <summary>
/// A real <c>loom-silo</c> process (the built output, embedded mode) on free ports, with temporary data and output
/// folders and the repository's bundled <c>models/</c>, and gRPC clients to it. Use it as an xUnit fixture (see
/// <see cref="SiloCollection"/>), or start one with extra settings: <c>await SiloFixture.StartAsync("ApiKeys:0=secret")</c>.
/// </summary>
public class SiloFixture : IAsyncLifetime
{
    private readonly List<string> _settings = [];
    private SiloProcess? _silo;
    private GrpcChannel? _channel;

    /// <summary>The repository root (the folder with Cluster.sln).</summary>
    public static string RepositoryRoot { get; } = FindRoot();

    /// <summary>Base address of the silo's gRPC API, e.g. <c>http://127.0.0.1:41234</c>.</summary>
    public string GrpcAddress => $"{Scheme}://127.0.0.1:{Silo.GrpcPort}";

    /// <summary>"http", or "https" for a fixture whose silo serves TLS.</summary>
    protected virtual string Scheme => "http";

    /// <summary>The channel's HTTP handler (one that trusts a test certificate, say); null: the default.</summary>
    protected virtual HttpMessageHandler? Handler => null;

    /// <summary>Where the silo writes results (<c>Loom:OutputDirectory</c>); deleted on dispose.</summary>
    public string OutputDirectory { get; } = Directory.CreateTempSubdirectory("loom-e2e-out-").FullName;

    /// <summary>Grain state, checkpoints and stored results (<c>Loom:DataDirectory</c>); deleted on dispose.</summary>
    public string DataDirectory { get; } = Directory.CreateTempSubdirectory("loom-e2e-data-").FullName;

    /// <summary>The bundled model folder the silo serves from.</summary>
    public string ModelDirectory { get; } = Path.Combine(RepositoryRoot, "models");

    /// <summary>The key sent in <c>x-api-key</c> by <see cref="Jobs"/> and <see cref="Cluster"/> (null: none).</summary>
    public string? ApiKey { get; protected set; }

    /// <summary>The silo process (its ports, its log; kill it to test a crash).</summary>
    public SiloProcess Silo => _silo ?? throw new InvalidOperationException("the silo has not started.");

    /// <summary>What the silo printed so far.</summary>
    public string Log => _silo?.Log ?? "";

    /// <summary>A channel to <see cref="GrpcAddress"/>.</summary>
    public GrpcChannel Channel => _channel ?? throw new InvalidOperationException("the silo has not started.");

    /// <summary>loom.v1.JobService, sending <see cref="ApiKey"/>.</summary>
    public JobService.JobServiceClient Jobs => new(Invoker(ApiKey));

    /// <summary>loom.v1.ClusterService, sending <see cref="ApiKey"/>.</summary>
    public ClusterService.ClusterServiceClient Cluster => new(Invoker(ApiKey));

    /// <summary>grpc.health.v1 (never needs a key).</summary>
    public Health.HealthClient Health => new(Channel);

    /// <summary>Settings (<c>Key=value</c> under <c>Loom:</c>) added to the defaults, for a subclass to set before start.</summary>
    protected virtual IEnumerable<string> ExtraSettings => [];

    /// <summary>Starts a silo with <paramref name="settings"/> (<c>Key=value</c> or <c>--Loom:Key=value</c>) on top of the defaults, and waits until it serves.</summary>
    public static async Task<SiloFixture> StartAsync(params string[] settings)
    {
        var fixture = new SiloFixture();
        fixture._settings.AddRange(settings);
        await fixture.InitializeAsync();
        return fixture;
    }

    /// <summary>A call invoker that sends <paramref name="apiKey"/> in <c>x-api-key</c> (none when null).</summary>
    public CallInvoker Invoker(string? apiKey) => apiKey is null
        ? Channel.CreateCallInvoker()
        : Channel.Intercept(headers =>
        {
            headers.Add("x-api-key", apiKey);
            return headers;
        });

    /// <summary>Call options with a deadline (every unary call in these tests has one).</summary>
    public static CallOptions Deadline(int seconds = 30) => new(deadline: DateTime.UtcNow.AddSeconds(seconds));

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        var settings = new Dictionary<string, string>
        {
            ["ModelDirectory"] = ModelDirectory,
            ["DataDirectory"] = DataDirectory,
            ["OutputDirectory"] = OutputDirectory,
            ["Shards"] = "2",
            ["ThreadsPerShard"] = "1",
            // Small enough that the oversized-conditioning test stays light; large enough for any test video.
            ["Limits:MaxConditioningBytes"] = (4 << 20).ToString(),
        };
        foreach (string setting in ExtraSettings.Concat(_settings))
        {
            string bare = setting.StartsWith("--Loom:", StringComparison.Ordinal) ? setting["--Loom:".Length..] : setting;
            int equals = bare.IndexOf('=', StringComparison.Ordinal);
            settings[bare[..equals]] = bare[(equals + 1)..];
        }
        _silo = SiloProcess.Start(settings);
        _channel = GrpcChannel.ForAddress(GrpcAddress, new GrpcChannelOptions { MaxReceiveMessageSize = 64 << 20, MaxSendMessageSize = null, HttpHandler = Handler });
        await WaitServingAsync(TimeSpan.FromSeconds(120));
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        _channel?.Dispose();
        if (_silo is not null)
        {
            await _silo.DisposeAsync();
        }
        foreach (string directory in new[] { OutputDirectory, DataDirectory })
        {
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private async Task WaitServingAsync(TimeSpan timeout)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        string last = "";
        while (DateTime.UtcNow < deadline)
        {
            if (!Silo.IsRunning)
            {
                throw new InvalidOperationException($"the silo exited during start-up. Log:\n{Log}");
            }
            try
            {
                HealthCheckResponse health = await Health.CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow.AddSeconds(5));
                if (health.Status == HealthCheckResponse.Types.ServingStatus.Serving)
                {
                    return;
                }
                last = health.Status.ToString();
            }
            catch (RpcException e)
            {
                last = e.Status.ToString();
            }
            await Task.Delay(250);
        }
        throw new TimeoutException($"the silo did not serve within {timeout.TotalSeconds:F0} s (last: {last}). Log:\n{Log}");
    }

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
