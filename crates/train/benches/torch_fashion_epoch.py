"""One epoch of the course's Fashion-MNIST MLP in PyTorch on the CPU, for comparison with
`cargo bench -p kindling-train --bench fashion_epoch`.

    KINDLING_DATASETS=../shared/datasets /work/venv/bin/python crates/train/benches/torch_fashion_epoch.py

Same model (784-128-64-10, ReLU), optimizer (Adam, lr 1e-3), batch size (64) and shuffling
per epoch. The data is read from the IDX gz files with gzip + numpy and kept as one float
tensor in memory; batches are gathered by index, as Kindling's TensorDataset does. The
table also shows the time spent fetching batches, timed the same way.
"""

import gzip
import os
import sys
import time

import numpy as np
import torch


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load(folder, split):
    prefix = "train" if split == "train" else "t10k"
    images = read_idx(os.path.join(folder, f"{prefix}-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(folder, f"{prefix}-labels-idx1-ubyte.gz"))
    x = torch.from_numpy(images.astype(np.float32) / 255.0).reshape(len(images), -1)
    y = torch.from_numpy(labels.astype(np.int64))
    return x, y


def main():
    root = os.environ.get("KINDLING_DATASETS")
    if not root:
        print("SKIPPED: KINDLING_DATASETS is unset", file=sys.stderr)
        return
    folder = os.path.join(root, "fashion-mnist")
    x, y = load(folder, "train")
    tx, ty = load(folder, "test")
    threads = torch.get_num_threads()
    print(f"PyTorch {torch.__version__}, {threads} threads, one epoch of {len(x)} images, batch 64")
    torch.manual_seed(0)
    model = torch.nn.Sequential(
        torch.nn.Linear(784, 128), torch.nn.ReLU(), torch.nn.Linear(128, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10)
    )
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    order = torch.randperm(len(x))
    start = time.perf_counter()
    waited = 0.0
    model.train()
    for i in range(0, len(x), 64):
        asked = time.perf_counter()
        idx = order[i : i + 64]
        xb, yb = x.index_select(0, idx), y.index_select(0, idx)
        waited += time.perf_counter() - asked
        loss = loss_fn(model(xb), yb)
        opt.zero_grad()
        loss.backward()
        opt.step()
    seconds = time.perf_counter() - start
    model.eval()
    with torch.no_grad():
        acc = (model(tx).argmax(1) == ty).float().mean().item()
    print(f"{'epoch s':>10} {'samples/s':>12} {'wait %':>8} {'test acc':>9}")
    print(f"{seconds:>10.3f} {len(x) / seconds:>12.0f} {100 * waited / seconds:>7.2f}% {acc:>9.4f}")


if __name__ == "__main__":
    main()
