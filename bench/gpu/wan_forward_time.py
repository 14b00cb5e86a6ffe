"""Times one forward pass of a Wan2.1-shaped diffusion transformer (random weights) per temporal window, on a GPU.

Loom's scaling benchmark simulates shards by waiting a calibrated forward time; this gives that time for video models
of the class Loom targets, measured rather than guessed. The blocks have Wan2.1's widths, depths and token counts
(self-attention over the window's patches, cross-attention to 512 text tokens, a GELU MLP); weights are random, since
only the time matters. Usage: python3 wan_forward_time.py [--model 1.3b|14b] [--frames 21,6] (latent frames per window).
"""
import argparse, json, statistics, time

import torch
import torch.nn as nn
import torch.nn.functional as F

CONFIGS = {"1.3b": dict(dim=1536, ffn=8960, heads=12, layers=30), "14b": dict(dim=5120, ffn=13824, heads=40, layers=40)}


class Block(nn.Module):
    def __init__(self, dim, ffn, heads):
        super().__init__()
        self.heads = heads
        self.norm1 = nn.LayerNorm(dim, elementwise_affine=False)
        self.qkv, self.out = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)
        self.norm2 = nn.LayerNorm(dim)
        self.q2, self.kv2, self.out2 = nn.Linear(dim, dim), nn.Linear(dim, 2 * dim), nn.Linear(dim, dim)
        self.norm3 = nn.LayerNorm(dim, elementwise_affine=False)
        self.mlp = nn.Sequential(nn.Linear(dim, ffn), nn.GELU(approximate="tanh"), nn.Linear(ffn, dim))

    def forward(self, x, text):
        b, n, d = x.shape
        h = self.heads
        q, k, v = self.qkv(self.norm1(x)).view(b, n, 3, h, d // h).permute(2, 0, 3, 1, 4)
        x = x + self.out(F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(b, n, d))
        q = self.q2(self.norm2(x)).view(b, n, h, d // h).transpose(1, 2)
        k, v = self.kv2(text).view(b, -1, 2, h, d // h).permute(2, 0, 3, 1, 4)
        x = x + self.out2(F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(b, n, d))
        return x + self.mlp(self.norm3(x))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="1.3b,14b")
    parser.add_argument("--frames", default="21,6")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    device = torch.device("cuda")
    rows = []
    for name in args.model.split(","):
        c = CONFIGS[name]
        with torch.device(device):
            blocks = nn.ModuleList(Block(c["dim"], c["ffn"], c["heads"]) for _ in range(c["layers"])).to(torch.bfloat16)
        text = torch.randn(1, 512, c["dim"], device=device, dtype=torch.bfloat16)
        for frames in (int(f) for f in args.frames.split(",")):
            tokens = frames * (480 // 16) * (832 // 16)  # 480x832, VAE /8, patch 1x2x2
            x = torch.randn(1, tokens, c["dim"], device=device, dtype=torch.bfloat16)
            times = []
            with torch.inference_mode():
                for i in range(args.repeats + 2):
                    torch.cuda.synchronize()
                    started = time.perf_counter()
                    y = x
                    for block in blocks:
                        y = block(y, text)
                    torch.cuda.synchronize()
                    if i >= 2:
                        times.append(time.perf_counter() - started)
            rows.append(dict(model=name, latent_frames=frames, tokens=tokens, ms=round(1000 * statistics.median(times), 1)))
            print(json.dumps(rows[-1]), flush=True)
        del blocks
        torch.cuda.empty_cache()
    print(torch.cuda.get_device_name(0))


if __name__ == "__main__":
    main()
