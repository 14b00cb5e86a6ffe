using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Loom.Client.Cli;

namespace Loom.Client.Hub;

/// <summary>
/// The two calls of the Hugging Face hub a pull makes: the file listing of a revision
/// (<c>GET {endpoint}/api/models/{repo}/revision/{rev}?blobs=true</c>: the commit as <c>sha</c>, every file as a
/// <c>siblings</c> entry with <c>rfilename</c>, <c>size</c>, <c>blobId</c> and, for LFS files, <c>lfs.sha256</c>) and a
/// file (<c>GET {endpoint}/{repo}/resolve/{commit}/{path}</c>, with a <c>Range</c> to resume). <c>HF_TOKEN</c> goes as a
/// bearer token; redirects to the CDN are followed (HttpClient drops the token on them, as it should).
/// </summary>
internal sealed class HubClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly bool _hasToken;

    public HubClient(Uri endpoint, string? token)
    {
        Endpoint = new Uri(endpoint.ToString().TrimEnd('/') + "/");
        _hasToken = !string.IsNullOrEmpty(token);
        _http = new HttpClient(new SocketsHttpHandler { ConnectTimeout = TimeSpan.FromSeconds(30), AutomaticDecompression = DecompressionMethods.None })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };
        _http.DefaultRequestHeaders.UserAgent.ParseAdd("loom/1.0");
        if (_hasToken)
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
    }

    /// <summary>The hub's base address (default https://huggingface.co/, or <c>HF_ENDPOINT</c>, or <c>--endpoint</c>).</summary>
    public Uri Endpoint { get; }

    /// <summary>Lists <paramref name="repoId"/> at <paramref name="revision"/>.</summary>
    /// <exception cref="CliException">Not found, not allowed, or the hub failed: the message says which and what to do.</exception>
    public async Task<HubRepository> ListAsync(string repoId, string revision, CancellationToken cancellationToken)
    {
        var url = new Uri(Endpoint, $"api/models/{repoId}/revision/{Uri.EscapeDataString(revision)}?blobs=true");
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        HttpResponseMessage sent;
        try
        {
            sent = await SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            throw new CliException(ExitCodes.Unavailable, $"the hub {Endpoint} could not be reached: {e.Message}");
        }
        using HttpResponseMessage response = sent;
        if (!response.IsSuccessStatusCode)
        {
            throw Failure(response, repoId, revision, null);
        }
        using JsonDocument json = JsonDocument.Parse(await response.Content.ReadAsByteArrayAsync(cancellationToken));
        JsonElement root = json.RootElement;
        string commit = root.TryGetProperty("sha", out JsonElement sha) && sha.GetString() is { Length: > 0 } s ? s : revision;
        if (!root.TryGetProperty("siblings", out JsonElement siblings) || siblings.ValueKind != JsonValueKind.Array)
        {
            throw new CliException(ExitCodes.Unavailable, $"the hub's listing of {repoId} has no 'siblings' (is {Endpoint} a Hugging Face hub?).");
        }
        var files = new List<HubFile>();
        foreach (JsonElement sibling in siblings.EnumerateArray())
        {
            string path = sibling.GetProperty("rfilename").GetString() ?? "";
            JsonElement lfs = sibling.TryGetProperty("lfs", out JsonElement l) && l.ValueKind == JsonValueKind.Object ? l : default;
            long? size = lfs.ValueKind == JsonValueKind.Object && lfs.TryGetProperty("size", out JsonElement ls) ? ls.GetInt64()
                : sibling.TryGetProperty("size", out JsonElement fs) && fs.ValueKind == JsonValueKind.Number ? fs.GetInt64() : null;
            string? sha256 = lfs.ValueKind == JsonValueKind.Object && lfs.TryGetProperty("sha256", out JsonElement h) ? h.GetString() : null;
            string? blob = sibling.TryGetProperty("blobId", out JsonElement b) ? b.GetString() : null;
            files.Add(new HubFile(path, size, sha256, blob));
        }
        return new HubRepository(repoId, revision, commit, files);
    }

    /// <summary>
    /// Starts the download of <paramref name="file"/> from byte <paramref name="offset"/> (headers read, body not). A
    /// refusal (401, 403, 404) throws; answers worth another try (5xx, 408, 429, 416) come back for the caller to retry.
    /// </summary>
    public async Task<HttpResponseMessage> OpenAsync(HubRepository repository, HubFile file, long offset, CancellationToken cancellationToken)
    {
        string path = string.Join('/', file.Path.Split('/').Select(Uri.EscapeDataString));
        var url = new Uri(Endpoint, $"{repository.RepoId}/resolve/{Uri.EscapeDataString(repository.Commit)}/{path}");
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (offset > 0)
        {
            request.Headers.Range = new RangeHeaderValue(offset, null);
        }
        HttpResponseMessage response = await SendAsync(request, cancellationToken);
        int status = (int)response.StatusCode;
        bool retryable = status >= 500 || status is 408 or 429 or 416;
        if (!response.IsSuccessStatusCode && !retryable)
        {
            using (response)
            {
                throw Failure(response, repository.RepoId, repository.Revision, file.Path);
            }
        }
        return response;
    }

    public void Dispose() => _http.Dispose();

    private Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        => _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);

    /// <summary>The hub's refusals, as <c>huggingface_hub</c> reads them (status plus <c>X-Error-Code</c>), in words a user acts on.</summary>
    private CliException Failure(HttpResponseMessage response, string repoId, string revision, string? path)
    {
        string code = response.Headers.TryGetValues("X-Error-Code", out IEnumerable<string>? values) ? values.First() : "";
        string what = path is null ? repoId : $"{path} of {repoId}";
        return (response.StatusCode, code) switch
        {
            (HttpStatusCode.Unauthorized, _) when _hasToken => new CliException(ExitCodes.Unauthenticated, $"the hub refused HF_TOKEN for {what} (401): the token is invalid or expired, or the repository is private to others."),
            (HttpStatusCode.Unauthorized, _) => new CliException(ExitCodes.Unauthenticated, $"{repoId} needs a login (401): it is gated or private; set HF_TOKEN to a Hugging Face access token that may read it."),
            (HttpStatusCode.Forbidden, _) => new CliException(ExitCodes.Unauthenticated, _hasToken
                ? $"HF_TOKEN may not read {what} (403): accept the model's conditions on its hub page with that account, or use a token with read access."
                : $"{repoId} is gated (403): accept its conditions on the hub and set HF_TOKEN to your access token."),
            (HttpStatusCode.NotFound, "RevisionNotFound") => new CliException(ExitCodes.NotFound, $"revision '{revision}' of {repoId} not found on {Endpoint}.", "revision"),
            (HttpStatusCode.NotFound, "EntryNotFound") => new CliException(ExitCodes.NotFound, $"{what} not found on {Endpoint}."),
            (HttpStatusCode.NotFound, _) => new CliException(ExitCodes.NotFound, $"{what} not found on {Endpoint} (check the repository id{(path is null ? "; a private repository also answers 404 without HF_TOKEN" : "")})."),
            _ => new CliException(ExitCodes.Unavailable, $"the hub answered {(int)response.StatusCode} {response.ReasonPhrase} for {what}."),
        };
    }
}
