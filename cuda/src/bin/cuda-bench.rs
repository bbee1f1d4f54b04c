//! Times every kernel version of the lab on the GPU and prints one line per version: time,
//! throughput (TFLOP/s or GB/s) and, for memory-bound kernels, the share of the device's
//! device-to-device copy bandwidth (the yardstick).
//!
//! `cargo run --release --bin cuda-bench [-- FAMILY...]` with FAMILY among elementwise,
//! reduce, softmax, layernorm, cross_entropy, sgemm, conv, attention (default: all), and
//! `--quick` for small sizes. Without a GPU it prints the typed error and exits with status 2.

use kindling_cuda::kernels::attention::{attention, Attention, AttentionShape};
use kindling_cuda::kernels::conv::{conv2d, Conv, ConvShape};
use kindling_cuda::kernels::cross_entropy::{self, upload_targets, CrossEntropy};
use kindling_cuda::kernels::elementwise::{binary, broadcast_rows, Binary, BinaryOp, Broadcast};
use kindling_cuda::kernels::layernorm::{self, LayerNorm, LayerNormBuffers};
use kindling_cuda::kernels::reduce::{sum, Sum};
use kindling_cuda::kernels::sgemm::{sgemm, Sgemm};
use kindling_cuda::kernels::softmax::{softmax, Softmax};
use kindling_cuda::reference::random_values;
use kindling_cuda::{Gpu, Result};
use std::process::ExitCode;

struct Bench {
    gpu: Gpu,
    copy_gbs: f64,
    quick: bool,
}

impl Bench {
    fn iters(&self) -> u32 {
        if self.quick {
            3
        } else {
            20
        }
    }

    /// A memory-bound kernel moving `bytes` per call.
    fn memory(&self, name: &str, bytes: f64, ms: f64) {
        let gbs = bytes / (ms * 1e-3) / 1e9;
        println!("cuda_{name:<58} {ms:>9.4} ms {gbs:>9.1} GB/s  {:>5.1}% of copy", 100.0 * gbs / self.copy_gbs);
    }

    /// A compute-bound kernel doing `flops` per call.
    fn compute(&self, name: &str, flops: f64, ms: f64) {
        let tflops = flops / (ms * 1e-3) / 1e12;
        println!("cuda_{name:<58} {ms:>9.4} ms {tflops:>9.2} TFLOP/s");
    }
}

fn elementwise(b: &Bench) -> Result<()> {
    let gpu = &b.gpu;
    let n = if b.quick { 1 << 20 } else { 1 << 26 };
    let (x, y) = (gpu.upload(&random_values(n, 1))?, gpu.upload(&random_values(n, 2))?);
    let mut out = gpu.zeros(n)?;
    for v in Binary::all().into_iter().filter(|v| matches!(v, Binary::V1Naive { block: 256 } | Binary::V2Float4 { .. }))
    {
        let ms = gpu.time_ms(b.iters(), || binary(gpu, v, BinaryOp::Add, &x, &y, &mut out, n))?;
        b.memory(&format!("{v} n=2^{}", n.trailing_zeros()), 12.0 * n as f64, ms);
    }
    let cols = 4096;
    let rows = n / cols;
    let bias = gpu.upload(&random_values(cols, 3))?;
    for v in Broadcast::all()
        .into_iter()
        .filter(|v| matches!(v, Broadcast::V1Naive { block: 256 } | Broadcast::V2RowsFloat4 { block: 256 }))
    {
        let ms = gpu.time_ms(b.iters(), || broadcast_rows(gpu, v, BinaryOp::Add, &x, &bias, &mut out, rows, cols))?;
        b.memory(&format!("{v} {rows}x{cols} + [{cols}]"), 8.0 * n as f64, ms);
    }
    Ok(())
}

fn reduce(b: &Bench) -> Result<()> {
    let gpu = &b.gpu;
    let n = if b.quick { 1 << 20 } else { 1 << 26 };
    let x = gpu.upload(&random_values(n, 4))?;
    let mut out = gpu.zeros(1)?;
    for v in Sum::all().into_iter().filter(|v| !matches!(v, Sum::V1Atomic { block: 32 })) {
        let ms = gpu.time_ms(b.iters(), || sum(gpu, v, &x, n, &mut out))?;
        b.memory(&format!("{v} n=2^{}", n.trailing_zeros()), 4.0 * n as f64, ms);
    }
    Ok(())
}

fn row_shape(b: &Bench) -> (usize, usize) {
    if b.quick {
        (1024, 1000)
    } else {
        (32768, 4096)
    }
}

fn softmax_bench(b: &Bench) -> Result<()> {
    let gpu = &b.gpu;
    let (rows, cols) = row_shape(b);
    let x = gpu.upload(&random_values(rows * cols, 5))?;
    let mut y = gpu.zeros(rows * cols)?;
    for log in [false, true] {
        for v in Softmax::all() {
            let ms = gpu.time_ms(b.iters(), || softmax(gpu, v, log, &x, &mut y, rows, cols))?;
            let kind = if log { "log-" } else { "" };
            b.memory(&format!("{kind}{v} {rows}x{cols}"), 8.0 * (rows * cols) as f64, ms);
        }
    }
    Ok(())
}

fn layernorm_bench(b: &Bench) -> Result<()> {
    let gpu = &b.gpu;
    let (rows, cols) = row_shape(b);
    let x = gpu.upload(&random_values(rows * cols, 6))?;
    let (g, be) = (gpu.upload(&vec![1.0f32; cols])?, gpu.upload(&vec![0.0f32; cols])?);
    let (mut y, mut mean, mut rstd) = (gpu.zeros(rows * cols)?, gpu.zeros(rows)?, gpu.zeros(rows)?);
    for v in LayerNorm::all() {
        let ms = gpu.time_ms(b.iters(), || {
            let bufs = LayerNormBuffers { x: &x, gamma: &g, beta: &be, y: &mut y, mean: &mut mean, rstd: &mut rstd };
            layernorm::forward(gpu, v, bufs, rows, cols, 1e-5)
        })?;
        b.memory(&format!("{v} {rows}x{cols}"), 8.0 * (rows * cols) as f64, ms);
    }
    Ok(())
}

fn cross_entropy_bench(b: &Bench) -> Result<()> {
    let gpu = &b.gpu;
    let (rows, cols) = row_shape(b);
    let logits = gpu.upload(&random_values(rows * cols, 7))?;
    let t: Vec<i32> = (0..rows).map(|r| (r % cols) as i32).collect();
    let targets = upload_targets(gpu, &t, cols)?;
    let (mut loss, mut grad) = (gpu.zeros(rows)?, gpu.zeros(rows * cols)?);
    for v in CrossEntropy::all() {
        let ms = gpu.time_ms(b.iters(), || cross_entropy::forward(gpu, v, &logits, &targets, &mut loss, rows, cols))?;
        b.memory(&format!("{v} forward {rows}x{cols}"), 4.0 * (rows * cols) as f64, ms);
        let scale = 1.0 / rows as f32;
        let ms = gpu
            .time_ms(b.iters(), || cross_entropy::backward(gpu, v, &logits, &targets, &mut grad, scale, rows, cols))?;
        b.memory(&format!("{v} backward {rows}x{cols}"), 8.0 * (rows * cols) as f64, ms);
    }
    Ok(())
}

fn sgemm_bench(b: &Bench) -> Result<()> {
    let gpu = &b.gpu;
    let sizes: &[usize] = if b.quick { &[256, 1024] } else { &[1024, 4096] };
    for &s in sizes {
        let (a, bb) = (gpu.upload(&random_values(s * s, 8))?, gpu.upload(&random_values(s * s, 9))?);
        let mut c = gpu.zeros(s * s)?;
        for v in Sgemm::all() {
            // The naive version at 4096^3 takes seconds per call: time it once.
            let iters = if matches!(v, Sgemm::V1Naive { .. }) && s >= 4096 { 1 } else { b.iters() };
            let ms = gpu.time_ms(iters, || sgemm(gpu, v, &a, &bb, &mut c, s, s, s))?;
            b.compute(&format!("{v} {s}^3"), 2.0 * (s * s * s) as f64, ms);
        }
    }
    Ok(())
}

fn conv_bench(b: &Bench) -> Result<()> {
    let gpu = &b.gpu;
    let shape = if b.quick {
        ConvShape::new(4, 16, 32, 32, 32, 3, 3, 1, 1)
    } else {
        ConvShape::new(32, 64, 56, 56, 64, 3, 3, 1, 1)
    };
    let x = gpu.upload(&random_values(shape.input_len(), 10))?;
    let w = gpu.upload(&random_values(shape.weight_len(), 11))?;
    let mut y = gpu.zeros(shape.output_len())?;
    let mut ws = gpu.zeros(shape.cols_len())?;
    let versions = [
        Conv::V1Direct { block: 256 },
        Conv::V2Im2colGemm { gemm: Sgemm::V4VecDbuf },
        Conv::V2Im2colGemm { gemm: Sgemm::V5Tf32 },
    ];
    for v in versions {
        let ms = gpu.time_ms(b.iters(), || conv2d(gpu, v, &shape, &x, &w, &mut y, &mut ws))?;
        let name = format!("{v} n{} c{} {}x{} oc{} k{}", shape.n, shape.c, shape.h, shape.w, shape.oc, shape.kh);
        b.compute(&name, shape.flops(), ms);
    }
    Ok(())
}

fn attention_bench(b: &Bench) -> Result<()> {
    let gpu = &b.gpu;
    let (bh, s, d) = if b.quick { (4, 256, 64) } else { (32, 2048, 64) };
    for causal in [false, true] {
        let shape = AttentionShape { bh, s, d, causal };
        let q = gpu.upload(&random_values(shape.len(), 12))?;
        let k = gpu.upload(&random_values(shape.len(), 13))?;
        let v = gpu.upload(&random_values(shape.len(), 14))?;
        let mut o = gpu.zeros(shape.len())?;
        for version in
            [Attention::V1Naive { block: 256 }, Attention::V2Flash { warps: 4 }, Attention::V2Flash { warps: 8 }]
        {
            let mut ws = gpu.zeros(version.workspace_len(&shape))?;
            let ms = gpu.time_ms(b.iters(), || attention(gpu, version, &shape, &q, &k, &v, &mut o, &mut ws))?;
            let flops = if causal { shape.flops() / 2.0 } else { shape.flops() };
            b.compute(&format!("{version} bh{bh} s{s} d{d} causal={causal}"), flops, ms);
        }
    }
    Ok(())
}

type Family = (&'static str, fn(&Bench) -> Result<()>);

const FAMILIES: [Family; 8] = [
    ("elementwise", elementwise),
    ("reduce", reduce),
    ("softmax", softmax_bench),
    ("layernorm", layernorm_bench),
    ("cross_entropy", cross_entropy_bench),
    ("sgemm", sgemm_bench),
    ("conv", conv_bench),
    ("attention", attention_bench),
];

fn run(quick: bool, wanted: &[String]) -> Result<()> {
    let gpu = Gpu::new()?;
    println!("{}", gpu.info());
    let bytes = if quick { 64 << 20 } else { 1 << 30 };
    let copy_gbs = gpu.copy_bandwidth_gbs(bytes, if quick { 3 } else { 20 })?;
    println!("cuda_copy_device_to_device {} MiB: {copy_gbs:.1} GB/s (read + write)", bytes >> 20);
    let bench = Bench { gpu, copy_gbs, quick };
    for (name, f) in FAMILIES {
        if wanted.is_empty() || wanted.iter().any(|w| w == name) {
            println!("\n== {name}");
            f(&bench)?;
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "--quick");
    let wanted: Vec<String> = args.into_iter().filter(|a| !a.starts_with("--")).collect();
    if let Some(bad) = wanted.iter().find(|w| !FAMILIES.iter().any(|(n, _)| n == w)) {
        let names: Vec<&str> = FAMILIES.iter().map(|(n, _)| *n).collect();
        eprintln!("cuda-bench: unknown family `{bad}`; choose from {names:?}, or none for all");
        return ExitCode::from(1);
    }
    match run(quick, &wanted) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("cuda-bench: {e}");
            ExitCode::from(2)
        }
    }
}
