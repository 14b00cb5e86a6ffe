using Loom.Models.Weights;
using static TorchSharp.torch;

namespace Loom.Models.Wan.Transformer;

/// <summary>
/// Fills a <see cref="WanTransformer"/>'s parameters from a checkpoint under official or Diffusers names (detected),
/// tensor by tensor, converting each straight into its parameter's dtype. Every parameter must be found with its exact
/// shape and every checkpoint tensor must be used: anything else is an error naming the tensor and its file.
/// </summary>
public static class WanWeightLoader
{
    /// <summary>Loads <paramref name="source"/> into <paramref name="model"/>; returns whether the names were Diffusers'.</summary>
    /// <exception cref="InvalidDataException">A tensor is missing, unexpected or mis-shaped; the message names it and its file.</exception>
    public static bool Load(WanTransformer model, ITensorSource source)
    {
        bool diffusers = WanWeightNames.AreDiffusers(source.Names);
        var byOfficial = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string stored in source.Names)
        {
            string official = diffusers ? WanWeightNames.ToOfficial(stored) ?? stored : stored;
            byOfficial[official] = stored;
        }
        var parameters = model.named_parameters().ToList();
        var wanted = parameters.Select(p => p.name).ToHashSet(StringComparer.Ordinal);
        string[] missing = parameters.Select(p => p.name).Where(n => !byOfficial.ContainsKey(n)).ToArray();
        string[] unexpected = byOfficial.Where(kv => !wanted.Contains(kv.Key)).Select(kv => kv.Value).ToArray();
        if (missing.Length > 0 || unexpected.Length > 0)
        {
            string origin = source.Names.Count > 0 ? source.Origin(source.Names.First()) : "the checkpoint";
            var problems = new List<string>();
            if (missing.Length > 0)
            {
                problems.Add($"missing tensor{(missing.Length > 1 ? "s" : "")} " + string.Join(", ", missing.Take(8).Select(n => $"'{(diffusers ? WanWeightNames.ToDiffusers(n) ?? n : n)}'"))
                    + (missing.Length > 8 ? $" and {missing.Length - 8} more" : ""));
            }
            if (unexpected.Length > 0)
            {
                problems.Add($"unexpected tensor{(unexpected.Length > 1 ? "s" : "")} " + string.Join(", ", unexpected.Take(8).Select(n => $"'{n}' (in {source.Origin(n)})"))
                    + (unexpected.Length > 8 ? $" and {unexpected.Length - 8} more" : ""));
            }
            throw new InvalidDataException($"{origin}: the checkpoint does not fit {model.Config} ({(diffusers ? "Diffusers" : "official")} names): {string.Join("; ", problems)}.");
        }
        using (no_grad())
        {
            foreach (var (name, parameter) in parameters)
            {
                source.ReadInto(byOfficial[name], parameter);
            }
        }
        return diffusers;
    }

    /// <summary>
    /// The width of the CLIP image tokens when the checkpoint has <c>img_emb</c> (Wan2.1 I2V), else null (t2v, Wan2.2).
    /// </summary>
    public static int? ImageDim(ITensorSource source)
    {
        foreach (string name in new[] { "img_emb.proj.0.weight", "condition_embedder.image_embedder.norm1.weight" })
        {
            if (source.Names.Contains(name))
            {
                return checked((int)source.Shape(name)[0]);
            }
        }
        return null;
    }
}
