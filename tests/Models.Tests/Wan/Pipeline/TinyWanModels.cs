using Loom.Models.Wan.Folders;
using Loom.Models.Wan.Tiny;

namespace Loom.Models.Tests.Wan.Pipeline;

/// <summary>One folder per tiny kind (written by <see cref="WanTinyModel"/>, seed 1) for the pipeline tests; removed after.</summary>
public sealed class TinyWanModels : IDisposable
{
    public TinyWanModels()
    {
        Root = Path.Combine(Path.GetTempPath(), "loom-wan-tiny-" + Guid.NewGuid().ToString("N"));
        foreach (string kind in WanTinyModel.Kinds)
        {
            WanTinyModel.Write(Folder(kind), kind, seed: 1);
        }
    }

    public string Root { get; }

    public string Folder(string kind) => Path.Combine(Root, kind);

    public string T2V => Folder(WanKind.T2V);

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
