"""PyTorch CPU timings for the shapes of `benches/conv.rs` and `benches/tinyvgg_step.rs`.

Run beside the Rust benches, in the same session, with the same thread counts:

    /work/venv/bin/python crates/vision/benches/torch_reference.py [--threads 1 2] [--rounds 7]

Prints, per thread count, the median over rounds of
- one TinyVGG training step (batch 32, 1x28x28, hidden 10, SGD lr 0.1) in steps/s;
- conv2d forward + backward (input, weight and bias gradients) per TinyVGG layer shape, in
  GFLOP/s counted as 3 passes x 2 x MACs (the Rust bench's unit) and ms per call;
- with `--only epoch` (and KINDLING_DATASETS set): one epoch of TinyVGG on Fashion-MNIST's
  60,000 training images, batch 32, SGD lr 0.1, shuffled, best of 2 after a 200-batch
  warm-up, and the test accuracy, as `benches/tinyvgg_epoch.rs` does. Batches are gathered
  by index from one in-memory tensor (faster than torch's DataLoader).
"""

import argparse
import gzip
import os
import statistics
import sys
import time

import numpy as np

import torch
import torch.nn as nn
import torch.nn.functional as F

LAYERS = [
    ("conv1_1x28x28_to_10", 32, 1, 10, 28),
    ("conv2_10x28x28_to_10", 32, 10, 10, 28),
    ("conv3_10x14x14_to_10", 32, 10, 10, 14),
]


class TinyVGG(nn.Module):
    def __init__(self, cin=1, hidden=10, classes=10):
        super().__init__()

        def block(c):
            return nn.Sequential(
                nn.Conv2d(c, hidden, 3, 1, 1), nn.ReLU(),
                nn.Conv2d(hidden, hidden, 3, 1, 1), nn.ReLU(),
                nn.MaxPool2d(2))

        self.block_1 = block(cin)
        self.block_2 = block(hidden)
        self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(hidden * 7 * 7, classes))

    def forward(self, x):
        return self.classifier(self.block_2(self.block_1(x)))


def time_per_call(fn, min_time=1.0, warmup=5):
    for _ in range(warmup):
        fn()
    calls, start = 0, time.perf_counter()
    while True:
        fn()
        calls += 1
        elapsed = time.perf_counter() - start
        if elapsed >= min_time:
            return elapsed / calls


def step_rate(rounds):
    torch.manual_seed(0)
    model = TinyVGG()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    x = torch.rand(32, 1, 28, 28)
    y = torch.randint(0, 10, (32,))

    def step():
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()

    return statistics.median(1.0 / time_per_call(step) for _ in range(rounds))


def conv_rate(n, cin, cout, s, rounds):
    x = torch.randn(n, cin, s, s, requires_grad=True)
    w = torch.randn(cout, cin, 3, 3, requires_grad=True)
    b = torch.randn(cout, requires_grad=True)
    dy = torch.randn(n, cout, s, s)
    macs = n * cout * s * s * cin * 9

    def call():
        x.grad = w.grad = b.grad = None
        F.conv2d(x, w, b, padding=1).backward(dy)

    secs = statistics.median(time_per_call(call) for _ in range(rounds))
    return 6 * macs / secs / 1e9, secs * 1e3


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def fashion(split):
    folder = os.path.join(os.environ["KINDLING_DATASETS"], "fashion-mnist")
    prefix = "train" if split == "train" else "t10k"
    images = read_idx(os.path.join(folder, f"{prefix}-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(folder, f"{prefix}-labels-idx1-ubyte.gz"))
    x = torch.from_numpy(images.astype(np.float32) / 255.0).reshape(len(images), 1, 28, 28)
    return x, torch.from_numpy(labels.astype(np.int64))


def epoch_seconds():
    x, y = fashion("train")
    tx, ty = fashion("test")
    torch.manual_seed(0)
    model = TinyVGG()
    opt = torch.optim.SGD(model.parameters(), lr=0.1)

    def run(batches):
        order = torch.randperm(len(x))
        start = time.perf_counter()
        for i in range(0, min(len(x), 32 * batches), 32):
            idx = order[i : i + 32]
            loss = F.cross_entropy(model(x.index_select(0, idx)), y.index_select(0, idx))
            opt.zero_grad()
            loss.backward()
            opt.step()
        return time.perf_counter() - start

    run(200)
    best = min(run(len(x)) for _ in range(2))
    with torch.no_grad():
        acc = (model(tx).argmax(1) == ty).float().mean().item()
    return best, acc


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--only", choices=["step", "conv", "epoch"], default=None)
    args = ap.parse_args()
    print(f"torch {torch.__version__}")
    for t in args.threads:
        torch.set_num_threads(t)
        if args.only == "epoch":
            if "KINDLING_DATASETS" not in os.environ:
                print("SKIPPED: KINDLING_DATASETS is unset", file=sys.stderr)
                return
            secs, acc = epoch_seconds()
            print(f"threads={t} torch_tinyvgg_epoch: {secs:.2f} s ({60000 / secs:.0f} images/s), test accuracy {acc:.4f}")
            continue
        if args.only != "conv":
            print(f"threads={t} torch_tinyvgg_step: {step_rate(args.rounds):.1f} steps/s")
        if args.only != "step":
            for name, n, cin, cout, s in LAYERS:
                gflops, ms = conv_rate(n, cin, cout, s, args.rounds)
                print(f"threads={t} torch_conv_fwd_bwd/{name}: {gflops:.2f} GFLOP/s ({ms:.3f} ms)")


if __name__ == "__main__":
    main()
