"""NumPy (OpenBLAS) SGEMM throughput, in the same output format as the Rust `peers` binary.

Usage: python numpy_sgemm.py [--threads N] [--rounds R] [--secs S] [shapes...]
A shape is N (square) or MxKxN. Threads are set with threadpoolctl (falls back to the
OPENBLAS_NUM_THREADS environment variable, which must then be set before starting Python).
"""

import argparse
import statistics
import time

import numpy as np

try:
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover
    threadpool_limits = None

DEFAULT_SHAPES = ["128", "256", "512", "1024", "2048", "128x784x256", "128x256x128"]


def parse_shape(s):
    dims = [int(d) for d in s.split("x")]
    return (dims[0],) * 3 if len(dims) == 1 else tuple(dims)


def median_seconds(secs, f):
    f()
    times, start = [], time.perf_counter()
    while len(times) < 3 or time.perf_counter() - start < secs:
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--secs", type=float, default=0.3)
    ap.add_argument("shapes", nargs="*", default=DEFAULT_SHAPES)
    args = ap.parse_args()
    limits = threadpool_limits(limits=args.threads) if threadpool_limits else None  # noqa: F841 (kept alive)
    rng = np.random.default_rng(1)
    print(f"# numpy {np.__version__} threads={args.threads} rounds={args.rounds} secs/sample={args.secs}")
    print(f"{'shape':<16} {'library':<15} {'median':>9} {'min':>9} {'max':>9}")
    for shape in args.shapes:
        m, k, n = parse_shape(shape)
        a = rng.random((m, k), dtype=np.float32) - 0.5
        b = rng.random((k, n), dtype=np.float32) - 0.5
        c = np.empty((m, n), dtype=np.float32)
        flops = 2.0 * m * n * k
        r = sorted(flops / median_seconds(args.secs, lambda: np.matmul(a, b, out=c)) / 1e9 for _ in range(args.rounds))
        print(f"{f'{m}x{k}x{n}':<16} {'numpy':<15} {r[len(r) // 2]:>9.1f} {r[0]:>9.1f} {r[-1]:>9.1f}")


if __name__ == "__main__":
    main()
