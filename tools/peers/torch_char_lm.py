"""PyTorch CPU reference for Kindling's character-level language model (embedding -> LSTM or
GRU -> linear over 65 characters), to compare with the Rust model on the same machine.

Model: Embedding(65, 64) -> LSTM(64, hidden) (GRU with `--cell gru`; `--layers` stacked,
hidden 256 by default) -> Linear(hidden, 65). Batches are 32 windows x 64 time steps, the loss
is the mean cross-entropy over all 32*64 predicted characters, and one training step is
zero_grad, forward, loss, backward, clip_grad_norm_(params, 1.0), Adam(lr 2e-3) step.

Three modes, all float32 on the CPU:

    # Throughput (random token batches, seeded): per thread count and cell, the median over
    # rounds of tokens/s (32*64 tokens per step); each round times `--steps` steps after a
    # warm-up, and the rounds alternate configurations so that outside load hits them alike.
    /work/venv/bin/python tools/peers/torch_char_lm.py [--cell lstm gru] [--threads 1 2] [--rounds 7]

    # Peak memory: one fresh subprocess per configuration trains `--steps` (default 50) steps
    # and reports its peak RSS (getrusage ru_maxrss). That includes the Python interpreter and
    # the torch libraries; the RSS just before the first step is printed beside it so that the
    # increase due to training is visible.
    /work/venv/bin/python tools/peers/torch_char_lm.py --peak-memory [--cell lstm gru] [--threads 1 2]

    # Training on Tiny Shakespeare ($KINDLING_DATASETS/tinyshakespeare/input.txt): vocabulary
    # = sorted distinct characters (65), first 90% train / last 10% validation, random
    # windows of 64+1 characters. Every `--eval-every` steps the validation loss (mean
    # cross-entropy, nats/char) is computed over a fixed, evenly spaced set of
    # `--val-batches` x 32 windows (the same windows every time and every run, each from a
    # zero state). Prints wall seconds (evaluation included), training-only seconds, step,
    # train loss (mean over the steps since the last report) and validation loss; stops
    # after `--max-seconds` or once the validation loss reaches `--target`, then prints when
    # the validation loss first went below 1.60, 1.56, 1.55 and 1.50.
    KINDLING_DATASETS=/work/shared/datasets /work/venv/bin/python tools/peers/torch_char_lm.py \
        --train [--cell lstm] [--hidden 256] [--layers 1] [--lr 2e-3] [--threads 1] \
        [--eval-every 200] [--max-seconds 200] [--target 1.50]
"""

import argparse
import math
import json
import os
import resource
import statistics
import subprocess
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

VOCAB = 65
EMBED = 64
BATCH = 32
STEPS_T = 64
THRESHOLDS = [1.60, 1.56, 1.55, 1.50]


class CharLM(nn.Module):
    def __init__(self, cell="lstm", vocab=VOCAB, embed=EMBED, hidden=256, layers=1, dropout=0.0):
        super().__init__()
        rnn = {"lstm": nn.LSTM, "gru": nn.GRU}[cell]
        self.embed = nn.Embedding(vocab, embed)
        self.rnn = rnn(embed, hidden, num_layers=layers, batch_first=True, dropout=dropout)
        self.head = nn.Linear(hidden, vocab)

    def forward(self, tokens):
        out, _ = self.rnn(self.embed(tokens))
        return self.head(out)


def make_trainer(model, lr, schedule=None):
    """One training step per call; `schedule(step)` (if given) sets the learning rate first."""
    params = list(model.parameters())
    opt = torch.optim.Adam(params, lr=lr)
    count = [0]

    def step(batch):
        if schedule is not None:
            for group in opt.param_groups:
                group["lr"] = schedule(count[0])
        count[0] += 1
        x, y = batch[:, :-1], batch[:, 1:]
        opt.zero_grad()
        logits = model(x)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        return loss

    return step


def random_batches(count, seed=0):
    g = torch.Generator().manual_seed(seed)
    return [torch.randint(0, VOCAB, (BATCH, STEPS_T + 1), generator=g) for _ in range(count)]


def rss_mib():
    """Current resident set size, from /proc (Linux)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


# ---------------------------------------------------------------- throughput


def throughput(args):
    cells = args.cell or ["lstm", "gru"]
    batches = random_batches(8)
    configs, rates = [], {}
    for cell in cells:
        torch.manual_seed(0)
        model = CharLM(cell, hidden=args.hidden, layers=args.layers)
        step = make_trainer(model, args.lr)
        for t in args.threads:
            configs.append((cell, t, step))
            rates[(cell, t)] = []
    for cell, t, step in configs:  # warm-up, each configuration with its thread count
        torch.set_num_threads(t)
        for i in range(args.warmup):
            step(batches[i % len(batches)])
    for _ in range(args.rounds):
        for cell, t, step in configs:
            torch.set_num_threads(t)
            start = time.perf_counter()
            for i in range(args.steps):
                step(batches[i % len(batches)])
            secs = time.perf_counter() - start
            rates[(cell, t)].append(args.steps * BATCH * STEPS_T / secs)
    print(f"torch {torch.__version__}, hidden {args.hidden}, layers {args.layers}, batch {BATCH}x{STEPS_T}, "
          f"{args.steps} steps per round, {args.rounds} rounds")
    print("| cell | threads | tokens/s (median) | min-max | ms/step |")
    print("|---|---|---|---|---|")
    for (cell, t), v in rates.items():
        med = statistics.median(v)
        print(f"| {cell} | {t} | {med:,.0f} | {min(v):,.0f}-{max(v):,.0f} | {BATCH * STEPS_T / med * 1e3:.1f} |")


# ---------------------------------------------------------------- peak memory


def memory_child(args):
    cell, t = args.memory_child[0], int(args.memory_child[1])
    torch.set_num_threads(t)
    torch.manual_seed(0)
    model = CharLM(cell, hidden=args.hidden, layers=args.layers)
    step = make_trainer(model, args.lr)
    batches = random_batches(8)
    before, peak_before = rss_mib(), peak_rss_mib()
    for i in range(args.steps):
        step(batches[i % len(batches)])
    print(json.dumps({"cell": cell, "threads": t, "steps": args.steps, "rss_before": before,
                      "peak_before": peak_before, "rss_after": rss_mib(), "peak": peak_rss_mib()}))


def peak_memory(args):
    cells = args.cell or ["lstm", "gru"]
    steps = args.steps if args.steps_given else 50
    print(f"torch {torch.__version__}, hidden {args.hidden}, layers {args.layers}, batch {BATCH}x{STEPS_T}, "
          f"{steps} training steps per fresh process")
    print("RSS in MiB; every figure includes the Python interpreter and the torch libraries.")
    print("| cell | threads | RSS before training | peak RSS after training | increase |")
    print("|---|---|---|---|---|")
    for cell in cells:
        for t in args.threads:
            cmd = [sys.executable, os.path.abspath(__file__), "--memory-child", cell, str(t),
                   "--steps", str(steps), "--hidden", str(args.hidden), "--layers", str(args.layers)]
            out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
            m = json.loads(out.strip().splitlines()[-1])
            print(f"| {cell} | {t} | {m['rss_before']:.0f} | {m['peak']:.0f} | {m['peak'] - m['rss_before']:.0f} |")


# ---------------------------------------------------------------- training on Tiny Shakespeare


def load_text():
    root = os.environ.get("KINDLING_DATASETS")
    if not root:
        sys.exit("SKIPPED: KINDLING_DATASETS is unset (e.g. /work/shared/datasets)")
    for sub in ["tinyshakespeare", "tiny-shakespeare", "tiny_shakespeare"]:
        path = os.path.join(root, sub, "input.txt")
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                return path, f.read()
    sys.exit(f"no tinyshakespeare/input.txt under {root}")


def train(args):
    if args.cell and len(args.cell) > 1:
        sys.exit("--train takes one --cell")
    cell = (args.cell or ["lstm"])[0]
    torch.set_num_threads(args.threads[0])
    path, text = load_text()
    chars = sorted(set(text))
    index = {c: i for i, c in enumerate(chars)}
    data = torch.tensor([index[c] for c in text], dtype=torch.long)
    split = int(0.9 * len(data))
    train_data, val_data = data[:split], data[split:]
    window = STEPS_T + 1

    # Fixed validation windows of `--eval-len` characters, evenly spaced over the validation
    # text with chapter 10's rounding (`validation_batches`), each read from a zero state.
    eval_len = args.eval_len
    n_val = args.eval_windows or args.val_batches * BATCH
    last_start = len(val_data) - eval_len - 1
    starts = [k * last_start // (n_val - 1) if n_val > 1 else 0 for k in range(n_val)]
    val_windows = torch.stack([val_data[s : s + eval_len + 1] for s in starts])

    def schedule(step):
        """Chapter 10's `LmConfig::lr_at`: linear warm-up, then cosine decay to --min-lr."""
        if args.total_steps is None:
            return args.lr
        if step < args.warmup_steps:
            return args.lr * (step + 1) / args.warmup_steps
        span = max(args.total_steps - args.warmup_steps, 1)
        progress = min((step - args.warmup_steps) / span, 1.0)
        return args.min_lr + (args.lr - args.min_lr) * 0.5 * (1 + math.cos(math.pi * progress))

    torch.manual_seed(args.seed)
    model = CharLM(cell, vocab=len(chars), embed=args.embed, hidden=args.hidden, layers=args.layers,
                   dropout=args.dropout)
    step = make_trainer(model, args.lr, schedule)
    g = torch.Generator().manual_seed(args.seed)
    offsets = torch.arange(window)

    def next_batch():
        s = torch.randint(0, len(train_data) - window + 1, (BATCH,), generator=g)
        return train_data[s.unsqueeze(1) + offsets]

    def val_loss():
        model.eval()
        total = 0.0
        with torch.no_grad():
            for b in range(0, n_val, BATCH):
                w = val_windows[b : b + BATCH]
                logits = model(w[:, :-1])
                total += F.cross_entropy(logits.reshape(-1, logits.shape[-1]), w[:, 1:].reshape(-1), reduction="sum").item()
        model.train()
        return total / (n_val * eval_len)

    print(f"torch {torch.__version__}, {path}: {len(text):,} chars, vocab {len(chars)}, "
          f"train {len(train_data):,} / val {len(val_data):,}")
    print(f"cell {cell}, embed {args.embed}, hidden {args.hidden}, layers {args.layers}, dropout {args.dropout}, "
          f"lr {args.lr} (warm-up {args.warmup_steps}, cosine to {args.min_lr} over {args.total_steps} steps), "
          f"threads {args.threads[0]}, batch {BATCH}x{STEPS_T}, {n_val} fixed validation windows of {eval_len}, "
          f"eval every {args.eval_every} steps")
    print(f"{'wall_s':>8} {'train_s':>8} {'step':>6} {'train_loss':>10} {'val_loss':>9}")
    crossed = {}
    start = time.perf_counter()
    train_secs, n, since, running = 0.0, 0, 0, 0.0
    done = False
    while not done:
        t0 = time.perf_counter()
        loss = step(next_batch())
        running += loss.item()
        train_secs += time.perf_counter() - t0
        n += 1
        since += 1
        out_of_time = time.perf_counter() - start >= args.max_seconds
        finished = args.total_steps is not None and n >= args.total_steps
        if n % args.eval_every == 0 or out_of_time or finished:
            v = val_loss()
            wall = time.perf_counter() - start
            print(f"{wall:8.1f} {train_secs:8.1f} {n:6d} {running / since:10.4f} {v:9.4f}", flush=True)
            running, since = 0.0, 0
            for th in THRESHOLDS:
                if v < th and th not in crossed:
                    crossed[th] = (wall, train_secs, n)
            done = out_of_time or finished or (args.target is not None and v <= args.target)
    for th in THRESHOLDS:
        if th in crossed:
            wall, ts, s = crossed[th]
            print(f"val loss < {th:.2f}: at {wall:.1f} s wall ({ts:.1f} s training), step {s}")
        else:
            print(f"val loss < {th:.2f}: not reached")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cell", nargs="+", choices=["lstm", "gru"], default=None,
                    help="cells to measure (default lstm gru; --train: lstm)")
    ap.add_argument("--threads", type=int, nargs="+", default=None,
                    help="torch.set_num_threads values (default 1 2; --train: 1, the first is used)")
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--steps", type=int, default=None,
                    help="training steps per round (default 20), or per --peak-memory process (default 50)")
    ap.add_argument("--warmup", type=int, default=3, help="untimed steps per configuration")
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--layers", type=int, default=1)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--peak-memory", action="store_true")
    ap.add_argument("--train", action="store_true")
    ap.add_argument("--eval-every", type=int, default=200)
    ap.add_argument("--val-batches", type=int, default=64, help="validation windows / 32 (unless --eval-windows)")
    ap.add_argument("--eval-windows", type=int, default=None, help="validation windows (chapter 10 --full: 256)")
    ap.add_argument("--eval-len", type=int, default=STEPS_T, help="characters per validation window (--full: 256)")
    ap.add_argument("--embed", type=int, default=EMBED)
    ap.add_argument("--dropout", type=float, default=0.0, help="between recurrent layers")
    ap.add_argument("--warmup-steps", type=int, default=0)
    ap.add_argument("--total-steps", type=int, default=None,
                    help="cosine-decay the learning rate to --min-lr over this many steps, then stop")
    ap.add_argument("--min-lr", type=float, default=1e-4)
    ap.add_argument("--max-seconds", type=float, default=200.0)
    ap.add_argument("--target", type=float, default=None, help="stop once the validation loss is at or below this")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--memory-child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    args.steps_given = args.steps is not None
    if args.steps is None:
        args.steps = 20
    if args.memory_child:
        memory_child(args)
    elif args.train:
        args.threads = args.threads or [1]
        train(args)
    else:
        args.threads = args.threads or [1, 2]
        if args.peak_memory:
            peak_memory(args)
        else:
            throughput(args)


if __name__ == "__main__":
    main()
