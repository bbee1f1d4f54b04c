"""PyTorch CPU twin of the generation half of Kindling's `gpt_speed` example: the tiny GPT
(4 layers, 4 heads, width 128, vocabulary 65) with a context of 256, generating 255 tokens
from a one-token prompt by sampling at temperature 1, with and without a key-value cache.
Float32, random weights (speed does not depend on them), tokens/s = 255 / wall seconds,
median of `--runs` runs after one warm-up run.

    /work/venv/bin/python tools/peers/gpt_generate_torch.py [--threads 1 2] [--runs 3]

Without the cache each step runs the whole context (cropped to 256) and keeps the last
position's logits, as nanoGPT's `generate` does; with it, the prompt is encoded once and each
step runs one token, attending to the cached keys and values (preallocated, written in place).
"""

import argparse
import statistics
import time

import torch
from torch import nn
from torch.nn import functional as F

VOCAB, CONTEXT, LAYERS, HEADS, WIDTH = 65, 256, 4, 4, 128


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.ln_1, self.ln_2 = nn.LayerNorm(WIDTH), nn.LayerNorm(WIDTH)
        self.c_attn, self.attn_proj = nn.Linear(WIDTH, 3 * WIDTH), nn.Linear(WIDTH, WIDTH)
        self.c_fc, self.mlp_proj = nn.Linear(WIDTH, 4 * WIDTH), nn.Linear(4 * WIDTH, WIDTH)

    def attention(self, x, cache, start):
        b, t, c = x.shape
        q, k, v = (z.view(b, t, HEADS, c // HEADS).transpose(1, 2) for z in self.c_attn(x).split(c, dim=2))
        if cache is None:
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:
            keys, values = cache
            keys[:, :, start : start + t] = k
            values[:, :, start : start + t] = v
            k, v = keys[:, :, : start + t], values[:, :, : start + t]
            # One new token sees every cached key; a prompt from an empty cache is causal.
            y = F.scaled_dot_product_attention(q, k, v, is_causal=t > 1)
        return self.attn_proj(y.transpose(1, 2).reshape(b, t, c))

    def forward(self, x, cache=None, start=0):
        x = x + self.attention(self.ln_1(x), cache, start)
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x))))


class Gpt(nn.Module):
    def __init__(self):
        super().__init__()
        self.wte, self.wpe = nn.Embedding(VOCAB, WIDTH), nn.Embedding(CONTEXT, WIDTH)
        self.h = nn.ModuleList(Block() for _ in range(LAYERS))
        self.ln_f = nn.LayerNorm(WIDTH)

    def last_logits(self, idx, caches=None, start=0):
        t = idx.shape[1]
        x = self.wte(idx) + self.wpe(torch.arange(start, start + t))
        for i, block in enumerate(self.h):
            x = block(x, None if caches is None else caches[i], start)
        return self.ln_f(x[:, -1]) @ self.wte.weight.T


@torch.no_grad()
def generate(model, new, cached, generator):
    tokens = torch.zeros(1, 1, dtype=torch.long)
    shape = (1, HEADS, CONTEXT, WIDTH // HEADS)
    caches = [(torch.zeros(shape), torch.zeros(shape)) for _ in range(LAYERS)] if cached else None
    done = 0
    for _ in range(new):
        if cached:
            logits = model.last_logits(tokens[:, done:], caches, done)
            done = tokens.shape[1]
        else:
            logits = model.last_logits(tokens[:, -CONTEXT:])
        nxt = torch.multinomial(F.softmax(logits, dim=-1), 1, generator=generator)
        tokens = torch.cat([tokens, nxt], dim=1)
    return tokens


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    torch.manual_seed(0)
    model = Gpt().eval()
    print("| PyTorch generation to context 256 | threads | KV cache | no cache | speed-up |")
    print("|---|---|---|---|---|")
    for threads in args.threads:
        torch.set_num_threads(threads)
        rates = {True: [], False: []}
        for run in range(args.runs + 1):
            for cached in (True, False):  # alternate, so outside load hits both alike
                start = time.perf_counter()
                out = generate(model, CONTEXT - 1, cached, torch.Generator().manual_seed(run))
                assert out.shape[1] == CONTEXT
                if run > 0:
                    rates[cached].append((CONTEXT - 1) / (time.perf_counter() - start))
        with_cache, without = statistics.median(rates[True]), statistics.median(rates[False])
        print(f"| tiny GPT, f32 | {threads} | {with_cache:.0f} tokens/s | {without:.0f} tokens/s | {with_cache / without:.1f}× |")


if __name__ == "__main__":
    main()
