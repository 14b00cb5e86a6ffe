using Google.Protobuf;
using Loom.Client.Cli;
using Loom.Client.Outputs;
using Loom.Protos.V1;

namespace Loom.Client.Rendering;

/// <summary>The first frame of an image-to-video render (<c>--image</c>), read as RGB bytes into the spec.</summary>
internal static class RenderImage
{
    /// <summary>
    /// Reads <paramref name="path"/> into <paramref name="request"/>'s <c>image</c>; the video takes the image's size
    /// unless the request gives one, and then the two must agree (the server refuses any other size too).
    /// </summary>
    public static void Attach(JobSpec request, string path)
    {
        if (!File.Exists(path))
        {
            throw new CliException(ExitCodes.Usage, $"--image: '{path}' does not exist (in {Environment.CurrentDirectory}).", "image");
        }
        (byte[] rgb, int height, int width) = ImageFrames.ReadRgb(path);
        if ((request.HasWidth && request.Width != width) || (request.HasHeight && request.Height != height))
        {
            throw new CliException(ExitCodes.Usage,
                $"--image: '{path}' is {width}x{height}; the video is {(request.HasWidth ? request.Width : width)}x{(request.HasHeight ? request.Height : height)}. Give an image of the video's size, or leave out --size.", "image");
        }
        request.Width = width;
        request.Height = height;
        request.Image = ByteString.CopyFrom(rgb);
    }
}
