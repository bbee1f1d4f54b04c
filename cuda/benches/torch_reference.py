#!/usr/bin/env python3
"""Reference figures from PyTorch (cuBLAS) on the GPU machine, in the units cuda-bench prints.

    python3 cuda/benches/torch_reference.py [--size 4096] [--iters 20]

Prints cuBLAS FP32 SGEMM (TF32 disabled), cuBLAS TF32 GEMM, and device-to-device copy
bandwidth (bytes read + written per second, as cuda-bench counts it). Then compare with
`cuda-bench sgemm`:

    best FP32 SGEMM (v4)      >= 60% of cuBLAS FP32
    tensor-core path (v5)     >= 50% of cuBLAS TF32
    memory-bound kernels      >= 70% of the copy bandwidth (cuda-bench prints that share)

If you save both outputs, `--compare BENCH_OUTPUT` prints the ratios for the SGEMM lines.
"""

import argparse
import re
import sys

import torch


def time_ms(fn, iters):
    """Mean milliseconds per call between two CUDA events, after one warm-up call."""
    fn()
    torch.cuda.synchronize()
    start = torch.cuda.Event(enable_timing=True)
    stop = torch.cuda.Event(enable_timing=True)
    start.record()
    for _ in range(iters):
        fn()
    stop.record()
    stop.synchronize()
    return start.elapsed_time(stop) / iters


def gemm_tflops(size, tf32, iters):
    torch.backends.cuda.matmul.allow_tf32 = tf32
    torch.backends.cudnn.allow_tf32 = tf32
    a = torch.rand(size, size, device="cuda") * 2 - 1
    b = torch.rand(size, size, device="cuda") * 2 - 1
    c = torch.empty(size, size, device="cuda")
    ms = time_ms(lambda: torch.mm(a, b, out=c), iters)
    return ms, 2.0 * size**3 / (ms * 1e-3) / 1e12


def copy_gbs(nbytes, iters):
    src = torch.empty(nbytes // 4, device="cuda")
    dst = torch.empty_like(src)
    ms = time_ms(lambda: dst.copy_(src), iters)
    return ms, 2.0 * nbytes / (ms * 1e-3) / 1e9


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--size", type=int, default=4096)
    p.add_argument("--iters", type=int, default=20)
    p.add_argument("--compare", help="a saved cuda-bench output to compute the target ratios from")
    args = p.parse_args()
    if not torch.cuda.is_available():
        print("torch_reference: no CUDA device visible to PyTorch", file=sys.stderr)
        return 2
    print(f"device: {torch.cuda.get_device_name(0)}, torch {torch.__version__}, CUDA {torch.version.cuda}")
    ms, copy = copy_gbs(1 << 30, args.iters)
    print(f"torch_copy_device_to_device 1024 MiB: {copy:.1f} GB/s (read + write)  {ms:.4f} ms")
    ms, fp32 = gemm_tflops(args.size, tf32=False, iters=args.iters)
    print(f"torch_cublas_sgemm_fp32 {args.size}^3: {ms:.4f} ms {fp32:.2f} TFLOP/s")
    ms, tf32 = gemm_tflops(args.size, tf32=True, iters=args.iters)
    print(f"torch_cublas_gemm_tf32 {args.size}^3: {ms:.4f} ms {tf32:.2f} TFLOP/s")

    if args.compare:
        text = open(args.compare).read()
        pattern = re.compile(r"^cuda_(sgemm v\d.*?) " + str(args.size) + r"\^3\s+[\d.]+ ms\s+([\d.]+) TFLOP/s", re.M)
        for name, figure in pattern.findall(text):
            figure = float(figure)
            ref, label = (tf32, "cuBLAS TF32") if "TF32" in name else (fp32, "cuBLAS FP32")
            print(f"{name:<50} {figure:8.2f} TFLOP/s = {100 * figure / ref:5.1f}% of {label}")
        copy_line = re.search(r"cuda_copy_device_to_device .*?([\d.]+) GB/s", text)
        if copy_line:
            ours = float(copy_line.group(1))
            print(f"cuda-bench copy yardstick {ours:.1f} GB/s = {100 * ours / copy:.1f}% of torch's copy")
    return 0


if __name__ == "__main__":
    sys.exit(main())
