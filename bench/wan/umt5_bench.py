#!/usr/bin/env python3
"""PyTorch side of `Loom.Bench wan-text`: the UMT5 encoder written from section 3.3 of
tests/fixtures/wan/README.md (the same math as Loom's UmT5Encoder), timed on random weights at a given
width, or checked against a `t5` golden file (--check). Prints one JSON object on stdout."""
import argparse
import json
import math
import struct
import sys
import time

import torch


def rms(x, weight, eps=1e-6):
    x32 = x.float()
    y = x32 * torch.rsqrt(x32.pow(2).mean(dim=-1, keepdim=True) + eps)
    return weight * y.to(weight.dtype)


def gelu_tanh(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * torch.pow(x, 3.0))))


def buckets(length, num_buckets, max_distance=128):
    rel = torch.arange(length).unsqueeze(0) - torch.arange(length).unsqueeze(1)
    half = num_buckets // 2
    out = (rel > 0).long() * half
    dist = rel.abs()
    exact = half // 2
    large = exact + (torch.log(dist.float() / exact) / math.log(max_distance / exact) * (half - exact)).long()
    large = torch.min(large, torch.full_like(large, half - 1))
    return out + torch.where(dist < exact, dist, large)


def encode(w, ids, mask, layers, heads, num_buckets):
    x = w["token_embedding.weight"][ids]
    b, l = ids.shape
    rel = buckets(l, num_buckets)
    minimum = torch.finfo(x.dtype).min
    for i in range(layers):
        p = f"blocks.{i}."
        bias = w[p + "pos_embedding.embedding.weight"][rel].permute(2, 0, 1).unsqueeze(0).expand(b, -1, -1, -1).clone()
        bias.masked_fill_(mask.view(b, 1, 1, l) == 0, minimum)
        y = rms(x, w[p + "norm1.weight"])
        q = (y @ w[p + "attn.q.weight"].t()).view(b, l, heads, -1).transpose(1, 2)
        k = (y @ w[p + "attn.k.weight"].t()).view(b, l, heads, -1).transpose(1, 2)
        v = (y @ w[p + "attn.v.weight"].t()).view(b, l, heads, -1).transpose(1, 2)
        s = q @ k.transpose(-1, -2) + bias
        a = torch.softmax(s.float(), dim=-1).to(s.dtype)
        x = x + (a @ v).transpose(1, 2).reshape(b, l, -1) @ w[p + "attn.o.weight"].t()
        y = rms(x, w[p + "norm2.weight"])
        h = (y @ w[p + "ffn.fc1.weight"].t()) * gelu_tanh(y @ w[p + "ffn.gate.0.weight"].t())
        x = x + h @ w[p + "ffn.fc2.weight"].t()
    return rms(x, w["norm.weight"])


def read_safetensors(path):
    data = open(path, "rb").read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    types = {"F32": torch.float32, "I64": torch.int64}
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        begin, end = e["data_offsets"]
        raw = bytearray(data[8 + n + begin:8 + n + end])
        out[name] = torch.frombuffer(raw, dtype=types[e["dtype"]]).reshape(e["shape"]) if raw else torch.empty(e["shape"], dtype=types[e["dtype"]])
    return out, header.get("__metadata__", {})


def check(path):
    t, meta = read_safetensors(path)
    w = {k[len("weights."):]: v for k, v in t.items() if k.startswith("weights.")}
    heads = w["blocks.0.pos_embedding.embedding.weight"].shape[1]
    nb = w["blocks.0.pos_embedding.embedding.weight"].shape[0]
    layers = 1 + max(int(k.split(".")[1]) for k in w if k.startswith("blocks."))
    with torch.no_grad():
        y = encode(w, t["input.ids"], t["input.mask"], layers, heads, nb)
    diff = (y - t["output.y"]).abs().max().item()
    same_buckets = bool(torch.equal(buckets(t["input.ids"].shape[1], nb), t["debug.rel_buckets"]))
    return {"check": path, "max_abs": diff, "rel_buckets_equal": same_buckets}


def setup(a):
    torch.manual_seed(0)
    dtype = {"float32": torch.float32, "bfloat16": torch.bfloat16}[a.dtype]

    def rnd(*shape):
        return (torch.randn(*shape) / math.sqrt(shape[-1])).to(dtype)

    w = {"token_embedding.weight": torch.randn(a.vocab, a.dim).to(dtype), "norm.weight": torch.ones(a.dim, dtype=dtype)}
    for i in range(a.layers):
        p = f"blocks.{i}."
        w[p + "norm1.weight"] = torch.ones(a.dim, dtype=dtype)
        w[p + "norm2.weight"] = torch.ones(a.dim, dtype=dtype)
        for n in "qkv":
            w[p + f"attn.{n}.weight"] = rnd(a.dim_attn, a.dim)
        w[p + "attn.o.weight"] = rnd(a.dim, a.dim_attn)
        w[p + "ffn.gate.0.weight"] = rnd(a.dim_ffn, a.dim)
        w[p + "ffn.fc1.weight"] = rnd(a.dim_ffn, a.dim)
        w[p + "ffn.fc2.weight"] = rnd(a.dim, a.dim_ffn)
        w[p + "pos_embedding.embedding.weight"] = rnd(a.buckets, a.heads)
    ids = torch.randint(0, a.vocab, (a.batch, a.tokens))
    mask = torch.ones(a.batch, a.tokens, dtype=torch.long)
    return w, ids, mask


def forward_seconds(a, w, ids, mask):
    with torch.no_grad():
        start = time.perf_counter()
        encode(w, ids, mask, a.layers, a.heads, a.buckets)
        return time.perf_counter() - start


def bench(a):
    w, ids, mask = setup(a)
    times = [forward_seconds(a, w, ids, mask) for _ in range(a.warmup + a.repeat)][a.warmup:]
    return {"torch_version": torch.__version__, "threads": torch.get_num_threads(), "dtype": a.dtype, "seconds": times,
            "tokens": a.batch * a.tokens}


def serve(a):
    """One timed forward per 'forward' line on stdin (so a caller can interleave its own runs); 'quit' ends."""
    w, ids, mask = setup(a)
    print(json.dumps({"ready": True, "torch_version": torch.__version__, "threads": torch.get_num_threads()}), flush=True)
    for line in sys.stdin:
        if line.strip() != "forward":
            break
        print(json.dumps({"seconds": forward_seconds(a, w, ids, mask)}), flush=True)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--check", help="a t5 golden file: report max |y - output.y| instead of timing")
    p.add_argument("--dim", type=int, default=4096)
    p.add_argument("--dim-attn", type=int, default=4096)
    p.add_argument("--dim-ffn", type=int, default=10240)
    p.add_argument("--heads", type=int, default=64)
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--buckets", type=int, default=32)
    p.add_argument("--vocab", type=int, default=32128)
    p.add_argument("--batch", type=int, default=1)
    p.add_argument("--tokens", type=int, default=512)
    p.add_argument("--dtype", default="float32", choices=["float32", "bfloat16"])
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--serve", action="store_true", help="time one forward per 'forward' line on stdin")
    a = p.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    if a.serve:
        serve(a)
    else:
        print(json.dumps(check(a.check) if a.check else bench(a)))


if __name__ == "__main__":
    sys.exit(main())
