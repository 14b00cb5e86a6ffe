using System.Diagnostics.Metrics;
using Loom.Grains.Resilience;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Polly;
using Polly.Registry;
using Prometheus;

namespace Loom.Grains.Tests;

/// <summary>The pipelines registered once report to Polly's meter (which /metrics exports), storage retries included.</summary>
public sealed class ResilienceTelemetryTests
{
    [Fact]
    public async Task A_storage_retry_is_counted_on_the_polly_meter_under_the_storage_pipeline()
    {
        await using ServiceProvider services = Services();
        ResiliencePipeline storage = services.GetRequiredService<ResiliencePipelineProvider<LoomPipelineKey>>().GetPipeline(LoomPipelines.Storage);
        var events = new List<(string Event, string Pipeline)>();
        using var listener = Listen(events);
        int calls = 0;

        int answer = await storage.ExecuteAsync(_ => ++calls < 3 ? throw new IOException("redis blip") : ValueTask.FromResult(42));

        Assert.Equal(42, answer);
        Assert.Equal(2, events.Count(e => e == ("OnRetry", "loom-storage")));
    }

    [Fact]
    public async Task A_corrupt_read_is_not_retried()
    {
        await using ServiceProvider services = Services();
        ResiliencePipeline storage = services.GetRequiredService<ResiliencePipelineProvider<LoomPipelineKey>>().GetPipeline(LoomPipelines.Storage);
        var events = new List<(string Event, string Pipeline)>();
        using var listener = Listen(events);
        int calls = 0;

        await Assert.ThrowsAsync<InvalidDataException>(async () => await storage.ExecuteAsync<int>(_ => { calls++; throw new InvalidDataException("bad checksum"); }));

        Assert.Equal(1, calls);
        Assert.DoesNotContain(events, e => e.Event == "OnRetry");
    }

    [Fact]
    public void Each_shard_has_its_own_breaker_built_once()
    {
        using ServiceProvider services = Services();
        var pipelines = services.GetRequiredService<ResiliencePipelineProvider<LoomPipelineKey>>();

        ResiliencePipeline a = pipelines.GetPipeline(LoomPipelines.Shard("silo-a/0"));

        Assert.Same(a, pipelines.GetPipeline(LoomPipelines.Shard("silo-a/0")));
        Assert.NotSame(a, pipelines.GetPipeline(LoomPipelines.Shard("silo-b/0")));
        Assert.Equal(["silo-a/0", "silo-b/0"], services.GetRequiredService<ShardBreakers>().States.Keys.Order());
    }

    private static ServiceProvider Services()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(Options.Create(new LoomEvaluationOptions()));
        services.AddSingleton(new LoomMetrics(Metrics.NewCustomRegistry()));
        services.AddLoomResilience();
        return services.BuildServiceProvider();
    }

    private static MeterListener Listen(List<(string Event, string Pipeline)> events)
    {
        var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == "Polly" && instrument.Name == "resilience.polly.strategy.events")
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<int>((_, _, tags, _) =>
        {
            string name = "", pipeline = "";
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                name = tag.Key == "event.name" ? tag.Value as string ?? "" : name;
                pipeline = tag.Key == "pipeline.name" ? tag.Value as string ?? "" : pipeline;
            }
            lock (events)
            {
                events.Add((name, pipeline));
            }
        });
        listener.Start();
        return listener;
    }
}
