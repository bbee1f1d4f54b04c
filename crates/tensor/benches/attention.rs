//! Attention benches: the naive kernel against the fast (tiled online-softmax) one, forward and
//! forward + backward, at the GPT shape of issue 19 (q, k, v `[32, 4, 64, 32]` f32, causal,
//! strided views of one `[B, T, 3C]` projection) on one and two threads, and at longer contexts
//! (batch 1, 4 heads, head dim 32).
//!
//! `cargo bench -p kindling-tensor --bench attention` (about a minute), or filter: `-- gpt`.
//! The PyTorch peer of the GPT groups: `tools/peers/attention_torch.py`. Group names:
//! `{naive,fast}_{forward,forward_backward}_{gpt_1t,gpt_2t,context}`.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use kindling_tensor::attention::{backward, forward, AttentionConfig};
use kindling_tensor::{with_kernel_mode, KernelMode, Rng, Tensor};
use std::time::Duration;

/// q, k, v `[b, h, t, d]` as views of one `[b, t, 3·h·d]` projection, and an output gradient.
fn operands(b: usize, h: usize, t: usize, d: usize) -> ([Tensor<f32>; 3], Tensor<f32>) {
    let mut rng = Rng::seed(0);
    let qkv = Tensor::<f32>::randn([b, t, 3 * h * d], &mut rng);
    let parts = qkv.split(h * d, 2);
    let views = [0, 1, 2].map(|i| parts[i].reshape(&[b, t, h, d][..]).transpose(1, 2));
    (views, Tensor::randn([b, h, t, d], &mut rng))
}

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("a rayon pool")
}

/// One forward, or one forward and one backward, on the kernels of `mode`.
fn step(mode: KernelMode, ops: &[Tensor<f32>; 3], d_out: &Tensor<f32>, with_backward: bool) {
    let cfg = AttentionConfig::causal();
    with_kernel_mode(mode, || {
        let fwd = forward(&ops[0], &ops[1], &ops[2], &cfg);
        if with_backward {
            std::hint::black_box(backward(&ops[0], &ops[1], &ops[2], &cfg, &fwd, d_out));
        }
        std::hint::black_box(fwd);
    });
}

fn gpt(c: &mut Criterion) {
    let (ops, d_out) = operands(32, 4, 64, 32);
    for threads in [1, 2] {
        let pool = pool(threads);
        for (mode, prefix) in [(KernelMode::Naive, "naive"), (KernelMode::Fast, "fast")] {
            for (with_backward, what) in [(false, "forward"), (true, "forward_backward")] {
                let mut g = c.benchmark_group(format!("{prefix}_{what}_gpt_{threads}t"));
                g.sample_size(10).warm_up_time(Duration::from_millis(300)).measurement_time(Duration::from_secs(1));
                g.bench_function(BenchmarkId::from_parameter("32x4x64x32"), |bench| {
                    pool.install(|| bench.iter(|| step(mode, &ops, &d_out, with_backward)))
                });
                g.finish();
            }
        }
    }
}

fn contexts(c: &mut Criterion) {
    for (mode, prefix, max) in [(KernelMode::Naive, "naive", 256), (KernelMode::Fast, "fast", 1024)] {
        for (with_backward, what) in [(false, "forward"), (true, "forward_backward")] {
            let mut g = c.benchmark_group(format!("{prefix}_{what}_context"));
            g.sample_size(10).warm_up_time(Duration::from_millis(300)).measurement_time(Duration::from_secs(1));
            for t in [64, 256, 1024].into_iter().filter(|&t| t <= max) {
                let (ops, d_out) = operands(1, 4, t, 32);
                g.bench_function(BenchmarkId::from_parameter(t), |bench| {
                    bench.iter(|| step(mode, &ops, &d_out, with_backward))
                });
            }
            g.finish();
        }
    }
}

criterion_group!(attention, gpt, contexts);
criterion_main!(attention);
