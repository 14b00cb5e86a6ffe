namespace Loom.Models.Wan.Text;

/// <summary>A prompt ready for the encoder: cleaned text, ids padded to the text length, and what was cut.</summary>
/// <param name="Text">The cleaned prompt that was tokenised.</param>
/// <param name="Ids">Exactly text-length ids: the tokens, eos, then padding.</param>
/// <param name="Length">Valid ids (eos included): the rows of the embedding handed to the transformer.</param>
/// <param name="FullLength">Ids the prompt needed (eos included) before truncation.</param>
/// <param name="Warning">Null, or why the prompt was cut (<see cref="FullLength"/> exceeds the text length).</param>
public sealed record TokenizedPrompt(string Text, int[] Ids, int Length, int FullLength, string? Warning)
{
    /// <summary>The prompt lost tokens to truncation.</summary>
    public bool Truncated => FullLength > Length;
}
