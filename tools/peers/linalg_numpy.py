"""NumPy's side of `cargo run --release -p kindling-tensor --example linalg_vs_numpy`.

Each op is one line in OPS: the input it needs and the call timed. The example starts this
script with --serve and sends "op n" lines on stdin; each answer is the median seconds of
one call, over calls repeated for about --secs. Run alone, it prints its own table.

Usage: python linalg_numpy.py [--serve] [--secs S] [--sizes 128 256 ...]
Threads: set OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 before starting
(the example does); threadpoolctl enforces one thread too when installed.
"""

import argparse
import statistics
import sys
import time
import warnings

import numpy as np

try:
    from threadpoolctl import threadpool_limits
except ImportError:  # pragma: no cover
    threadpool_limits = None


def spd(n, rng):
    g = rng.standard_normal((n, n))
    return g @ g.T + n * np.eye(n)


def general(n, rng):
    return rng.standard_normal((n, n)) + np.sqrt(n) * np.eye(n)


def tall(n, rng):
    return rng.standard_normal((2 * n, n))


def symmetric(n, rng):
    g = rng.standard_normal((n, n))
    return (g + g.T) / 2


def gaussian(n, rng):
    return rng.standard_normal((n, n))


# name: (input matrix, the call timed on (a, b) with b a vector of a's row count)
OPS = {
    "cholesky": (spd, lambda a, b: np.linalg.cholesky(a)),
    "solve": (general, lambda a, b: np.linalg.solve(a, b)),
    "inv": (general, lambda a, b: np.linalg.inv(a)),
    "det": (general, lambda a, b: np.linalg.det(a)),
    "lstsq": (general, lambda a, b: np.linalg.lstsq(a, b, rcond=None)),
    "lstsq_tall": (tall, lambda a, b: np.linalg.lstsq(a, b, rcond=None)),
    "eigh": (symmetric, lambda a, b: np.linalg.eigh(a)),
    "eigvalsh": (symmetric, lambda a, b: np.linalg.eigvalsh(a)),
    "svd": (gaussian, lambda a, b: np.linalg.svd(a, full_matrices=False)),
    "svd_tall": (tall, lambda a, b: np.linalg.svd(a, full_matrices=False)),
}


def median_seconds(op, n, secs):
    make, call = OPS[op]
    rng = np.random.default_rng(n)
    a = make(n, rng)
    b = rng.standard_normal(a.shape[0])
    call(a, b)
    times, start = [], time.perf_counter()
    while len(times) < 3 or time.perf_counter() - start < secs:
        t = time.perf_counter()
        call(a, b)
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--serve", action="store_true")
    ap.add_argument("--secs", type=float, default=0.3)
    ap.add_argument("--sizes", type=int, nargs="*", default=[128, 256, 512, 1024])
    args = ap.parse_args()
    warnings.simplefilter("ignore", RuntimeWarning)  # det overflows to inf at 512 and up, as ours
    limits = threadpool_limits(limits=1) if threadpool_limits else None  # noqa: F841 (kept alive)
    if args.serve:
        print(f"ready numpy {np.__version__}", flush=True)
        for line in sys.stdin:
            op, n = line.split()
            print(f"{median_seconds(op, int(n), args.secs):.9f}", flush=True)
        return
    print(f"# numpy {np.__version__}, one thread, median seconds")
    for op in OPS:
        for n in args.sizes:
            print(f"{op:<12} {n:>5} {median_seconds(op, n, args.secs) * 1e3:>10.3f} ms")


if __name__ == "__main__":
    main()
