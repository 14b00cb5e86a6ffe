namespace Loom.Models.Wan.Text;

/// <summary>One vocabulary entry of a SentencePiece model: its text (whitespace written as U+2581), log-probability and kind.</summary>
public sealed record SentencePiece(string Piece, float Score, SentencePieceType Type);
