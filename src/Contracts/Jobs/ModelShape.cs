namespace Loom.Contracts.Jobs;

/// <summary>
/// What a model accepts: its frame size, its patch (sizes must be multiples), the longest window it sees, and whether
/// it takes a text prompt. A model that renders any size (Wan) has Height and Width 0.
/// </summary>
/// <param name="Name">What jobs call it.</param>
/// <param name="Height">The only frame height it renders; 0 for any multiple of <paramref name="Patch"/>.</param>
/// <param name="Width">The only frame width it renders; 0 for any multiple of <paramref name="Patch"/>.</param>
/// <param name="Patch">Frame sizes in pixels must be multiples of this.</param>
/// <param name="MaxWindow">The longest window in latent frames.</param>
/// <param name="Sha256">Identity of its weights.</param>
/// <param name="TextConditioned">True when it takes a prompt.</param>
/// <param name="Family">Its family: "" for the pixel-space models, <c>wan</c> for Wan.</param>
/// <param name="Kind">Wan: <c>t2v</c>, <c>i2v</c>, <c>t2v-a14b</c> or <c>i2v-a14b</c>; "" otherwise.</param>
/// <param name="Experts">Transformers that take turns by timestep (2 for Wan2.2 A14B).</param>
/// <param name="ImageToVideo">True when it needs the first frame as an image.</param>
[GenerateSerializer, Alias("loom.model-shape"), Immutable]
public sealed record ModelShape(string Name, int Height, int Width, int Patch, int MaxWindow, string Sha256, bool TextConditioned = false,
    string Family = "", string Kind = "", int Experts = 1, bool ImageToVideo = false);
