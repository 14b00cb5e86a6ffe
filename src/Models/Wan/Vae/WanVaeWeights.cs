using System.Collections;
using System.Text.Json;
using Loom.Models.Weights;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Loom.Models.Wan.Vae;

/// <summary>
/// Loads a <see cref="WanVae"/> from the official pickle (<c>Wan2.1_VAE.pth</c>), from safetensors with official or
/// Diffusers names (detected), or from a Diffusers <c>vae/</c> folder (<c>config.json</c> +
/// <c>diffusion_pytorch_model.safetensors</c>). Every parameter must be present with its exact shape and nothing else
/// may be: errors name the tensor and the file.
/// </summary>
public static class WanVaeWeights
{
    /// <summary>The Diffusers weight file inside a <c>vae/</c> folder.</summary>
    public const string DiffusersWeights = "diffusion_pytorch_model.safetensors";

    /// <summary>
    /// Loads <paramref name="path"/>: a folder is a Diffusers <c>vae/</c>; <c>.safetensors</c> and <c>.pth</c>/<c>.pt</c>
    /// files hold a state dict. <paramref name="config"/> defaults to the folder's <c>config.json</c>, else the official
    /// shape with the width and latent channels read from the weights.
    /// </summary>
    public static WanVae Load(string path, ScalarType dtype = ScalarType.Float32, WanVaeConfig? config = null)
    {
        if (Directory.Exists(path))
        {
            return LoadDiffusers(path, dtype, config);
        }
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"VAE weights: {path} does not exist.", path);
        }
        Dictionary<string, Tensor> weights = path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase)
            ? SafeTensors.Load(path).Tensors
            : ReadPth(path);
        try
        {
            return FromWeights(weights, config, path, dtype);
        }
        finally
        {
            weights.Values.ToList().ForEach(t => t.Dispose());
        }
    }

    /// <summary>A Diffusers <c>vae/</c> folder; its <c>config.json</c> (if present) gives the shape and the latent statistics.</summary>
    public static WanVae LoadDiffusers(string folder, ScalarType dtype = ScalarType.Float32, WanVaeConfig? config = null)
    {
        string file = Path.Combine(folder, DiffusersWeights);
        if (!File.Exists(file))
        {
            throw new FileNotFoundException($"Diffusers VAE folder {folder}: no {DiffusersWeights}.", file);
        }
        IReadOnlyList<float>? mean = null, inverseStd = null;
        string configFile = Path.Combine(folder, "config.json");
        if (File.Exists(configFile))
        {
            using JsonDocument json = JsonDocument.Parse(File.ReadAllBytes(configFile));
            config ??= WanVaeConfig.FromJson(json.RootElement, configFile);
            if (json.RootElement.TryGetProperty("latents_mean", out JsonElement m) && json.RootElement.TryGetProperty("latents_std", out JsonElement s))
            {
                mean = m.EnumerateArray().Select(e => e.GetSingle()).ToArray();
                inverseStd = s.EnumerateArray().Select(e => 1f / e.GetSingle()).ToArray();
            }
        }
        Dictionary<string, Tensor> weights = SafeTensors.Load(file).Tensors;
        try
        {
            return FromWeights(weights, config, file, dtype, mean, inverseStd);
        }
        finally
        {
            weights.Values.ToList().ForEach(t => t.Dispose());
        }
    }

    /// <summary>Every tensor of an official PyTorch pickle (<c>torch.save(state_dict)</c>), by name.</summary>
    public static Dictionary<string, Tensor> ReadPth(string path)
    {
        using FileStream stream = File.OpenRead(path);
        Hashtable table;
        try
        {
            table = PyTorchUnpickler.UnpickleStateDict(stream);
        }
        catch (Exception e) when (e is not IOException)
        {
            throw new InvalidDataException($"{path}: not a PyTorch state-dict pickle ({e.Message}).", e);
        }
        var tensors = new Dictionary<string, Tensor>();
        foreach (DictionaryEntry entry in table)
        {
            tensors[(string)entry.Key] = entry.Value as Tensor
                ?? throw new InvalidDataException($"{path}: entry '{entry.Key}' is not a tensor.");
        }
        return tensors;
    }

    /// <summary>
    /// A VAE with <paramref name="weights"/> (official or Diffusers names) copied in and converted to
    /// <paramref name="dtype"/>. <paramref name="config"/> defaults to the official shape with <c>dim</c> and
    /// <c>z_dim</c> read from the weights.
    /// </summary>
    public static WanVae FromWeights(IReadOnlyDictionary<string, Tensor> weights, WanVaeConfig? config, string source,
        ScalarType dtype = ScalarType.Float32, IReadOnlyList<float>? mean = null, IReadOnlyList<float>? inverseStd = null)
    {
        bool diffusers = WanVaeNames.AreDiffusers(weights.Keys);
        config ??= Infer(weights, diffusers, source);
        var vae = new WanVae(config, mean, inverseStd);
        try
        {
            Copy(vae, weights, diffusers, source);
            vae.to(dtype);
            vae.eval();
            return vae;
        }
        catch
        {
            vae.Dispose();
            throw;
        }
    }

    /// <summary>
    /// A VAE of <paramref name="config"/> with random weights drawn as the golden fixtures draw them (convolutions
    /// N(0, 1/fan_in), biases N(0, 0.2²), norm scales U(0.5, 1.5)), for benchmarks and tests of shapes no checkpoint has.
    /// </summary>
    public static WanVae Random(WanVaeConfig config, long seed, ScalarType dtype = ScalarType.Float32)
    {
        var vae = new WanVae(config);
        var generator = new Generator((ulong)seed);
        using (no_grad())
        {
            foreach (var (name, p) in vae.named_parameters())
            {
                if (name.EndsWith(".gamma", StringComparison.Ordinal))
                {
                    p.uniform_(0.5, 1.5, generator);
                }
                else if (name.EndsWith(".bias", StringComparison.Ordinal))
                {
                    p.normal_(0, 0.2, generator);
                }
                else
                {
                    p.normal_(0, 1 / Math.Sqrt(p.numel() / p.shape[0]), generator);
                }
            }
        }
        vae.to(dtype);
        vae.eval();
        return vae;
    }

    private static void Copy(WanVae vae, IReadOnlyDictionary<string, Tensor> weights, bool diffusers, string source)
    {
        var used = new HashSet<string>();
        using var noGrad = no_grad();
        foreach (var (name, parameter) in vae.named_parameters())
        {
            string stored = diffusers ? WanVaeNames.ToDiffusers(name, vae.Config) : name;
            if (!weights.TryGetValue(stored, out Tensor? value))
            {
                throw new InvalidDataException($"{source}: missing VAE weight '{stored}' [{string.Join(", ", parameter.shape)}].");
            }
            if (!value.shape.SequenceEqual(parameter.shape))
            {
                throw new InvalidDataException($"{source}: VAE weight '{stored}' is [{string.Join(", ", value.shape)}], the model needs [{string.Join(", ", parameter.shape)}] (config {Describe(vae.Config)}).");
            }
            parameter.copy_(value);
            used.Add(stored);
        }
        string? extra = weights.Keys.FirstOrDefault(k => !used.Contains(k));
        if (extra is not null)
        {
            throw new InvalidDataException($"{source}: unexpected tensor '{extra}' for a VAE of config {Describe(vae.Config)}.");
        }
    }

    private static WanVaeConfig Infer(IReadOnlyDictionary<string, Tensor> weights, bool diffusers, string source)
    {
        string first = diffusers ? "encoder.conv_in.weight" : "encoder.conv1.weight";
        string last = diffusers ? "post_quant_conv.weight" : "conv2.weight";
        return weights.TryGetValue(first, out Tensor? conv) && weights.TryGetValue(last, out Tensor? post)
            ? WanVaeConfig.Official with { Dim = (int)conv.shape[0], ZDim = (int)post.shape[0] }
            : throw new InvalidDataException($"{source}: no '{first}' or '{last}', so not a Wan VAE state dict.");
    }

    private static string Describe(WanVaeConfig c) =>
        $"dim {c.Dim}, z_dim {c.ZDim}, dim_mult [{string.Join(",", c.DimMult)}], num_res_blocks {c.NumResBlocks}, temperal_downsample [{string.Join(",", c.TemporalDownsample)}]";
}
