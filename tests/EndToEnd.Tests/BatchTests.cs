using Loom.Protos.V1;

namespace Loom.EndToEnd.Tests;

/// <summary>SubmitBatch: each item is accepted or refused on its own.</summary>
[Collection(SiloCollection.Name)]
public sealed class BatchTests(SiloFixture silo)
{
    [Fact]
    public async Task A_bad_item_is_refused_by_field_and_the_others_are_accepted()
    {
        int before = await Requests.CountAsync(silo.Jobs);
        var bad = new SubmitJobRequest { Spec = Requests.Small(seed: 52) };
        bad.Spec.WindowOverlap = 8;
        var request = new SubmitBatchRequest();
        request.Items.Add(new SubmitJobRequest { Spec = Requests.Small(seed: 51) });
        request.Items.Add(bad);
        request.Items.Add(new SubmitJobRequest { Spec = Requests.Small(seed: 53) });

        SubmitBatchResponse response = await silo.Jobs.SubmitBatchAsync(request, SiloFixture.Deadline());

        Assert.Equal([0, 1, 2], response.Items.Select(i => i.Index));
        Assert.Equal(51, response.Items[0].Job.Spec.Seed);
        Assert.Null(response.Items[0].Error);
        Assert.Null(response.Items[1].Job);
        Assert.Equal("window_overlap", response.Items[1].Error.Field);
        Assert.StartsWith("window_overlap: ", response.Items[1].Error.Message, StringComparison.Ordinal);
        Assert.Equal(53, response.Items[2].Job.Spec.Seed);
        Assert.Equal(before + 2, await Requests.CountAsync(silo.Jobs));
        foreach (BatchItemResult item in new[] { response.Items[0], response.Items[2] })
        {
            Assert.Equal(JobEventKind.Completed, (await Requests.WatchAllAsync(silo.Jobs, item.Job.JobId))[^1].Kind);
        }
    }
}
