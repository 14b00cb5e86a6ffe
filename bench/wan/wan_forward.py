"""PyTorch side of `Loom.Bench wan-forward`: the Wan2.1 DiT forward written from tests/fixtures/wan/README.md
(section 3.1), run on the same weights and inputs as the TorchSharp side.

  python3 wan_forward.py fixture FILE                 -> JSON: max abs of output.y against a dit_t2v/dit_i2v golden file
  python3 wan_forward.py time FILE --repeats R --threads T --dtype float32|bfloat16 --out OUT
                                                     -> JSON: per-run seconds and a per-part breakdown; output.y to OUT
FILE holds config (metadata), weights.* and input.* like the golden files.
"""
import json
import math
import struct
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

DTYPES = {"F32": np.float32, "I64": np.int64, "F64": np.float64}


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    meta = header.pop("__metadata__", {})
    tensors = {}
    for name, e in header.items():
        b, end = e["data_offsets"]
        arr = np.frombuffer(data, dtype=DTYPES[e["dtype"]], count=(end - b) // np.dtype(DTYPES[e["dtype"]]).itemsize,
                            offset=8 + n + b).reshape(e["shape"])
        tensors[name] = torch.from_numpy(arr.copy())
    return tensors, meta


def write_safetensors(path, tensors):
    header, blobs, off = {}, [], 0
    for name, t in tensors.items():
        b = t.detach().float().contiguous().numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


class Timer:
    def __init__(self):
        self.parts = {}

    def __call__(self, part, fn, *a):
        start = time.perf_counter()
        y = fn(*a)
        self.parts[part] = self.parts.get(part, 0.0) + time.perf_counter() - start
        return y


class Wan:
    def __init__(self, cfg, w, dtype):
        self.c, self.dtype = cfg, dtype
        keep32 = lambda n: "norm" in n or "modulation" in n or n.startswith("time_")
        self.w = {n: (t if keep32(n) else t.to(dtype)) for n, t in w.items()}
        self.heads = cfg["num_heads"]
        self.eps = cfg.get("eps", 1e-6)
        self.t = Timer()

    def lin(self, x, n):
        return F.linear(x.to(self.w[n + ".weight"].dtype), self.w[n + ".weight"], self.w.get(n + ".bias"))

    def rms(self, x, n):
        f = x.float()
        return (f * torch.rsqrt(f.pow(2).mean(-1, keepdim=True) + self.eps)).type_as(x).float() * self.w[n + ".weight"]

    def ln(self, x, n=None, eps=None):
        d = x.shape[-1]
        wt = self.w.get(n + ".weight") if n else None
        bs = self.w.get(n + ".bias") if n else None
        return F.layer_norm(x.float(), (d,), wt, bs, self.eps if eps is None else eps)

    def rope_tables(self, d, f, h, w):
        c = d // 2
        pairs = [c - 2 * (c // 3), c // 3, c // 3]
        tabs = []
        for n, k in zip((f, h, w), pairs):
            inv = 1.0 / torch.pow(10000.0, torch.arange(0, 2 * k, 2, dtype=torch.float64) / (2 * k))
            tabs.append(torch.outer(torch.arange(n, dtype=torch.float64), inv))
        ang = torch.cat([tabs[0][:, None, None, :].expand(f, h, w, -1), tabs[1][None, :, None, :].expand(f, h, w, -1),
                         tabs[2][None, None, :, :].expand(f, h, w, -1)], -1).reshape(f * h * w, 1, c)
        return torch.cos(ang).float(), torch.sin(ang).float()

    @staticmethod
    def rope(x, cos, sin):
        b, l, n, d = x.shape
        p = x.float().reshape(b, l, n, d // 2, 2)
        x0, x1 = p[..., 0], p[..., 1]
        return torch.stack([x0 * cos - x1 * sin, x0 * sin + x1 * cos], -1).reshape(b, l, n, d)

    def attend(self, q, k, v):
        b, l = q.shape[:2]
        q, k, v = (t.to(self.dtype).transpose(1, 2) for t in (q, k, v))
        s = torch.matmul(q, k.transpose(-1, -2)) * (1.0 / math.sqrt(q.shape[-1]))
        o = torch.matmul(torch.softmax(s.float(), -1).to(self.dtype), v)
        return o.transpose(1, 2).reshape(b, l, -1)

    def forward(self, x, t, context, clip=None, y=None):
        c, T = self.c, self.t
        if y is not None:
            x = torch.cat([x, y], 1)
        b, cin, Fr, H, W = x.shape
        pt, ph, pw = c.get("patch_size", [1, 2, 2])
        f, h, w = Fr // pt, H // ph, W // pw
        L = f * h * w
        dim = c["dim"]
        patches = x.reshape(b, cin, f, pt, h, ph, w, pw).permute(0, 2, 4, 6, 1, 3, 5, 7).reshape(b, L, -1)
        wp = self.w["patch_embedding.weight"]
        x = T("patch+time+text", lambda: F.linear(patches.to(wp.dtype), wp.reshape(dim, -1), self.w["patch_embedding.bias"]).float())
        half = c["freq_dim"] // 2
        tt = t.to(torch.float64).reshape(-1, 1).expand(b, 1)
        ang = tt * torch.pow(10000.0, -torch.arange(half, dtype=torch.float64) / half)
        sin = torch.cat([torch.cos(ang), torch.sin(ang)], 1).float()
        e = self.lin(F.silu(self.lin(sin, "time_embedding.0")), "time_embedding.2")
        e0 = self.lin(F.silu(e), "time_projection.1").reshape(b, 6, dim)
        ctx = torch.cat([context, context.new_zeros(b, c["text_len"] - context.shape[1], context.shape[2])], 1)
        text = T("patch+time+text", lambda: self.lin(F.gelu(self.lin(ctx, "text_embedding.0"), approximate="tanh"), "text_embedding.2"))
        img = None
        if clip is not None:
            z = self.ln(clip, "img_emb.proj.0", 1e-5)
            z = self.lin(F.gelu(self.lin(z, "img_emb.proj.1")), "img_emb.proj.3")
            img = self.ln(z, "img_emb.proj.4", 1e-5)
        cos, sn = self.rope_tables(dim // self.heads, f, h, w)
        nh = self.heads
        for i in range(c["num_layers"]):
            p = f"blocks.{i}."
            m = (self.w[p + "modulation"] + e0).chunk(6, 1)
            u = self.ln(x) * (1 + m[1]) + m[0]
            q = T("self-attn projections", lambda: self.lin(u, p + "self_attn.q"))
            k = T("self-attn projections", lambda: self.lin(u, p + "self_attn.k"))
            v = T("self-attn projections", lambda: self.lin(u, p + "self_attn.v"))
            q, k = T("norms+rope+elementwise", lambda: (self.rope(self.rms(q, p + "self_attn.norm_q").reshape(b, L, nh, -1), cos, sn),
                                                         self.rope(self.rms(k, p + "self_attn.norm_k").reshape(b, L, nh, -1), cos, sn)))
            a = T("self-attn softmax(qk)v", lambda: self.attend(q, k, v.reshape(b, L, nh, -1)))
            x = x + T("self-attn projections", lambda: self.lin(a, p + "self_attn.o")).float() * m[2]
            u = self.ln(x, p + "norm3")

            def cross():
                q = self.rms(self.lin(u, p + "cross_attn.q"), p + "cross_attn.norm_q").reshape(b, L, nh, -1)
                k = self.rms(self.lin(text, p + "cross_attn.k"), p + "cross_attn.norm_k").reshape(b, -1, nh, dim // nh)
                v = self.lin(text, p + "cross_attn.v").reshape(b, -1, nh, dim // nh)
                o = self.attend(q, k, v)
                if img is not None:
                    ki = self.rms(self.lin(img, p + "cross_attn.k_img"), p + "cross_attn.norm_k_img").reshape(b, -1, nh, dim // nh)
                    vi = self.lin(img, p + "cross_attn.v_img").reshape(b, -1, nh, dim // nh)
                    o = o + self.attend(q, ki, vi)
                return self.lin(o, p + "cross_attn.o")
            x = x + T("cross-attn", cross).float()
            u = self.ln(x) * (1 + m[4]) + m[3]
            g = T("ffn", lambda: self.lin(F.gelu(self.lin(u, p + "ffn.0"), approximate="tanh"), p + "ffn.2"))
            x = x + g.float() * m[5]
        mh = (self.w["head.modulation"] + e.unsqueeze(1)).chunk(2, 1)
        out = self.lin(self.ln(x) * (1 + mh[1]) + mh[0], "head.head")
        co = c["out_dim"]
        return out.reshape(b, f, h, w, pt, ph, pw, co).permute(0, 7, 1, 4, 2, 5, 3, 6).reshape(b, co, Fr, H, W).float()


def load(path, dtype=torch.float32):
    tensors, meta = read_safetensors(path)
    cfg = json.loads(meta["config"])
    w = {k[len("weights."):]: v for k, v in tensors.items() if k.startswith("weights.")}
    inp = {k[len("input."):]: v for k, v in tensors.items() if k.startswith("input.")}
    return Wan(cfg, w, dtype), inp, tensors


def run(model, inp):
    unsq = lambda n: inp[n].unsqueeze(0) if n in inp and inp[n].dim() in (2, 4) else inp.get(n)
    return model.forward(unsq("x"), inp["t"], unsq("context"), inp.get("clip_fea"), unsq("y"))


def main():
    mode, path = sys.argv[1], sys.argv[2]
    opts = dict(zip(sys.argv[3::2], sys.argv[4::2]))
    torch.set_num_threads(int(opts.get("--threads", torch.get_num_threads())))
    dtype = {"float32": torch.float32, "bfloat16": torch.bfloat16}[opts.get("--dtype", "float32")]
    with torch.no_grad():
        model, inp, tensors = load(path, dtype)
        if mode == "fixture":
            y = run(model, inp)[0]
            print(json.dumps({"max_abs": float((y - tensors["output.y"]).abs().max())}))
            return
        seconds = []
        y = run(model, inp)  # warm-up
        model.t.parts.clear()
        repeats = int(opts.get("--repeats", "3"))
        for _ in range(repeats):
            start = time.perf_counter()
            y = run(model, inp)
            seconds.append(time.perf_counter() - start)
        write_safetensors(opts["--out"], {"output.y": y})
        parts = {k: v / repeats for k, v in model.t.parts.items()}
        print(json.dumps({"seconds": seconds, "parts": parts, "torch": torch.__version__, "threads": torch.get_num_threads()}))


if __name__ == "__main__":
    main()
