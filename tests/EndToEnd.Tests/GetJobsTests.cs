using Grpc.Core;
using Loom.Protos.V1;

namespace Loom.EndToEnd.Tests;

/// <summary>GetJobs, a batch's status channel: many jobs in one call, unknown ids listed as missing, bounded requests, no stream held.</summary>
[Collection(SiloCollection.Name)]
public sealed class GetJobsTests(SiloFixture silo)
{
    [Fact]
    public async Task Many_jobs_come_back_in_request_order_with_unknown_ids_listed_as_missing_and_brief_leaves_out_windows()
    {
        string running = $"many-long-{Guid.NewGuid():N}", done = $"many-small-{Guid.NewGuid():N}";
        await silo.Jobs.SubmitJobAsync(new SubmitJobRequest { JobId = running, Spec = Requests.Long(seed: 61) }, SiloFixture.Deadline());
        await silo.Jobs.SubmitJobAsync(new SubmitJobRequest { JobId = done, Spec = Requests.Small(seed: 62) }, SiloFixture.Deadline());
        try
        {
            var request = new GetJobsRequest { JobIds = { done, "never-submitted", running } };
            GetJobsResponse full = await silo.Jobs.GetJobsAsync(request, SiloFixture.Deadline());
            Assert.Equal([done, running], full.Jobs.Select(j => j.JobId));
            Assert.Equal(["never-submitted"], full.Missing);
            Assert.NotEmpty(full.Jobs[0].Windows);

            request.Brief = true;
            GetJobsResponse brief = await silo.Jobs.GetJobsAsync(request, SiloFixture.Deadline());
            Assert.All(brief.Jobs, j => Assert.Empty(j.Windows));
            Assert.Equal(full.Jobs[1].Spec, brief.Jobs[1].Spec);
            Assert.Equal(0, Requests.Gauge(await Requests.MetricsAsync(silo), "loom_watch_streams"));
        }
        finally
        {
            await silo.Jobs.CancelJobAsync(new CancelJobRequest { JobId = running }, SiloFixture.Deadline());
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1001)]
    public async Task None_or_more_than_a_thousand_ids_are_refused_naming_the_field(int count)
    {
        var request = new GetJobsRequest();
        request.JobIds.AddRange(Enumerable.Range(0, count).Select(i => $"id-{i}"));

        RpcException refused = await Requests.FailsAsync(() => silo.Jobs.GetJobsAsync(request, SiloFixture.Deadline()).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Equal("job_ids", refused.Trailers.GetValue("loom-field"));
    }
}
