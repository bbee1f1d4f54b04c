"""Kindling's word2vec beside gensim's on Tiny Shakespeare, alternating in one run.

Each round runs the Rust bench (`crates/sequence/benches/word2vec.rs`, one round) and then
`gensim_word2vec.py` (one round) for skip-gram and CBOW, each on 1 and 2 threads, so load from
other programs hits both alike. The table gives the median effective words/s (gensim's figure)
and raw words/s over rounds, and the ratio Kindling / gensim. Build the bench first
(`cargo bench -p kindling-sequence --bench word2vec --no-run`), then from the repository root:

    KINDLING_DATASETS=... /work/venv/bin/python tools/peers/compare_word2vec.py [--rounds 3]
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
LINE = re.compile(r"^\s+(kindling threads|gensim workers)=(\d+): (\d+) effective words/s, (\d+) raw words/s")


def rust_bench():
    found = [p for p in glob.glob(os.path.join(ROOT, "target/release/deps/word2vec-*")) if not p.endswith(".d")]
    if not found:
        sys.exit("build the bench first: cargo bench -p kindling-sequence --bench word2vec --no-run")
    return max(found, key=os.path.getmtime)


def run(cmd, results, arch):
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    for line in out.splitlines():
        m = LINE.match(line)
        if m:
            who = "kindling" if m.group(1).startswith("kindling") else "gensim"
            results.setdefault((arch, who, int(m.group(2))), []).append((float(m.group(3)), float(m.group(4))))
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--threads", default="1,2")
    args = p.parse_args()
    bench = rust_bench()
    results = {}
    for r in range(args.rounds):
        for arch in ["--sg", "--cbow"]:
            out = run([bench, arch, "--threads", args.threads, "--rounds", "1"], results, arch)
            if r == 0:
                print(out)
            out = run([sys.executable, os.path.join(HERE, "gensim_word2vec.py"), arch, "--workers", args.threads,
                       "--rounds", "1"], results, arch)
            if r == 0:
                print(out)
        print(f"round {r + 1} done; load {os.getloadavg()[0]:.2f}", flush=True)
    print("| model | threads | Kindling eff. w/s | gensim eff. w/s | ratio | Kindling raw w/s | gensim raw w/s |")
    print("|---|---|---|---|---|---|---|")
    for arch in ["--sg", "--cbow"]:
        for t in [int(x) for x in args.threads.split(",")]:
            k, g = results[(arch, "kindling", t)], results[(arch, "gensim", t)]
            ke, ge = statistics.median(x[0] for x in k), statistics.median(x[0] for x in g)
            kr, gr = statistics.median(x[1] for x in k), statistics.median(x[1] for x in g)
            name = "skip-gram" if arch == "--sg" else "CBOW"
            print(f"| {name} | {t} | {ke:,.0f} | {ge:,.0f} | {ke / ge:.2f} | {kr:,.0f} | {gr:,.0f} |")


if __name__ == "__main__":
    main()
