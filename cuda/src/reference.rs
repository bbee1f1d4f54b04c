//! CPU references for every kernel family, written plainly (f64 accumulation, no blocking) so
//! they are obviously right. The GPU versions are checked against these.

/// `a (op) b` elementwise, op codes as in [`crate::kernels::elementwise::BinaryOp`].
pub fn binary(op: crate::kernels::elementwise::BinaryOp, a: &[f32], b: &[f32]) -> Vec<f32> {
    assert_eq!(a.len(), b.len(), "reference binary: lengths {} and {} differ", a.len(), b.len());
    a.iter().zip(b).map(|(&x, &y)| op.apply(x, y)).collect()
}

/// NumPy-style broadcast of `a` (shape `sa`) and `b` (shape `sb`); returns (values, out shape).
pub fn broadcast(
    op: crate::kernels::elementwise::BinaryOp,
    a: &[f32],
    sa: &[usize],
    b: &[f32],
    sb: &[usize],
) -> (Vec<f32>, Vec<usize>) {
    let rank = sa.len().max(sb.len());
    let pad = |s: &[usize]| {
        let mut v = vec![1; rank - s.len()];
        v.extend_from_slice(s);
        v
    };
    let (pa, pb) = (pad(sa), pad(sb));
    let out: Vec<usize> = (0..rank)
        .map(|d| {
            assert!(
                pa[d] == pb[d] || pa[d] == 1 || pb[d] == 1,
                "reference broadcast: shapes {sa:?} and {sb:?} do not broadcast"
            );
            pa[d].max(pb[d])
        })
        .collect();
    let total: usize = out.iter().product();
    let mut values = Vec::with_capacity(total);
    for flat in 0..total {
        let mut rest = flat;
        let (mut ia, mut ib) = (0, 0);
        let (mut stride_a, mut stride_b) = (1, 1);
        for d in (0..rank).rev() {
            let c = rest % out[d];
            rest /= out[d];
            if pa[d] != 1 {
                ia += c * stride_a;
            }
            if pb[d] != 1 {
                ib += c * stride_b;
            }
            stride_a *= pa[d];
            stride_b *= pb[d];
        }
        values.push(op.apply(a[ia], b[ib]));
    }
    (values, out)
}

/// Sum in f64.
pub fn sum(x: &[f32]) -> f64 {
    x.iter().map(|&v| v as f64).sum()
}

/// Softmax (or log-softmax when `log`) of each row of a `[rows, cols]` matrix.
pub fn softmax(x: &[f32], rows: usize, cols: usize, log: bool) -> Vec<f32> {
    assert_eq!(x.len(), rows * cols);
    let mut out = Vec::with_capacity(x.len());
    for row in x.chunks(cols) {
        let m = row.iter().fold(f64::NEG_INFINITY, |m, &v| m.max(v as f64));
        let sum: f64 = row.iter().map(|&v| (v as f64 - m).exp()).sum();
        for &v in row {
            let z = v as f64 - m;
            out.push(if log { z - sum.ln() } else { z.exp() / sum } as f32);
        }
    }
    out
}

/// Layer norm of each row: returns (y, mean, rstd) with biased variance.
pub fn layernorm(
    x: &[f32],
    gamma: &[f32],
    beta: &[f32],
    rows: usize,
    cols: usize,
    eps: f32,
) -> (Vec<f32>, Vec<f32>, Vec<f32>) {
    let (mut y, mut means, mut rstds) = (Vec::new(), Vec::new(), Vec::new());
    for row in x.chunks(cols).take(rows) {
        let mean = row.iter().map(|&v| v as f64).sum::<f64>() / cols as f64;
        let var = row.iter().map(|&v| (v as f64 - mean).powi(2)).sum::<f64>() / cols as f64;
        let rstd = 1.0 / (var + eps as f64).sqrt();
        for c in 0..cols {
            y.push(((row[c] as f64 - mean) * rstd * gamma[c] as f64 + beta[c] as f64) as f32);
        }
        means.push(mean as f32);
        rstds.push(rstd as f32);
    }
    (y, means, rstds)
}

/// Per-row cross-entropy `logsumexp(row) - row[target]`.
pub fn cross_entropy_forward(logits: &[f32], targets: &[i32], rows: usize, cols: usize) -> Vec<f32> {
    let logp = softmax(logits, rows, cols, true);
    (0..rows).map(|r| -logp[r * cols + targets[r] as usize]).collect()
}

/// Gradient of `scale * sum_r loss[r]` with respect to the logits.
pub fn cross_entropy_backward(logits: &[f32], targets: &[i32], rows: usize, cols: usize, scale: f32) -> Vec<f32> {
    let p = softmax(logits, rows, cols, false);
    let mut g = Vec::with_capacity(p.len());
    for r in 0..rows {
        for c in 0..cols {
            let onehot = if c as i32 == targets[r] { 1.0 } else { 0.0 };
            g.push(scale * (p[r * cols + c] - onehot));
        }
    }
    g
}

/// `[m, k] . [k, n]`, row-major, f64 sums.
pub fn matmul(a: &[f32], b: &[f32], m: usize, n: usize, k: usize) -> Vec<f32> {
    assert_eq!(a.len(), m * k, "reference matmul: A has {} values, not {m}x{k}", a.len());
    assert_eq!(b.len(), k * n, "reference matmul: B has {} values, not {k}x{n}", b.len());
    let mut c = vec![0.0f32; m * n];
    for i in 0..m {
        for j in 0..n {
            let mut acc = 0.0f64;
            for p in 0..k {
                acc += a[i * k + p] as f64 * b[p * n + j] as f64;
            }
            c[i * n + j] = acc as f32;
        }
    }
    c
}

/// Direct 2-D convolution, NCHW, zero padding (see [`crate::kernels::conv::ConvShape`]).
pub fn conv2d(x: &[f32], w: &[f32], s: &crate::kernels::conv::ConvShape) -> Vec<f32> {
    let mut y = vec![0.0f32; s.output_len()];
    for n in 0..s.n {
        for oc in 0..s.oc {
            for oh in 0..s.oh {
                for ow in 0..s.ow {
                    let mut acc = 0.0f64;
                    for c in 0..s.c {
                        for i in 0..s.kh {
                            for j in 0..s.kw {
                                let ih = (oh * s.stride + i) as isize - s.pad as isize;
                                let iw = (ow * s.stride + j) as isize - s.pad as isize;
                                if ih < 0 || iw < 0 || ih >= s.h as isize || iw >= s.w as isize {
                                    continue;
                                }
                                let xv = x[((n * s.c + c) * s.h + ih as usize) * s.w + iw as usize];
                                let wv = w[((oc * s.c + c) * s.kh + i) * s.kw + j];
                                acc += xv as f64 * wv as f64;
                            }
                        }
                    }
                    y[((n * s.oc + oc) * s.oh + oh) * s.ow + ow] = acc as f32;
                }
            }
        }
    }
    y
}

/// Scaled dot-product attention over `bh` independent `[s, d]` problems, scale `1/sqrt(d)`.
pub fn attention(q: &[f32], k: &[f32], v: &[f32], bh: usize, s: usize, d: usize, causal: bool) -> Vec<f32> {
    let scale = 1.0 / (d as f64).sqrt();
    let mut o = vec![0.0f32; bh * s * d];
    for h in 0..bh {
        let base = h * s * d;
        for i in 0..s {
            let keys = if causal { i + 1 } else { s };
            let scores: Vec<f64> = (0..keys)
                .map(|j| (0..d).map(|t| q[base + i * d + t] as f64 * k[base + j * d + t] as f64).sum::<f64>() * scale)
                .collect();
            let m = scores.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
            let weights: Vec<f64> = scores.iter().map(|&x| (x - m).exp()).collect();
            let total: f64 = weights.iter().sum();
            for t in 0..d {
                let acc: f64 = (0..keys).map(|j| weights[j] * v[base + j * d + t] as f64).sum();
                o[base + i * d + t] = (acc / total) as f32;
            }
        }
    }
    o
}

/// Deterministic pseudo-random values in `[-1, 1)` (a 64-bit LCG), for test and bench inputs.
pub fn random_values(len: usize, seed: u64) -> Vec<f32> {
    let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
    (0..len)
        .map(|_| {
            state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((state >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
        })
        .collect()
}
