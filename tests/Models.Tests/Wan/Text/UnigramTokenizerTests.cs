using Loom.Models.Wan.Fixtures;
using Loom.Models.Wan.Text;

namespace Loom.Models.Tests.Wan.Text;

public sealed class UnigramTokenizerTests
{
    [Fact]
    public void EveryReferenceCaseOfBothModelsMatchesExactly()
    {
        string path = WanFixtureFiles.Path("tokenizer_cases.json");
        IReadOnlyList<TensorCheck> checks = WanFixtureRunners.For(path).Run(path);

        Assert.Equal(36, checks.Count);
        Assert.All(checks, c => Assert.True(c.Pass, $"{c.Name}: {c.Detail}"));
    }

    [Fact]
    public void UnknownRunsMergeWithoutByteFallbackAndSpellBytesWithIt()
    {
        var nfkc = new UnigramTokenizer(SentencePieceModel.Load(WanFixtureFiles.Path("tokenizer_unigram_nfkc.model")));
        var bytes = new UnigramTokenizer(SentencePieceModel.Load(WanFixtureFiles.Path("tokenizer_unigram_bytefallback.model")));

        IReadOnlyList<SentencePieceToken> merged = nfkc.Encode("☃✈⌘");
        SentencePieceToken single = Assert.Single(merged, t => t.Id == nfkc.Model.UnkId);
        Assert.Equal("☃✈⌘", single.Piece);
        Assert.Equal(9, bytes.Encode("☃✈⌘").Count(t => bytes.Model.Pieces[t.Id].Type == SentencePieceType.Byte));
        Assert.Equal("☃✈⌘", bytes.Decode(bytes.EncodeIds("☃✈⌘")));
    }

    [Fact]
    public void ModelHeaderIsReadFromTheProto()
    {
        SentencePieceModel model = SentencePieceModel.Load(WanFixtureFiles.Path("tokenizer_unigram_nfkc.model"));

        Assert.Equal((0, 1, 2, -1), (model.PadId, model.EosId, model.UnkId, model.BosId));
        Assert.Equal("nmt_nfkc", model.NormalizerName);
        Assert.NotEmpty(model.PrecompiledCharsMap);
        Assert.False(model.ByteFallback);
        Assert.Throws<InvalidDataException>(() => SentencePieceModel.Parse([0x0A, 0x05, 0x01]));
    }
}
