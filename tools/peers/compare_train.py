"""Training steps and small-batch inference: Kindling, PyTorch and JAX alternating in one run.

Each round runs `kindling bench train` (one and two threads, in one process), then
`train_step.py` for PyTorch and for JAX at each thread count (one process each; one thread
pinned to a core with `taskset`). Prints the median over rounds and Kindling's ratio to each
peer (above 1 means Kindling is faster), as a markdown table.

    cargo build --release
    /work/venv/bin/python tools/peers/compare_train.py [--rounds 3] [--rows mlp_sgd_b128 ...]
"""

import argparse
import collections
import os
import shutil
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def parse_kindling(out, results):
    threads = None
    for line in out.splitlines():
        parts = line.split()
        if parts[:2] == ["row", "unit"]:
            threads = [int(p) for p in parts[2:] if p.isdigit()]
        elif threads and len(parts) == 2 + len(threads) and parts[1] in ("steps/s", "us"):
            for t, value in zip(threads, parts[2:]):
                results[("kindling", parts[0], t)].append(float(value))


def parse_peer(lib, threads, out, results):
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and not line.startswith("#"):
            results[(lib, parts[0], threads)].append(float(parts[2]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", default=f"1,{os.cpu_count()}")
    ap.add_argument("--bin", default=os.path.join(ROOT, "target/release/kindling"))
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--rows", nargs="*", default=[])
    args = ap.parse_args()
    threads = [int(t) for t in args.threads.split(",")]
    pin = shutil.which("taskset")
    env = dict(os.environ, JAX_PLATFORMS="cpu")
    results = collections.defaultdict(list)
    units = {}
    for r in range(args.rounds):
        out = subprocess.run([args.bin, "bench", "train", *args.rows], check=True, capture_output=True, text=True).stdout
        parse_kindling(out, results)
        for line in out.splitlines():
            parts = line.split()
            if len(parts) > 2 and parts[1] in ("steps/s", "us"):
                units[parts[0]] = parts[1]
        for lib in ("torch", "jax"):
            for t in threads:
                cmd = [args.python, os.path.join(HERE, "train_step.py"), "--lib", lib, "--threads", str(t)]
                if t == 1 and pin:
                    cmd = [pin, "-c", "0", *cmd]
                out = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env).stdout
                parse_peer(lib, t, out, results)
        print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)
    rows = [row for row in units if not args.rows or row in args.rows]
    print("| row | unit | threads | Kindling | PyTorch | JAX | vs PyTorch | vs JAX |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        for t in threads:
            med = {lib: statistics.median(results[(lib, row, t)]) if results[(lib, row, t)] else float("nan")
                   for lib in ("kindling", "torch", "jax")}
            # Above 1: Kindling faster (more steps/s, or fewer microseconds).
            ratio = (lambda peer: med["kindling"] / med[peer]) if units[row] == "steps/s" else (lambda peer: med[peer] / med["kindling"])
            print(f"| {row} | {units[row]} | {t} | {med['kindling']:.1f} | {med['torch']:.1f} | {med['jax']:.1f} "
                  f"| {ratio('torch'):.2f} | {ratio('jax'):.2f} |")


if __name__ == "__main__":
    main()
