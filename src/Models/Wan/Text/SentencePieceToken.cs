namespace Loom.Models.Wan.Text;

/// <summary>One token of an encoding: its id and piece (for an unknown run: the normalised text it covers).</summary>
public readonly record struct SentencePieceToken(int Id, string Piece);
