"""Alternating comparison: Kindling vs the gemm crate, matrixmultiply and NumPy (OpenBLAS).

Runs `rounds` rounds; each round runs the Rust `peers` binary (all Rust libraries, alternating
inside the process) and then the NumPy script, for each thread count. Reports the median and
the min..max over rounds, as a markdown table. Usage (from tools/peers, after `cargo build
--release`):

    /work/venv/bin/python compare.py [--rounds 5] [--threads 1,2] [--wait-idle 0.9] [shapes...]
"""

import argparse
import collections
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
LIBS = ["kindling", "gemm", "matrixmultiply", "numpy"]


def cpu_times():
    with open("/proc/stat") as f:
        fields = [int(x) for x in f.readline().split()[1:]]
    return sum(fields), fields[3] + fields[4]  # total, idle + iowait


def wait_idle(min_idle, timeout=600.0, window=2.0):
    """Blocks until the whole machine was at least `min_idle` idle over `window` seconds
    (Linux only), so that other programs do not skew multi-threaded figures."""
    start = time.time()
    while time.time() - start < timeout:
        t0, i0 = cpu_times()
        time.sleep(window)
        t1, i1 = cpu_times()
        if (i1 - i0) >= min_idle * max(t1 - t0, 1):
            return True
    print("warning: machine never went idle, measuring anyway", file=sys.stderr)
    return False


def parse(out, threads, results):
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 5 and not line.startswith("#") and parts[0] != "shape":
            results[(parts[0], parts[1], threads)].append(float(parts[2]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--threads", default=f"1,{os.cpu_count()}")
    ap.add_argument("--secs", default="0.3")
    ap.add_argument("--wait-idle", type=float, default=0.0, help="before each run, wait until the CPUs are this idle (0.9 = 90%%)")
    ap.add_argument("--bin", default=os.environ.get("PEERS_BIN", os.path.join(HERE, "target/release/kindling-peers")))
    ap.add_argument("shapes", nargs="*", default=["128", "256", "512", "1024", "2048", "128x784x256", "128x256x128"])
    args = ap.parse_args()
    threads = [int(t) for t in args.threads.split(",")]
    results = collections.defaultdict(list)
    for r in range(args.rounds):
        for t in threads:
            common = ["--threads", str(t), "--rounds", "1", "--secs", args.secs] + args.shapes
            if args.wait_idle:
                wait_idle(args.wait_idle)
            rust = subprocess.run([args.bin, "--libs", "kindling,gemm,matrixmultiply"] + common, capture_output=True, text=True, check=True)
            parse(rust.stdout, t, results)
            if args.wait_idle:
                wait_idle(args.wait_idle)
            py = subprocess.run([sys.executable, os.path.join(HERE, "numpy_sgemm.py")] + common, capture_output=True, text=True, check=True)
            parse(py.stdout, t, results)
        print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)
    shapes = list(dict.fromkeys(k[0] for k in results))
    header = "| shape | threads | " + " | ".join(LIBS) + " | kindling / best peer |"
    print(header)
    print("|---|---:|" + "---:|" * (len(LIBS) + 1))
    for s in shapes:
        for t in threads:
            med = {lib: statistics.median(results[(s, lib, t)]) for lib in LIBS if results[(s, lib, t)]}
            cells = []
            for lib in LIBS:
                v = results[(s, lib, t)]
                cells.append(f"{statistics.median(v):.1f} ({min(v):.0f}–{max(v):.0f})" if v else "–")
            best_peer = max(med[lib] for lib in LIBS[1:] if lib in med)
            print(f"| {s} | {t} | " + " | ".join(cells) + f" | {100 * med['kindling'] / best_peer:.0f}% |")


if __name__ == "__main__":
    main()
