namespace Loom.Models.Wan.Text;

/// <summary>The kind of a SentencePiece vocabulary entry (<c>ModelProto.SentencePiece.Type</c>).</summary>
public enum SentencePieceType
{
    /// <summary>An ordinary piece found by the segmentation.</summary>
    Normal = 1,

    /// <summary>The unknown piece (<c>&lt;unk&gt;</c>).</summary>
    Unknown = 2,

    /// <summary>A control symbol (<c>&lt;pad&gt;</c>, <c>&lt;/s&gt;</c>): never produced from text, decodes to nothing.</summary>
    Control = 3,

    /// <summary>A user-defined symbol: always one piece when it occurs in the text.</summary>
    UserDefined = 4,

    /// <summary>Kept in the vocabulary but never produced.</summary>
    Unused = 5,

    /// <summary>A byte-fallback piece <c>&lt;0xNN&gt;</c>.</summary>
    Byte = 6,
}
