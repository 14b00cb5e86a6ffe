namespace Loom.Client.Hub;

/// <summary>What a pull reports as it goes: bars when a person watches, lines when piped, JSON with <c>--json</c>.</summary>
internal interface IPullProgress
{
    /// <summary>A file's transfer begins (again) at <paramref name="offset"/> of its size.</summary>
    void Started(HubFile file, long offset);

    /// <summary><paramref name="bytes"/> more bytes of <paramref name="file"/> arrived.</summary>
    void Advanced(HubFile file, long bytes);

    /// <summary>A file is finished: <paramref name="outcome"/> says how (downloaded and verified, already there, ...).</summary>
    void Finished(HubFile file, string outcome);

    /// <summary>A line worth saying (a retry, a resume, a checksum mismatch).</summary>
    void Note(string text);
}
