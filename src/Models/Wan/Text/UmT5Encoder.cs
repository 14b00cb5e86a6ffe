using System.Security.Cryptography;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Loom.Models.Wan.Text;

/// <summary>
/// Wan's text encoder, the UMT5 encoder exactly as the official <c>T5Encoder</c> computes it (section 3.3 of the
/// fixture README): token embedding, blocks with per-layer relative-position bias and the padding mask, final RMS norm.
/// Parameter names are the official ones (<c>token_embedding.weight</c>, <c>blocks.N.attn.q.weight</c>, ...). Runs in
/// float32 or bfloat16 (the official release's dtype); norms' statistics and the softmax stay float32 either way.
/// </summary>
public sealed class UmT5Encoder : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Embedding _tokenEmbedding;
    private readonly ModuleList<UmT5Block> _blocks;
    private readonly T5RmsNorm _norm;
    private string? _weightsSha256;

    /// <summary>
    /// An encoder of <paramref name="config"/>'s shape with random weights in <paramref name="dtype"/> on
    /// <paramref name="device"/> (load real ones with <see cref="Load"/>).
    /// </summary>
    public UmT5Encoder(UmT5Config config, ScalarType dtype = ScalarType.Float32, Device? device = null) : base(nameof(UmT5Encoder))
    {
        Config = config;
        _tokenEmbedding = nn.Embedding(config.VocabSize, config.Dim, device: device, dtype: dtype);
        _blocks = nn.ModuleList(Enumerable.Range(0, config.NumLayers).Select(_ => new UmT5Block(config, dtype, device)).ToArray());
        _norm = new T5RmsNorm(config.Dim, config.Eps, dtype, device);
        register_module("token_embedding", _tokenEmbedding);
        register_module("blocks", _blocks);
        register_module("norm", _norm);
        foreach (Parameter p in parameters())
        {
            p.requires_grad = false;
        }
    }

    /// <summary>The shape.</summary>
    public UmT5Config Config { get; }

    /// <summary>The dtype of the weights (float32 or bfloat16).</summary>
    public ScalarType DType => _tokenEmbedding.weight!.dtype;

    /// <summary>
    /// Builds an encoder from official- or transformers-named weights (<see cref="UmT5WeightNames.ToOfficial"/>), its shape
    /// read from them, in <paramref name="dtype"/> on <paramref name="device"/>. Every parameter must be present with its
    /// exact shape and no unknown tensor may remain (transformers' tied <c>encoder.embed_tokens.weight</c> is accepted).
    /// </summary>
    /// <exception cref="InvalidDataException">A missing, misshapen or unexpected tensor; the message names it.</exception>
    public static UmT5Encoder Load(IReadOnlyDictionary<string, Tensor> weights, ScalarType dtype = ScalarType.Float32, Device? device = null)
    {
        if (dtype is not (ScalarType.Float32 or ScalarType.BFloat16))
        {
            throw new ArgumentException($"UMT5 runs in float32 or bfloat16, not {dtype}.", nameof(dtype));
        }
        Dictionary<string, Tensor> official = UmT5WeightNames.ToOfficial(weights);
        // Built on the meta device (shapes only, no memory, no random init), then each parameter is replaced by the
        // loaded tensor converted once: the peak is the checkpoint plus one converted copy, never a random model too.
        var encoder = new UmT5Encoder(UmT5Config.FromWeights(official), dtype, new Device(DeviceType.META));
        Dictionary<string, Parameter> parameters = encoder.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (string unexpected in official.Keys.Except(parameters.Keys))
        {
            throw new InvalidDataException($"UMT5 weights: unexpected tensor '{unexpected}'.");
        }
        Dictionary<string, nn.Module> modules = encoder.named_modules().ToDictionary(m => m.name, m => m.module);
        using (no_grad())
        {
            foreach (var (name, parameter) in parameters)
            {
                if (!official.TryGetValue(name, out Tensor? source))
                {
                    throw new InvalidDataException($"UMT5 weights: missing tensor '{name}'.");
                }
                if (!source.shape.SequenceEqual(parameter.shape))
                {
                    throw new InvalidDataException($"UMT5 weights: '{name}' has shape [{string.Join(",", source.shape)}], expected [{string.Join(",", parameter.shape)}].");
                }
                int dot = name.LastIndexOf('.');
                var loaded = new Parameter(source.to(dtype, device ?? CPU, copy: true), requires_grad: false);
                switch (modules[name[..dot]])
                {
                    case Linear linear:
                        linear.weight = loaded;
                        break;
                    case Embedding embedding:
                        embedding.weight = loaded;
                        break;
                    case T5RmsNorm norm:
                        norm.Weight = loaded;
                        break;
                    case var module:
                        throw new InvalidOperationException($"UMT5: no loader for parameter '{name}' of a {module.GetType().Name}.");
                }
            }
        }
        encoder.eval();
        return encoder;
    }

    /// <summary>
    /// SHA-256 (hex) of the weights as they are used: every parameter by name (ordinal order), dtype, shape and bytes.
    /// Two encoders with this hash produce the same embeddings, so it keys <see cref="TextEmbeddingKey"/>.
    /// </summary>
    public string WeightsSha256 => _weightsSha256 ??= HashWeights();

    /// <summary><paramref name="ids"/> and <paramref name="mask"/> int64 [B, L] → [B, L, dim] in the encoder's dtype (all rows).</summary>
    public override Tensor forward(Tensor ids, Tensor mask) => Trace(ids, mask, null);

    /// <summary>
    /// As <see cref="forward"/>, handing <paramref name="capture"/> the intermediates under the fixture's names
    /// (<c>rel_buckets</c>, <c>token_embedding</c>, <c>blocks.N</c>). They live in this call's dispose scope: to keep one,
    /// copy it and move the copy out (<c>t.clone().MoveToOuterDisposeScope()</c>).
    /// </summary>
    public Tensor Trace(Tensor ids, Tensor mask, Action<string, Tensor>? capture)
    {
        if (ids.dim() != 2 || !ids.shape.SequenceEqual(mask.shape))
        {
            throw new ArgumentException($"UMT5 input: ids [{string.Join(",", ids.shape)}] and mask [{string.Join(",", mask.shape)}] must both be [B, L].");
        }
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        Device device = _tokenEmbedding.weight!.device;
        ids = ids.to(device);
        mask = mask.to(device);
        capture?.Invoke("rel_buckets", UmT5RelativeBias.Buckets(ids.shape[1], ids.shape[1], Config.NumBuckets, Config.MaxDistance));
        Tensor x = _tokenEmbedding.forward(ids);
        capture?.Invoke("token_embedding", x);
        for (int i = 0; i < _blocks.Count; i++)
        {
            x = _blocks[i].forward(x, mask);
            capture?.Invoke($"blocks.{i}", x);
        }
        return _norm.forward(x).MoveToOuterDisposeScope();
    }

    private string HashWeights()
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (name, parameter) in named_parameters().OrderBy(p => p.name, StringComparer.Ordinal))
        {
            sha.AppendData(System.Text.Encoding.UTF8.GetBytes($"{name}|{parameter.dtype}|{string.Join(",", parameter.shape)}|"));
            using Tensor cpu = parameter.detach().cpu().contiguous();
            const long chunkRows = 1 << 12;
            Tensor flat = cpu.view(cpu.shape.Length == 0 ? 1 : cpu.shape[0], -1);
            for (long row = 0; row < flat.shape[0]; row += chunkRows)
            {
                using Tensor part = flat.narrow(0, row, Math.Min(chunkRows, flat.shape[0] - row)).contiguous();
                sha.AppendData(part.bytes);
            }
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}
