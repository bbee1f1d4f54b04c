//! Convolution and pooling benches: `naive_` (the direct loops) against `fast_` (im2col + GEMM,
//! threads) on the TinyVGG layer shapes (batch 32, 3×3, padding 1), forward + both backward
//! passes through autograd, as a training step runs them.
//!
//! `cargo bench -p kindling-autograd --bench conv` (about a minute), or filter: `-- fast_conv`.
//! Throughput is in flops (3 passes × 2·MACs) as criterion "elements", so `Gelem/s` reads as
//! GFLOP/s. Threads: `RAYON_NUM_THREADS=1` or `2`. `crates/vision/benches/torch_reference.py` times PyTorch
//! on the same shapes.
//!
//! The figures and what each version changed are in the catalogue at the top of
//! `crates/tensor/src/ops/conv/fast.rs` (convolutions) and `crates/tensor/src/ops/pool/fast.rs`
//! (pooling).

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use kindling_autograd::conv::conv2d;
use kindling_autograd::pool::max_pool2d;
use kindling_autograd::Variable;
use kindling_tensor::conv::Conv2dOptions;
use kindling_tensor::kernel_api::conv::{direct, fast, ConvGeometry};
use kindling_tensor::pool::Pool2dOptions;
use kindling_tensor::{with_kernel_mode, KernelMode, Rng, Tensor};
use std::time::Duration;

/// (name, batch, in channels, out channels, size) of TinyVGG's four convolutions (the last two
/// share a shape).
pub const TINYVGG_LAYERS: [(&str, usize, usize, usize, usize); 3] = [
    ("conv1_1x28x28_to_10", 32, 1, 10, 28),
    ("conv2_10x28x28_to_10", 32, 10, 10, 28),
    ("conv3_10x14x14_to_10", 32, 10, 10, 14),
];

fn conv_fwd_bwd(c: &mut Criterion, group: &str, mode: KernelMode) {
    let mut g = c.benchmark_group(group);
    g.sample_size(10).warm_up_time(Duration::from_millis(300)).measurement_time(Duration::from_secs(2));
    let opts = Conv2dOptions::default().padding(1);
    for (name, n, cin, cout, s) in TINYVGG_LAYERS {
        let mut rng = Rng::seed(1);
        let x = Variable::param(Tensor::<f32>::randn([n, cin, s, s], &mut rng));
        let w = Variable::param(Tensor::<f32>::randn([cout, cin, 3, 3], &mut rng));
        let b = Variable::param(Tensor::<f32>::randn([cout], &mut rng));
        let geom = ConvGeometry::conv("bench", &x.shape(), &w.shape(), &opts);
        let dy = Tensor::<f32>::randn(geom.output_shape(), &mut rng);
        g.throughput(Throughput::Elements(6 * geom.macs() as u64));
        g.bench_function(BenchmarkId::from_parameter(name), |bench| {
            bench.iter(|| {
                with_kernel_mode(mode, || {
                    // As the PyTorch script does: fresh gradients every call, not accumulated.
                    [&x, &w, &b].iter().for_each(|v| v.zero_grad());
                    let y = conv2d(&x, &w, Some(&b), &opts);
                    y.backward_with(&dy);
                })
            })
        });
    }
    g.finish();
}

fn pool_fwd_bwd(c: &mut Criterion, group: &str, mode: KernelMode) {
    let mut g = c.benchmark_group(group);
    g.sample_size(10).warm_up_time(Duration::from_millis(300)).measurement_time(Duration::from_secs(1));
    let mut rng = Rng::seed(2);
    let x = Variable::param(Tensor::<f32>::randn([32, 10, 28, 28], &mut rng));
    let dy = Tensor::<f32>::randn([32, 10, 14, 14], &mut rng);
    g.throughput(Throughput::Elements(x.numel() as u64));
    g.bench_function(BenchmarkId::from_parameter("maxpool2_32x10x28x28"), |bench| {
        bench.iter(|| {
            with_kernel_mode(mode, || {
                x.zero_grad();
                max_pool2d(&x, &Pool2dOptions::new(2)).backward_with(&dy)
            })
        })
    });
    g.finish();
}

type Pass = fn(&ConvGeometry, &[f32], &[f32]) -> Vec<f32>;

/// One backward pass at a time, kernel level (no autograd), for the version catalogue in
/// `src/ops/conv/fast.rs`: earlier versions of each pass against the current one.
fn passes(c: &mut Criterion) {
    let opts = Conv2dOptions::default().padding(1);
    let groups: [(&str, Pass, bool); 5] = [
        ("v2_conv_bwd_weight_cols_t", fast::backward_weight_v2, true),
        ("v4_conv_bwd_weight_im2row", fast::backward_weight_im2col, true),
        ("fast_conv_bwd_weight", fast::backward_weight, true),
        ("v4_conv_bwd_input_col2im", fast::backward_input_im2col, false),
        ("fast_conv_bwd_input", fast::backward_input, false),
    ];
    for (group, pass, takes_x) in groups {
        let mut g = c.benchmark_group(group);
        g.sample_size(10).warm_up_time(Duration::from_millis(200)).measurement_time(Duration::from_secs(1));
        for (name, n, cin, cout, s) in &TINYVGG_LAYERS[1..] {
            let mut rng = Rng::seed(3);
            let geom = ConvGeometry::conv("bench", &[*n, *cin, *s, *s], &[*cout, *cin, 3, 3], &opts);
            let x = Tensor::<f32>::randn(geom.input_shape(), &mut rng).to_vec();
            let w = Tensor::<f32>::randn(geom.weight_shape(), &mut rng).to_vec();
            let dy = Tensor::<f32>::randn(geom.output_shape(), &mut rng).to_vec();
            let other = if takes_x { &x } else { &w };
            g.throughput(Throughput::Elements(2 * geom.macs() as u64));
            g.bench_function(BenchmarkId::from_parameter(name), |b| b.iter(|| pass(&geom, &dy, other)));
        }
        g.finish();
    }
}

/// Where the direct kernels stop paying: fwd+bwd at 28² on a batch of 32 for wider layers, with
/// the direct kernels (`fast_`) and with im2col + GEMM (`v4_`). `direct::applies` takes up to
/// 32 channels each side.
fn crossover(c: &mut Criterion) {
    let opts = Conv2dOptions::default().padding(1);
    for (group, direct_on) in [("fast_conv_width", true), ("v4_conv_width_im2col", false)] {
        let mut g = c.benchmark_group(group);
        g.sample_size(10).warm_up_time(Duration::from_millis(200)).measurement_time(Duration::from_secs(1));
        for ch in [16usize, 32] {
            let mut rng = Rng::seed(5);
            let x = Variable::param(Tensor::<f32>::randn([32, ch, 28, 28], &mut rng));
            let w = Variable::param(Tensor::<f32>::randn([ch, ch, 3, 3], &mut rng));
            let geom = ConvGeometry::conv("bench", &x.shape(), &w.shape(), &opts);
            let dy = Tensor::<f32>::randn(geom.output_shape(), &mut rng);
            g.throughput(Throughput::Elements(6 * geom.macs() as u64));
            g.bench_function(BenchmarkId::from_parameter(format!("{ch}x28x28_to_{ch}")), |bench| {
                direct::set_enabled(direct_on);
                bench.iter(|| {
                    [&x, &w].iter().for_each(|v| v.zero_grad());
                    conv2d(&x, &w, None, &opts).backward_with(&dy);
                });
                direct::set_enabled(true);
            });
        }
        g.finish();
    }
}

fn benches(c: &mut Criterion) {
    crossover(c);
    passes(c);
    conv_fwd_bwd(c, "fast_conv_fwd_bwd", KernelMode::Fast);
    direct::set_enabled(false);
    conv_fwd_bwd(c, "v4_conv_fwd_bwd_im2col", KernelMode::Fast);
    direct::set_enabled(true);
    conv_fwd_bwd(c, "naive_conv_fwd_bwd", KernelMode::Naive);
    pool_fwd_bwd(c, "fast_maxpool_fwd_bwd", KernelMode::Fast);
    pool_fwd_bwd(c, "naive_maxpool_fwd_bwd", KernelMode::Naive);
}

criterion_group!(conv, benches);
criterion_main!(conv);
