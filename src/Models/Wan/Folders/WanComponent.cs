namespace Loom.Models.Wan.Folders;

/// <summary>One part of a Wan model as found on disk.</summary>
/// <param name="Role">
/// <c>transformer</c> (single-transformer kinds), <c>high_noise</c> and <c>low_noise</c> (the two experts of an A14B
/// model), <c>vae</c>, <c>text_encoder</c>, <c>tokenizer</c> or <c>image_encoder</c> (CLIP, Wan2.1 I2V).
/// </param>
/// <param name="Path">The component's file, or its folder when it spans several files.</param>
/// <param name="Files">Every file of the component that exists, relative to the model folder ('/' separated).</param>
/// <param name="Bytes">Their total size on disk.</param>
public sealed record WanComponent(string Role, string Path, IReadOnlyList<string> Files, long Bytes);
