using static TorchSharp.torch;

namespace Loom.Models.Wan.Fixtures;

/// <summary>
/// Runs a ported module on one reference file and compares what it produces with the file's expected tensors. The
/// tests and <c>bench -- wan-fixture</c> both go through these, so a new reference file is checked the same way by both.
/// </summary>
public interface IWanFixtureRunner
{
    /// <summary>The fixture kinds handled: the <c>fixture</c> metadata of a golden safetensors file (<c>dit_t2v</c>,
    /// <c>vae</c>, ...), or <see cref="WanFixtureRunners.TokenizerCases"/> for a <c>tokenizer_cases.json</c>.</summary>
    IReadOnlyList<string> Kinds { get; }

    /// <summary>
    /// Runs the module in float32 on the file at <paramref name="path"/> and returns one check per <c>output.*</c> tensor
    /// (tokenizer: per case), then one per <c>debug.*</c> tensor it reproduces. <paramref name="weights"/> replaces the
    /// file's own <c>weights.*</c> (tests pass them renamed to Diffusers names); the module's loader detects the naming.
    /// </summary>
    IReadOnlyList<TensorCheck> Run(string path, IReadOnlyDictionary<string, Tensor>? weights = null);
}
