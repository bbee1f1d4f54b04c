"""PyTorch CPU peer for Kindling's tiny GPT: the training-step throughput, its peak memory, and
nanoGPT's CPU recipe on Tiny Shakespeare characters, to set beside the Rust runs.

The model follows nanoGPT's architecture: token and learned position embeddings, `n_layer`
pre-norm blocks (LayerNorm -> causal self-attention through F.scaled_dot_product_attention ->
residual; LayerNorm -> Linear 4x -> GELU (exact erf form) -> Linear -> residual), a final
LayerNorm and an output head that shares its weight with the token embedding. Biases on,
dropout 0, every weight drawn from N(0, 0.02) and biases zero (nanoGPT also scales the
residual projections' init by 1/sqrt(2 n_layer); we do the same). The optimizer is AdamW,
betas (0.9, 0.99), weight decay 0.1 on parameters with two or more axes and 0 on the others.

Modes (float32, CPU):

    # Step throughput: random token batches (seeded), a warm-up, then `--steps` timed steps;
    # prints the median tokens/s (batch * block tokens per step) and the peak RSS of the
    # process (getrusage ru_maxrss: interpreter and torch libraries included).
    /work/venv/bin/python tools/peers/gpt_torch.py --mode step --threads 1 [--batch 32] [--steps 20]

    # nanoGPT's CPU recipe: batch 12, context 64, 4 layers, 4 heads, width 128, 2000
    # iterations, lr 1e-3, 100 warm-up iterations then cosine decay to 1e-4 at 2000, gradient
    # norm clipped to 1.0. Character ids of $KINDLING_DATASETS/tinyshakespeare/input.txt
    # (vocabulary = sorted distinct characters), first 90% train, last 10% validation, random
    # windows drawn by a seeded generator. Prints the training wall time and the validation
    # loss estimated over `--eval-batches` (200) random validation batches.
    KINDLING_DATASETS=/work/shared/datasets /work/venv/bin/python tools/peers/gpt_torch.py --mode recipe --threads 2

    # The same recipe run until a wall-clock budget is spent (the schedule still spans
    # `--iters`), then the validation loss.
    ... --mode budget --minutes 30 --iters 20000
"""

import argparse
import math
import os
import resource
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, n_embd, n_head):
        super().__init__()
        self.n_head = n_head
        self.ln_1 = nn.LayerNorm(n_embd)
        self.c_attn = nn.Linear(n_embd, 3 * n_embd)
        self.attn_proj = nn.Linear(n_embd, n_embd)
        self.ln_2 = nn.LayerNorm(n_embd)
        self.c_fc = nn.Linear(n_embd, 4 * n_embd)
        self.mlp_proj = nn.Linear(4 * n_embd, n_embd)

    def attend(self, x):
        b, t, c = x.shape
        q, k, v = self.c_attn(x).split(c, dim=2)
        # [B, T, C] -> [B, H, T, C/H] for each of q, k, v
        heads = lambda z: z.view(b, t, self.n_head, c // self.n_head).transpose(1, 2)
        y = F.scaled_dot_product_attention(heads(q), heads(k), heads(v), is_causal=True)
        return self.attn_proj(y.transpose(1, 2).contiguous().view(b, t, c))

    def forward(self, x):
        x = x + self.attend(self.ln_1(x))
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x))))


class TinyGpt(nn.Module):
    def __init__(self, vocab, block, n_layer, n_head, n_embd):
        super().__init__()
        self.block = block
        self.wte = nn.Embedding(vocab, n_embd)
        self.wpe = nn.Embedding(block, n_embd)
        self.h = nn.ModuleList(Block(n_embd, n_head) for _ in range(n_layer))
        self.ln_f = nn.LayerNorm(n_embd)
        self.lm_head = nn.Linear(n_embd, vocab, bias=False)
        self.lm_head.weight = self.wte.weight  # tied
        for name, p in self.named_parameters():
            if name.endswith("bias"):
                nn.init.zeros_(p)
            elif "ln_" in name:
                nn.init.ones_(p)
            elif name.endswith("proj.weight"):
                nn.init.normal_(p, 0.0, 0.02 / math.sqrt(2 * n_layer))
            else:
                nn.init.normal_(p, 0.0, 0.02)

    def loss(self, idx, targets):
        b, t = idx.shape
        x = self.wte(idx) + self.wpe(torch.arange(t))
        for block in self.h:
            x = block(x)
        logits = self.lm_head(self.ln_f(x))
        return F.cross_entropy(logits.view(b * t, -1), targets.reshape(b * t))


def make_optimizer(model, lr):
    decay = [p for p in model.parameters() if p.dim() >= 2]
    no_decay = [p for p in model.parameters() if p.dim() < 2]
    groups = [{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=lr, betas=(0.9, 0.99))


def train_step(model, opt, x, y, clip=None):
    opt.zero_grad(set_to_none=True)
    loss = model.loss(x, y)
    loss.backward()
    if clip is not None:
        torch.nn.utils.clip_grad_norm_(model.parameters(), clip)
    opt.step()
    return loss


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def mode_step(args):
    torch.manual_seed(0)
    model = TinyGpt(args.vocab, args.block, args.layers, args.heads, args.width)
    opt = make_optimizer(model, 1e-3)
    gen = torch.Generator().manual_seed(1)
    batches = [torch.randint(args.vocab, (args.batch, args.block + 1), generator=gen) for _ in range(8)]
    rss_before = peak_rss_mib()
    for i in range(args.warmup):
        xy = batches[i % len(batches)]
        train_step(model, opt, xy[:, :-1], xy[:, 1:])
    rates = []
    for i in range(args.steps):
        xy = batches[i % len(batches)]
        start = time.perf_counter()
        train_step(model, opt, xy[:, :-1], xy[:, 1:])
        rates.append(args.batch * args.block / (time.perf_counter() - start))
    print(
        f"torch step threads={args.threads} batch={args.batch} block={args.block}: "
        f"median {statistics.median(rates):.0f} tokens/s (min {min(rates):.0f}, max {max(rates):.0f}), "
        f"peak RSS {peak_rss_mib():.0f} MiB (before training {rss_before:.0f} MiB)"
    )


def load_chars():
    root = os.environ.get("KINDLING_DATASETS")
    if not root:
        raise SystemExit("set KINDLING_DATASETS to the folder holding tinyshakespeare/input.txt")
    text = open(os.path.join(root, "tinyshakespeare", "input.txt"), encoding="utf-8").read()
    chars = sorted(set(text))
    index = {c: i for i, c in enumerate(chars)}
    ids = torch.tensor([index[c] for c in text], dtype=torch.long)
    split = int(0.9 * len(ids))
    return len(chars), ids[:split], ids[split:]


def get_batch(data, batch, block, gen):
    starts = torch.randint(len(data) - block, (batch,), generator=gen)
    x = torch.stack([data[s : s + block] for s in starts])
    y = torch.stack([data[s + 1 : s + 1 + block] for s in starts])
    return x, y


def lr_at(it, lr, min_lr, warmup, decay_iters):
    if it < warmup:
        return lr * (it + 1) / (warmup + 1)
    if it > decay_iters:
        return min_lr
    ratio = (it - warmup) / (decay_iters - warmup)
    return min_lr + 0.5 * (1.0 + math.cos(math.pi * ratio)) * (lr - min_lr)


@torch.no_grad()
def eval_loss(model, data, args, gen):
    losses = [model.loss(*get_batch(data, args.batch, args.block, gen)).item() for _ in range(args.eval_batches)]
    return sum(losses) / len(losses)


def mode_recipe(args, budget_s=None):
    vocab, train, val = load_chars()
    torch.manual_seed(args.seed)
    model = TinyGpt(vocab, args.block, args.layers, args.heads, args.width)
    opt = make_optimizer(model, args.lr)
    gen = torch.Generator().manual_seed(args.seed)
    start = time.perf_counter()
    it = 0
    while it < args.iters:
        if budget_s is not None and time.perf_counter() - start >= budget_s:
            break
        for group in opt.param_groups:
            group["lr"] = lr_at(it, args.lr, args.min_lr, args.warmup_iters, args.iters)
        loss = train_step(model, opt, *get_batch(train, args.batch, args.block, gen), clip=1.0)
        if it % 500 == 0:
            print(f"  iter {it}: train loss {loss.item():.4f} ({time.perf_counter() - start:.1f} s)", flush=True)
        it += 1
    wall = time.perf_counter() - start
    val_loss = eval_loss(model, val, args, torch.Generator().manual_seed(args.seed + 1))
    print(
        f"torch recipe threads={args.threads}: {it} iterations in {wall:.1f} s "
        f"({it * args.batch * args.block / wall:.0f} tokens/s), val loss {val_loss:.4f} "
        f"over {args.eval_batches} batches, peak RSS {peak_rss_mib():.0f} MiB"
    )


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--mode", choices=["step", "recipe", "budget"], default="step")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--batch", type=int, default=None, help="32 for step, 12 for the recipe")
    p.add_argument("--block", type=int, default=64)
    p.add_argument("--layers", type=int, default=4)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--width", type=int, default=128)
    p.add_argument("--vocab", type=int, default=65)
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--iters", type=int, default=2000)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--min-lr", type=float, default=1e-4)
    p.add_argument("--warmup-iters", type=int, default=100)
    p.add_argument("--eval-batches", type=int, default=200)
    p.add_argument("--minutes", type=float, default=30.0)
    p.add_argument("--seed", type=int, default=1337)
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    if args.batch is None:
        args.batch = 32 if args.mode == "step" else 12
    if args.mode == "step":
        mode_step(args)
    elif args.mode == "recipe":
        mode_recipe(args)
    else:
        mode_recipe(args, budget_s=args.minutes * 60.0)


if __name__ == "__main__":
    main()
