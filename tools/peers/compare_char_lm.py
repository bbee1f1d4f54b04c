"""Kindling's char-LM training step beside PyTorch's, alternating in one run.

Each round runs the Rust bench (`crates/sequence/benches/char_lm.rs`, one round) and then
`torch_char_lm.py` (one round) for every cell and thread count, so load from other programs
hits both alike; the table gives the median tokens/s over rounds and the ratio. Build the bench
first (`cargo bench -p kindling-sequence --bench char_lm --no-run`), then from the repository
root:

    /work/venv/bin/python tools/peers/compare_char_lm.py [--rounds 5] [--steps 15]
"""

import argparse
import glob
import os
import re
import statistics
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def rust_bench():
    found = [p for p in glob.glob(os.path.join(ROOT, "target/release/deps/char_lm-*")) if not p.endswith(".d")]
    if not found:
        sys.exit("build the bench first: cargo bench -p kindling-sequence --bench char_lm --no-run")
    return max(found, key=os.path.getmtime)


def rows(text):
    """(cell, threads) -> tokens/s from either program's markdown table."""
    out = {}
    for line in text.splitlines():
        m = re.match(r"\|\s*(lstm|gru)\s*\|\s*(\d+)\s*\|\s*([\d.,]+)(k?)\s*\|", line)
        if m:
            value = float(m.group(3).replace(",", "")) * (1000 if m.group(4) else 1)
            out[(m.group(1), int(m.group(2)))] = value
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--steps", type=int, default=15)
    ap.add_argument("--threads", default="1,2")
    args = ap.parse_args()
    bench = rust_bench()
    ours, theirs = {}, {}
    for r in range(args.rounds):
        out = subprocess.run([bench, "--threads", args.threads, "--rounds", "1", "--steps", str(args.steps)],
                             capture_output=True, text=True, check=True).stdout
        for k, v in rows(out).items():
            ours.setdefault(k, []).append(v)
        cmd = [sys.executable, os.path.join(HERE, "torch_char_lm.py"), "--cell", "lstm", "gru", "--threads",
               *args.threads.split(","), "--rounds", "1", "--steps", str(args.steps)]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
        for k, v in rows(out).items():
            theirs.setdefault(k, []).append(v)
        print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)
    print("| cell | threads | Kindling tokens/s | PyTorch tokens/s | ratio |")
    print("|---|---:|---:|---:|---:|")
    for key in sorted(ours):
        a, b = statistics.median(ours[key]), statistics.median(theirs.get(key, [float("nan")]))
        print(f"| {key[0]} | {key[1]} | {a / 1e3:.1f}k | {b / 1e3:.1f}k | {a / b:.2f}x |")


if __name__ == "__main__":
    main()
