using System.Security.Cryptography;
using System.Text;

namespace Loom.Models.Wan.Text;

/// <summary>
/// What a prompt's embedding is a pure function of: the text encoder's identity (SHA-256 of its weights, folded with
/// its tokenizer and text length: <see cref="UmT5TextEncoder.Identity"/>) and the cleaned prompt. <see cref="ContentHash"/>
/// names the embedding anywhere (a shard asks for it by that hash).
/// </summary>
/// <param name="EncoderIdentity">Hex SHA-256 identifying the encoder (weights, tokenizer, text length).</param>
/// <param name="Text">The cleaned prompt.</param>
public readonly record struct TextEmbeddingKey(string EncoderIdentity, string Text)
{
    /// <summary>Hex SHA-256 of the identity and the UTF-8 text (separated by a NUL, which neither contains).</summary>
    public string ContentHash => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(EncoderIdentity + "\0" + Text)));
}
