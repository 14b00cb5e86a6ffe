using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Loom.EndToEnd.Tests;

/// <summary>
/// A Hugging Face hub on 127.0.0.1 serving one repository made of a folder's files, in the hub's URL layout:
/// <c>/api/models/{repo}/revision/{rev}</c> lists the files (with <c>?blobs=true</c>: sizes, git blob ids, LFS sha256 for
/// weights), <c>/{repo}/resolve/{rev}/{path}</c> serves one with <c>ETag</c>, <c>X-Repo-Commit</c> and byte ranges. It can
/// require a bearer token (a gated repository), cut a transfer partway once, or serve bytes that do not match the
/// published checksum; it records every request.
/// </summary>
internal sealed class TinyHub : IAsyncDisposable
{
    public const string Commit = "0123456789abcdef0123456789abcdef01234567";

    private readonly WebApplication _app;
    private readonly Dictionary<string, byte[]> _files;

    private TinyHub(WebApplication app, string repoId, Dictionary<string, byte[]> files)
    {
        _app = app;
        RepoId = repoId;
        _files = files;
    }

    public string RepoId { get; }

    public Uri Endpoint { get; private set; } = null!;

    /// <summary>The bearer token every request must carry; null for a public repository.</summary>
    public string? Token { get; init; }

    /// <summary>False: the listing ignores <c>?blobs=true</c> and names the files only (checksums come from the ETags).</summary>
    public bool Blobs { get; set; } = true;

    /// <summary>Files whose next transfer stops after this many bytes, the connection cut (once each).</summary>
    public ConcurrentDictionary<string, int> CutAfter { get; } = new();

    /// <summary>Files served with one byte flipped, this many more times.</summary>
    public ConcurrentDictionary<string, int> Corrupt { get; } = new();

    /// <summary>Every request: path, Range header, Authorization header.</summary>
    public ConcurrentQueue<(string Path, string? Range, string? Authorization)> Requests { get; } = new();

    /// <summary>The content of a served file.</summary>
    public byte[] File(string path) => _files[path];

    /// <summary>Serves every file under <paramref name="folder"/> as <paramref name="repoId"/>.</summary>
    public static async Task<TinyHub> StartAsync(string repoId, string folder, string? token = null)
    {
        var files = Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
            .ToDictionary(f => Path.GetRelativePath(folder, f).Replace(Path.DirectorySeparatorChar, '/'), System.IO.File.ReadAllBytes, StringComparer.Ordinal);
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(IPAddress.Loopback, 0));
        WebApplication app = builder.Build();
        var hub = new TinyHub(app, repoId, files) { Token = token };
        app.MapGet("/api/models/{owner}/{name}/revision/{revision}", hub.ListAsync);
        app.MapGet("/{owner}/{name}/resolve/{revision}/{**path}", hub.ResolveAsync);
        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        hub.Endpoint = new Uri(address);
        return hub;
    }

    /// <summary>True for files the hub keeps in LFS (weights, pickles, SentencePiece models), as Wan's .gitattributes has it.</summary>
    public static bool IsLfs(string path) => path.EndsWith(".safetensors", StringComparison.Ordinal) || path.EndsWith(".pth", StringComparison.Ordinal) || path.EndsWith(".model", StringComparison.Ordinal);

    public static string Sha256(byte[] bytes) => Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant();

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();

    private static string BlobId(byte[] bytes)
    {
#pragma warning disable CA5350 // git's object id is SHA-1
        using var sha1 = IncrementalHash.CreateHash(HashAlgorithmName.SHA1);
#pragma warning restore CA5350
        sha1.AppendData(Encoding.ASCII.GetBytes($"blob {bytes.Length}\0"));
        sha1.AppendData(bytes);
        return Convert.ToHexString(sha1.GetHashAndReset()).ToLowerInvariant();
    }

    private bool Refused(HttpContext context, string owner, string name)
    {
        Requests.Enqueue((context.Request.Path.Value ?? "", context.Request.Headers.Range.FirstOrDefault(), context.Request.Headers.Authorization.FirstOrDefault()));
        if ($"{owner}/{name}" != RepoId)
        {
            context.Response.StatusCode = 404;
            context.Response.Headers["X-Error-Code"] = "RepoNotFound";
            return true;
        }
        if (Token is not null && context.Request.Headers.Authorization.FirstOrDefault() != $"Bearer {Token}")
        {
            context.Response.StatusCode = context.Request.Headers.Authorization.Count == 0 ? 401 : 403;
            context.Response.Headers["X-Error-Code"] = "GatedRepo";
            return true;
        }
        return false;
    }

    private static bool KnownRevision(HttpContext context, string revision)
    {
        if (revision is "main" or Commit)
        {
            return true;
        }
        context.Response.StatusCode = 404;
        context.Response.Headers["X-Error-Code"] = "RevisionNotFound";
        return false;
    }

    private async Task ListAsync(HttpContext context, string owner, string name, string revision)
    {
        if (Refused(context, owner, name) || !KnownRevision(context, revision))
        {
            return;
        }
        bool blobs = Blobs && context.Request.Query["blobs"] == "true";
        var siblings = new JsonArray();
        foreach (var (path, bytes) in _files.OrderBy(f => f.Key, StringComparer.Ordinal))
        {
            var sibling = new JsonObject { ["rfilename"] = path };
            if (blobs)
            {
                sibling["size"] = bytes.Length;
                sibling["blobId"] = BlobId(IsLfs(path) ? Encoding.ASCII.GetBytes($"version https://git-lfs.github.com/spec/v1\noid sha256:{Sha256(bytes)}\nsize {bytes.Length}\n") : bytes);
                if (IsLfs(path))
                {
                    sibling["lfs"] = new JsonObject { ["size"] = bytes.Length, ["sha256"] = Sha256(bytes), ["pointerSize"] = 134 };
                }
            }
            siblings.Add(sibling);
        }
        await context.Response.WriteAsJsonAsync(new JsonObject { ["_id"] = "tiny", ["id"] = RepoId, ["sha"] = Commit, ["siblings"] = siblings });
    }

    private async Task ResolveAsync(HttpContext context, string owner, string name, string revision, string path)
    {
        if (Refused(context, owner, name) || !KnownRevision(context, revision))
        {
            return;
        }
        if (!_files.TryGetValue(path, out byte[]? bytes))
        {
            context.Response.StatusCode = 404;
            context.Response.Headers["X-Error-Code"] = "EntryNotFound";
            return;
        }
        if (Corrupt.TryGetValue(path, out int times) && times > 0)
        {
            Corrupt[path] = times - 1;
            bytes = (byte[])bytes.Clone();
            bytes[bytes.Length / 2] ^= 0xFF;
        }
        context.Response.Headers.ETag = $"\"{(IsLfs(path) ? Sha256(_files[path]) : BlobId(_files[path]))}\"";
        context.Response.Headers["X-Repo-Commit"] = Commit;
        context.Response.Headers.AcceptRanges = "bytes";
        long start = 0;
        string? range = context.Request.Headers.Range.FirstOrDefault();
        if (range is not null && range.StartsWith("bytes=", StringComparison.Ordinal) && range.EndsWith('-'))
        {
            start = long.Parse(range["bytes=".Length..^1], System.Globalization.CultureInfo.InvariantCulture);
            if (start >= bytes.Length)
            {
                context.Response.StatusCode = 416;
                context.Response.Headers.ContentRange = $"bytes */{bytes.Length}";
                return;
            }
            context.Response.StatusCode = 206;
            context.Response.Headers.ContentRange = $"bytes {start}-{bytes.Length - 1}/{bytes.Length}";
        }
        context.Response.ContentLength = bytes.Length - start;
        if (CutAfter.TryRemove(path, out int cut))
        {
            await context.Response.Body.WriteAsync(bytes.AsMemory((int)start, Math.Min(cut, bytes.Length - (int)start)));
            await context.Response.Body.FlushAsync();
            context.Abort();
            return;
        }
        await context.Response.Body.WriteAsync(bytes.AsMemory((int)start));
    }
}
