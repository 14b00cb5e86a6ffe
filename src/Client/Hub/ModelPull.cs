using System.Net;
using Loom.Client.Cli;

namespace Loom.Client.Hub;

/// <summary>
/// Downloads the files of one repository revision into a folder, one file at a time, each first into
/// <c>{name}.incomplete</c>: a broken transfer resumes with an HTTP <c>Range</c> from what is there (in this run, or the
/// next run after an interruption); a finished file is checked against the hub's checksum and only then takes its
/// name. A file whose bytes do not match is deleted and fetched once more; if it fails again it is reported, and
/// nothing of it is left to pass for the real file.
/// </summary>
internal sealed class ModelPull(HubClient hub, HubRepository repository, string directory, IPullProgress progress)
{
    /// <summary>Transfers that may break in a row, without a byte of progress, before the pull gives up on a file.</summary>
    private const int MaxAttempts = 5;

    /// <summary>Pulls <paramref name="files"/>; returns the verified entries and the files that failed, with why.</summary>
    public async Task<(IReadOnlyList<PullManifest.Entry> Verified, IReadOnlyList<string> Failures)> RunAsync(IReadOnlyList<HubFile> files, CancellationToken cancellationToken)
    {
        PullManifest? previous = PullManifest.Read(directory);
        var verified = new List<PullManifest.Entry>();
        var failures = new List<string>();
        foreach (HubFile file in files)
        {
            string target = Path.Combine(directory, file.Path.Replace('/', Path.DirectorySeparatorChar));
            if (!Path.GetFullPath(target).StartsWith(Path.GetFullPath(directory), StringComparison.Ordinal) || file.Path.Contains("..", StringComparison.Ordinal))
            {
                failures.Add($"{file.Path}: a path outside the model folder; not written.");
                continue;
            }
            (string? failure, HubFile pulled) = File.Exists(target) && await PresentAsync(file, target, previous, cancellationToken)
                ? (null, file)
                : await DownloadAsync(file, target, cancellationToken);
            if (failure is null)
            {
                verified.Add(new PullManifest.Entry(file.Path, new FileInfo(target).Length, pulled.Sha256, pulled.BlobId));
            }
            else
            {
                failures.Add(failure);
            }
        }
        return (verified, failures);
    }

    /// <summary>True when the file already there is the hub's (by an earlier pull's record, else by its checksum).</summary>
    private async Task<bool> PresentAsync(HubFile file, string target, PullManifest? previous, CancellationToken cancellationToken)
    {
        long length = new FileInfo(target).Length;
        if (file.Size is long size && size != length)
        {
            progress.Note($"{file.Path}: {length} bytes on disk, the hub has {size}; downloading it again");
            return false;
        }
        PullManifest.Entry? known = previous?.Files.FirstOrDefault(e => e.Path == file.Path);
        if (known is not null && known.Size == length && known.Sha256 == file.Sha256 && known.BlobId == file.BlobId && (file.Sha256 ?? file.BlobId) is not null)
        {
            progress.Finished(file, "present (verified by an earlier pull)");
            return true;
        }
        using ContentHash? hash = ContentHash.For(file);
        if (hash is null)
        {
            progress.Finished(file, "present (the hub gives no checksum; size matches)");
            return true;
        }
        await hash.AppendFileAsync(target, cancellationToken);
        string actual = hash.Actual();
        if (actual == hash.Expected)
        {
            progress.Finished(file, $"present ({hash.Name} verified)");
            return true;
        }
        progress.Note($"{file.Path}: the file on disk has {hash.Name} {actual}, the hub's is {hash.Expected}; downloading it again");
        return false;
    }

    /// <summary>
    /// Downloads one file; returns null when it is in place and verified, else why not, and the file as verified (with
    /// the checksum the transfer's ETag gave when the listing had none).
    /// </summary>
    private async Task<(string? Failure, HubFile File)> DownloadAsync(HubFile file, string target, CancellationToken cancellationToken)
    {
        string partial = target + ".incomplete";
        Directory.CreateDirectory(Path.GetDirectoryName(partial)!);
        int failures = 0;
        bool fetchedAgain = false;
        long resumedAt = 0;
        long kept = -1;
        while (true)
        {
            long offset = File.Exists(partial) ? new FileInfo(partial).Length : 0;
            if (offset > kept)
            {
                failures = 0; // progress since the last break: the count is of breaks in a row
            }
            kept = offset;
            if (file.Size is long size && offset > size)
            {
                File.Delete(partial);
                offset = 0;
            }
            ContentHash? hash = ContentHash.For(file);
            try
            {
                try
                {
                    if (file.Size != offset)
                    {
                        if (offset > 0)
                        {
                            resumedAt = offset;
                            progress.Note($"{file.Path}: resuming at byte {offset} of {file.Size?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?"}");
                        }
                        using HttpResponseMessage response = await hub.OpenAsync(repository, file, offset, cancellationToken);
                        if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
                        {
                            File.Delete(partial);
                            throw new IOException("the hub could not serve the range asked (416); starting over");
                        }
                        if (!response.IsSuccessStatusCode)
                        {
                            throw new IOException($"the hub answered {(int)response.StatusCode} {response.ReasonPhrase}");
                        }
                        if (hash is null && FromEtag(file, response, offset) is HubFile tagged)
                        {
                            file = tagged;
                            hash = ContentHash.For(file);
                        }
                        bool append = offset > 0 && response.StatusCode == HttpStatusCode.PartialContent && response.Content.Headers.ContentRange?.From == offset;
                        if (!append)
                        {
                            offset = 0; // the whole file came back (the server ignored the range): start it over
                        }
                        if (offset > 0 && hash is not null)
                        {
                            await hash.AppendFileAsync(partial, cancellationToken);
                        }
                        progress.Started(file, offset);
                        await CopyAsync(response, partial, append, hash, file, cancellationToken);
                    }
                    else if (hash is not null && offset > 0)
                    {
                        await hash.AppendFileAsync(partial, cancellationToken);
                    }
                }
                catch (Exception e) when (e is IOException or HttpRequestException && !cancellationToken.IsCancellationRequested)
                {
                    failures++;
                    long have = File.Exists(partial) ? new FileInfo(partial).Length : 0;
                    if (failures >= MaxAttempts)
                    {
                        return ($"{file.Path}: the transfer broke {failures} times in a row ({e.Message}); {have} bytes are kept in {Path.GetFileName(partial)}: run the pull again to resume.", file);
                    }
                    progress.Note($"{file.Path}: the transfer broke at byte {have} ({e.Message}); resuming");
                    await Task.Delay(TimeSpan.FromMilliseconds(200 * failures), cancellationToken);
                    continue;
                }
                long length = new FileInfo(partial).Length;
                if (file.Size is long expected && length != expected)
                {
                    failures++;
                    if (failures >= MaxAttempts)
                    {
                        return ($"{file.Path}: the hub sent {length} bytes of {expected}, {failures} times; run the pull again to resume.", file);
                    }
                    continue;
                }
                if (hash is not null)
                {
                    string actual = hash.Actual();
                    if (actual != hash.Expected)
                    {
                        File.Delete(partial);
                        if (!fetchedAgain)
                        {
                            fetchedAgain = true;
                            progress.Note($"{file.Path}: {hash.Name} {actual} does not match the hub's {hash.Expected}; deleted, downloading it again");
                            resumedAt = 0;
                            continue;
                        }
                        progress.Finished(file, "checksum mismatch");
                        return ($"{file.Path}: downloaded twice and both times its {hash.Name} was {actual}, not the hub's {hash.Expected}; the file was deleted.", file);
                    }
                }
                File.Move(partial, target, overwrite: true);
                string checksum = hash is null ? "no checksum published; size matches" : $"{hash.Name} verified";
                progress.Finished(file, resumedAt > 0 ? $"downloaded, resumed at byte {resumedAt} ({checksum})" : $"downloaded ({checksum})");
                return (null, file);
            }
            finally
            {
                hash?.Dispose();
            }
        }
    }

    /// <summary>
    /// The file with the checksum its transfer's tag carries, for a listing without checksums: the hub tags an LFS file
    /// with its sha256 (<c>X-Linked-Etag</c> on the redirect, else <c>ETag</c>) and a git file with its blob id.
    /// </summary>
    private static HubFile? FromEtag(HubFile file, HttpResponseMessage response, long offset)
    {
        string? tag = response.Headers.TryGetValues("X-Linked-Etag", out IEnumerable<string>? linked) ? linked.First() : response.Headers.ETag?.Tag;
        tag = tag?.Replace("W/", "", StringComparison.Ordinal).Trim('"').ToLowerInvariant();
        long? size = file.Size ?? response.Content.Headers.ContentRange?.Length ?? offset + response.Content.Headers.ContentLength;
        if (tag is null || !tag.All(char.IsAsciiHexDigitLower))
        {
            return null;
        }
        return tag.Length switch
        {
            64 => file with { Size = size, Sha256 = tag },
            40 when size is not null => file with { Size = size, BlobId = tag },
            _ => null,
        };
    }

    private async Task CopyAsync(HttpResponseMessage response, string partial, bool append, ContentHash? hash, HubFile file, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[1 << 20];
        await using FileStream output = new(partial, append ? FileMode.Append : FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16, useAsync: true);
        await using Stream body = await response.Content.ReadAsStreamAsync(cancellationToken);
        int read;
        while ((read = await body.ReadAsync(buffer, cancellationToken)) > 0)
        {
            await output.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
            hash?.Append(buffer.AsSpan(0, read));
            progress.Advanced(file, read);
        }
    }
}
