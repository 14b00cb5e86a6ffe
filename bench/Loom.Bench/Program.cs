using static TorchSharp.torch;
var a = randn(4, 4);
Console.WriteLine(matmul(a, a).sum().item<float>());
