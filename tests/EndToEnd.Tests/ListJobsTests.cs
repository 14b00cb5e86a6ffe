using Grpc.Core;
using Loom.Protos.V1;

namespace Loom.EndToEnd.Tests;

/// <summary>ListJobs: newest first, filtered by state and model, paged with opaque tokens, with the matching total.</summary>
[Collection(SiloCollection.Name)]
public sealed class ListJobsTests(SiloFixture silo)
{
    [Fact]
    public async Task Jobs_are_listed_newest_first_by_state_page_by_page()
    {
        int cancelledBefore = await Requests.CountAsync(silo.Jobs, JobState.Cancelled);
        var ours = new List<string>();
        for (int i = 0; i < 3; i++)
        {
            Job job = await silo.Jobs.SubmitJobAsync(new SubmitJobRequest { JobId = $"listed-{i}-{Guid.NewGuid():N}", Spec = Requests.Long(seed: 40 + i) }, SiloFixture.Deadline());
            await silo.Jobs.CancelJobAsync(new CancelJobRequest { JobId = job.JobId }, SiloFixture.Deadline());
            ours.Add(job.JobId);
        }

        var seen = new List<Job>();
        string token = "";
        int pages = 0;
        do
        {
            var request = new ListJobsRequest { PageSize = 2, PageToken = token, Model = "physics" };
            request.States.Add(JobState.Cancelled);
            ListJobsResponse page = await silo.Jobs.ListJobsAsync(request, SiloFixture.Deadline());
            Assert.Equal(cancelledBefore + 3, page.Total);
            Assert.InRange(page.Jobs.Count, 1, 2);
            seen.AddRange(page.Jobs);
            token = page.NextPageToken;
            pages++;
        }
        while (token != "");

        Assert.Equal(cancelledBefore + 3, seen.Count);
        Assert.Equal((seen.Count + 1) / 2, pages);
        Assert.All(seen, j => Assert.Equal(JobState.Cancelled, j.State));
        Assert.Equal(seen.Count, seen.Select(j => j.JobId).Distinct().Count());
        Assert.Equal(ours.AsEnumerable().Reverse(), seen.Take(3).Select(j => j.JobId));
        Assert.Equal(seen.OrderByDescending(j => j.SubmittedAt.ToDateTimeOffset()).Select(j => j.JobId), seen.Select(j => j.JobId));
    }

    [Fact]
    public async Task Filters_that_match_nothing_give_an_empty_list()
    {
        var request = new ListJobsRequest { Model = "no-such-model" };
        ListJobsResponse page = await silo.Jobs.ListJobsAsync(request, SiloFixture.Deadline());

        Assert.Empty(page.Jobs);
        Assert.Equal(0, page.Total);
        Assert.Equal("", page.NextPageToken);
    }

    [Theory]
    [InlineData("page_token")]
    [InlineData("page_size")]
    [InlineData("states")]
    public async Task Bad_list_requests_are_refused_by_field(string field)
    {
        var request = new ListJobsRequest();
        switch (field)
        {
            case "page_token":
                request.PageToken = "not-a-token";
                break;
            case "page_size":
                request.PageSize = -1;
                break;
            default:
                request.States.Add(JobState.Unspecified);
                break;
        }

        RpcException refused = await Requests.FailsAsync(() => silo.Jobs.ListJobsAsync(request, SiloFixture.Deadline()).ResponseAsync);

        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Equal(field, refused.Trailers.GetValue("loom-field"));
    }
}
