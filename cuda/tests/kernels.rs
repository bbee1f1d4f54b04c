//! Every version of every kernel family against the CPU reference, over shapes that break
//! tiling assumptions (1, 7, 33, 63, 65, 257, ...) and over each version's block sizes.
//! Without a GPU each test prints `skipped: no CUDA device (...)` and passes.

#[macro_use]
mod common;

use kindling_cuda::kernels::attention::{attention, Attention, AttentionShape};
use kindling_cuda::kernels::conv::{conv2d, Conv, ConvShape};
use kindling_cuda::kernels::cross_entropy::{self, upload_targets, CrossEntropy};
use kindling_cuda::kernels::elementwise::{binary, broadcast, broadcast_rows, Binary, BinaryOp, Broadcast};
use kindling_cuda::kernels::layernorm::{self, LayerNorm, LayerNormBuffers};
use kindling_cuda::kernels::reduce::{sum, Sum};
use kindling_cuda::kernels::sgemm::{sgemm, Sgemm};
use kindling_cuda::kernels::softmax::{softmax, Softmax};
use kindling_cuda::reference::{self, random_values};
use kindling_cuda::tolerance::{assert_close, Tolerance};

/// Lengths for 1-D kernels: tiny, odd, around block and float4 boundaries, large-ish.
const LENGTHS: [usize; 9] = [1, 3, 4, 7, 63, 65, 257, 1023, 100_003];

/// (rows, cols) for row-wise kernels: one row, one column, odd widths, wider than a warp.
const ROW_SHAPES: [(usize, usize); 7] = [(1, 1), (1, 33), (7, 1), (5, 31), (65, 64), (33, 257), (300, 1000)];

device_test!(binary_ops, |gpu| {
    for n in LENGTHS {
        let a = random_values(n, 1);
        // Keep divisors away from zero.
        let b: Vec<f32> = random_values(n, 2).iter().map(|v| v + 2.0).collect();
        let (da, db) = (gpu.upload(&a)?, gpu.upload(&b)?);
        let mut out = gpu.zeros(n)?;
        for op in BinaryOp::ALL {
            let want = reference::binary(op, &a, &b);
            for version in Binary::all() {
                binary(gpu, version, op, &da, &db, &mut out, n)?;
                assert_close(&format!("{version} {op:?} n={n}"), &gpu.download(&out)?, &want, Tolerance::STRICT);
            }
        }
    }
    Ok(())
});

device_test!(broadcast_general, |gpu| {
    let cases: [(&[usize], &[usize]); 6] = [
        (&[5, 7], &[7]),
        (&[5, 1], &[1, 7]),
        (&[3, 1, 9], &[4, 1]),
        (&[2, 3, 4, 5], &[3, 1, 5]),
        (&[1], &[65, 3]),
        (&[33, 1, 2], &[33, 17, 1]),
    ];
    for (sa, sb) in cases {
        let (na, nb): (usize, usize) = (sa.iter().product(), sb.iter().product());
        let a = random_values(na, 3);
        let b: Vec<f32> = random_values(nb, 4).iter().map(|v| v + 2.0).collect();
        let (da, db) = (gpu.upload(&a)?, gpu.upload(&b)?);
        for op in BinaryOp::ALL {
            let (want, want_shape) = reference::broadcast(op, &a, sa, &b, sb);
            for block in kindling_cuda::kernels::BLOCKS_1D {
                let mut out = gpu.zeros(want.len())?;
                let shape = broadcast(gpu, block, op, &da, sa, &db, sb, &mut out)?;
                assert_eq!(shape, want_shape, "broadcast {sa:?} with {sb:?}");
                let what = format!("broadcast {sa:?} {op:?} {sb:?} block {block}");
                assert_close(&what, &gpu.download(&out)?, &want, Tolerance::STRICT);
            }
        }
    }
    Ok(())
});

device_test!(broadcast_rows_versions, |gpu| {
    for (rows, cols) in ROW_SHAPES {
        let a = random_values(rows * cols, 5);
        let b: Vec<f32> = random_values(cols, 6).iter().map(|v| v + 2.0).collect();
        let (da, db) = (gpu.upload(&a)?, gpu.upload(&b)?);
        let mut out = gpu.zeros(rows * cols)?;
        for op in BinaryOp::ALL {
            let (want, _) = reference::broadcast(op, &a, &[rows, cols], &b, &[cols]);
            for version in Broadcast::all() {
                broadcast_rows(gpu, version, op, &da, &db, &mut out, rows, cols)?;
                let what = format!("{version} {op:?} {rows}x{cols}");
                assert_close(&what, &gpu.download(&out)?, &want, Tolerance::STRICT);
            }
        }
    }
    Ok(())
});

device_test!(sum_versions, |gpu| {
    for n in LENGTHS.into_iter().chain([1 << 22, (1 << 22) + 3]) {
        let x = random_values(n, 7);
        let want = reference::sum(&x);
        let magnitude: f64 = x.iter().map(|v| v.abs() as f64).sum();
        let dx = gpu.upload(&x)?;
        let mut out = gpu.zeros(1)?;
        for version in Sum::all() {
            sum(gpu, version, &dx, n, &mut out)?;
            let got = gpu.download(&out)?[0];
            // Float sums in another order: the error grows with the sum of magnitudes.
            let tol = Tolerance::DEFAULT.scaled_atol(1.0 + magnitude * 1e-2);
            assert_close(&format!("{version} n={n}"), &[got], &[want as f32], tol);
        }
    }
    Ok(())
});

fn check_softmax(gpu: &kindling_cuda::Gpu, log: bool) -> kindling_cuda::Result<()> {
    for (rows, cols) in ROW_SHAPES {
        // Scale up so exp() overflows unless the max is subtracted.
        let x: Vec<f32> = random_values(rows * cols, 8).iter().map(|v| v * 60.0).collect();
        let want = reference::softmax(&x, rows, cols, log);
        let dx = gpu.upload(&x)?;
        let mut y = gpu.zeros(rows * cols)?;
        for version in Softmax::all() {
            softmax(gpu, version, log, &dx, &mut y, rows, cols)?;
            let what = format!("{version} log={log} {rows}x{cols}");
            assert_close(&what, &gpu.download(&y)?, &want, Tolerance::DEFAULT);
        }
    }
    Ok(())
}

device_test!(softmax_versions, |gpu| { check_softmax(gpu, false) });

device_test!(log_softmax_versions, |gpu| { check_softmax(gpu, true) });

device_test!(layernorm_versions, |gpu| {
    for (rows, cols) in ROW_SHAPES {
        let x: Vec<f32> = random_values(rows * cols, 9).iter().map(|v| v * 3.0 + 1.0).collect();
        let gamma = random_values(cols, 10);
        let beta = random_values(cols, 11);
        let eps = 1e-5;
        let (want_y, want_mean, want_rstd) = reference::layernorm(&x, &gamma, &beta, rows, cols, eps);
        let (dx, dg, db) = (gpu.upload(&x)?, gpu.upload(&gamma)?, gpu.upload(&beta)?);
        let (mut y, mut mean, mut rstd) = (gpu.zeros(rows * cols)?, gpu.zeros(rows)?, gpu.zeros(rows)?);
        for version in LayerNorm::all() {
            let bufs = LayerNormBuffers { x: &dx, gamma: &dg, beta: &db, y: &mut y, mean: &mut mean, rstd: &mut rstd };
            layernorm::forward(gpu, version, bufs, rows, cols, eps)?;
            let what = format!("{version} {rows}x{cols}");
            assert_close(&format!("{what} y"), &gpu.download(&y)?, &want_y, Tolerance::DEFAULT);
            assert_close(&format!("{what} mean"), &gpu.download(&mean)?, &want_mean, Tolerance::DEFAULT);
            // cols = 1 has zero variance: rstd = 1/sqrt(eps) ~ 316, compare relatively.
            assert_close(&format!("{what} rstd"), &gpu.download(&rstd)?, &want_rstd, Tolerance::DEFAULT);
        }
    }
    Ok(())
});

fn targets(rows: usize, cols: usize) -> Vec<i32> {
    (0..rows).map(|r| ((r * 7919 + 3) % cols) as i32).collect()
}

device_test!(cross_entropy_forward_versions, |gpu| {
    for (rows, cols) in ROW_SHAPES {
        let logits: Vec<f32> = random_values(rows * cols, 12).iter().map(|v| v * 20.0).collect();
        let t = targets(rows, cols);
        let want = reference::cross_entropy_forward(&logits, &t, rows, cols);
        let (dl, dt) = (gpu.upload(&logits)?, upload_targets(gpu, &t, cols)?);
        let mut loss = gpu.zeros(rows)?;
        for version in CrossEntropy::all() {
            cross_entropy::forward(gpu, version, &dl, &dt, &mut loss, rows, cols)?;
            let what = format!("{version} forward {rows}x{cols}");
            assert_close(&what, &gpu.download(&loss)?, &want, Tolerance::DEFAULT);
        }
    }
    Ok(())
});

device_test!(cross_entropy_backward_versions, |gpu| {
    for (rows, cols) in ROW_SHAPES {
        let logits: Vec<f32> = random_values(rows * cols, 13).iter().map(|v| v * 20.0).collect();
        let t = targets(rows, cols);
        let scale = 1.0 / rows as f32;
        let want = reference::cross_entropy_backward(&logits, &t, rows, cols, scale);
        let (dl, dt) = (gpu.upload(&logits)?, upload_targets(gpu, &t, cols)?);
        let mut grad = gpu.zeros(rows * cols)?;
        for version in CrossEntropy::all() {
            cross_entropy::backward(gpu, version, &dl, &dt, &mut grad, scale, rows, cols)?;
            let what = format!("{version} backward {rows}x{cols}");
            assert_close(&what, &gpu.download(&grad)?, &want, Tolerance::DEFAULT);
        }
    }
    Ok(())
});

/// (m, n, k): ones, primes, one under and over each tile size, K not a multiple of 4 or 8.
const GEMM_SHAPES: [(usize, usize, usize); 9] = [
    (1, 1, 1),
    (1, 7, 3),
    (7, 1, 5),
    (16, 16, 16),
    (33, 31, 17),
    (63, 65, 9),
    (128, 128, 64),
    (129, 257, 33),
    (200, 130, 301),
];

device_test!(sgemm_versions, |gpu| {
    for (m, n, k) in GEMM_SHAPES {
        let a = random_values(m * k, 14);
        let b = random_values(k * n, 15);
        let want = reference::matmul(&a, &b, m, n, k);
        let (da, db) = (gpu.upload(&a)?, gpu.upload(&b)?);
        let mut c = gpu.zeros(m * n)?;
        for version in Sgemm::all() {
            // Poison C so a skipped store shows up.
            kindling_cuda::kernels::reduce::fill(gpu, &mut c, m * n, f32::NAN)?;
            sgemm(gpu, version, &da, &db, &mut c, m, n, k)?;
            let tol = if version.is_tf32() { Tolerance::tf32_for_depth(k) } else { Tolerance::DEFAULT };
            assert_close(&format!("{version} {m}x{n}x{k}"), &gpu.download(&c)?, &want, tol);
        }
    }
    Ok(())
});

device_test!(conv2d_versions, |gpu| {
    let shapes = [
        ConvShape::new(1, 1, 5, 5, 1, 3, 3, 1, 0),
        ConvShape::new(2, 3, 7, 9, 5, 3, 3, 1, 1),
        ConvShape::new(3, 4, 11, 10, 6, 5, 3, 2, 2),
        ConvShape::new(2, 16, 16, 16, 33, 3, 3, 1, 1),
        ConvShape::new(1, 3, 32, 30, 8, 1, 1, 1, 0),
    ];
    for shape in shapes {
        let x = random_values(shape.input_len(), 16);
        let w = random_values(shape.weight_len(), 17);
        let want = reference::conv2d(&x, &w, &shape);
        let (dx, dw) = (gpu.upload(&x)?, gpu.upload(&w)?);
        let mut y = gpu.zeros(shape.output_len())?;
        let mut workspace = gpu.zeros(shape.cols_len())?;
        for version in Conv::all() {
            conv2d(gpu, version, &shape, &dx, &dw, &mut y, &mut workspace)?;
            let tf32 = matches!(version, Conv::V2Im2colGemm { gemm } if gemm.is_tf32());
            let depth = shape.c * shape.kh * shape.kw;
            let tol = if tf32 { Tolerance::tf32_for_depth(depth) } else { Tolerance::DEFAULT };
            assert_close(&format!("{version} {shape:?}"), &gpu.download(&y)?, &want, tol);
        }
    }
    Ok(())
});

fn check_attention(gpu: &kindling_cuda::Gpu, causal: bool) -> kindling_cuda::Result<()> {
    let shapes = [(1, 1, 1), (2, 7, 5), (3, 33, 16), (2, 65, 64), (1, 100, 128), (2, 31, 33)];
    for (bh, s, d) in shapes {
        let shape = AttentionShape { bh, s, d, causal };
        let q: Vec<f32> = random_values(shape.len(), 18).iter().map(|v| v * 2.0).collect();
        let k: Vec<f32> = random_values(shape.len(), 19).iter().map(|v| v * 2.0).collect();
        let v = random_values(shape.len(), 20);
        let want = reference::attention(&q, &k, &v, bh, s, d, causal);
        let (dq, dk, dv) = (gpu.upload(&q)?, gpu.upload(&k)?, gpu.upload(&v)?);
        let mut o = gpu.zeros(shape.len())?;
        for version in Attention::all() {
            let mut workspace = gpu.zeros(version.workspace_len(&shape))?;
            attention(gpu, version, &shape, &dq, &dk, &dv, &mut o, &mut workspace)?;
            let what = format!("{version} bh={bh} s={s} d={d} causal={causal}");
            assert_close(&what, &gpu.download(&o)?, &want, Tolerance::DEFAULT);
        }
    }
    Ok(())
}

device_test!(attention_versions, |gpu| { check_attention(gpu, false) });

device_test!(attention_causal_versions, |gpu| { check_attention(gpu, true) });

device_test!(device_query_and_copy_bandwidth, |gpu| {
    let info = gpu.info();
    eprintln!("{info}");
    assert!(!info.name.is_empty());
    assert!(info.compute_capability.0 >= 8, "the TF32 path needs sm_80+, found {info}");
    assert!(info.total_memory > 0 && info.multiprocessors > 0);
    let gbs = gpu.copy_bandwidth_gbs(64 << 20, 5)?;
    assert!(gbs > 10.0, "device copy bandwidth {gbs} GB/s is implausibly low");
    Ok(())
});
