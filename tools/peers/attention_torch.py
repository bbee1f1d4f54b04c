"""PyTorch's scaled_dot_product_attention timed at the GPT shape of issue 19, as the peer of
`cargo bench -p kindling-tensor --bench attention`.

q, k, v are [32, 4, 64, 32] (batch 32, 4 heads, context 64, head dim 32), causal, f32, made
as Kindling's GPT makes them: strided views of one [B, T, 3C] projection. Prints the median
time of the forward pass and of forward + backward, in microseconds, per thread count.

    /work/venv/bin/python tools/peers/attention_torch.py [--threads 1 2] [--context 64]
"""

import argparse
import statistics
import time

import torch
import torch.nn.functional as F


def views(batch, heads, context, head_dim, requires_grad):
    width = heads * head_dim
    qkv = torch.randn(batch, context, 3 * width, requires_grad=requires_grad)
    q, k, v = qkv.split(width, dim=2)
    shape = (batch, context, heads, head_dim)
    return qkv, [t.view(shape).transpose(1, 2) for t in (q, k, v)]


def median_us(fn, repeats, warmup=5):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e6


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--context", type=int, default=64)
    ap.add_argument("--head-dim", type=int, default=32)
    ap.add_argument("--repeats", type=int, default=50)
    args = ap.parse_args()
    torch.manual_seed(0)
    for threads in args.threads:
        torch.set_num_threads(threads)
        qkv, (q, k, v) = views(args.batch, args.heads, args.context, args.head_dim, True)
        grad = torch.randn(args.batch, args.heads, args.context, args.head_dim)

        def forward():
            with torch.no_grad():
                F.scaled_dot_product_attention(q, k, v, is_causal=True)

        def forward_backward():
            qkv.grad = None
            out = F.scaled_dot_product_attention(q, k, v, is_causal=True)
            out.backward(grad)

        fwd = median_us(forward, args.repeats)
        both = median_us(forward_backward, args.repeats)
        print(
            f"torch {torch.__version__} threads={threads} shape=[{args.batch}, {args.heads}, {args.context}, "
            f"{args.head_dim}] causal: forward {fwd:.0f} us, forward+backward {both:.0f} us"
        )


if __name__ == "__main__":
    main()
