//! Chapter 7: reference answers to the exercises in `exercises.rs`. The tests run
//! against these unless you pass `--features learner`.

/// Exercise 7.1.
pub fn conv_output_size(
    n: usize,
    k: usize,
    padding: usize,
    stride: usize,
) -> usize {
    (n + 2 * padding - k) / stride + 1
}

/// Exercise 7.2.
#[allow(clippy::too_many_arguments)]
pub fn conv2d_single(
    x: &[f32],
    (c, h, w): (usize, usize, usize),
    weight: &[f32],
    (o, kh, kw): (usize, usize, usize),
    padding: usize,
    stride: usize,
) -> Vec<f32> {
    let ho = conv_output_size(h, kh, padding, stride);
    let wo = conv_output_size(w, kw, padding, stride);
    let mut y = vec![0.0; o * ho * wo];
    for oc in 0..o {
        for i in 0..ho {
            for j in 0..wo {
                let mut acc = 0.0;
                for ic in 0..c {
                    for di in 0..kh {
                        for dj in 0..kw {
                            // The input pixel under tap (di, dj), in unpadded
                            // coordinates.
                            let r = (i * stride + di) as isize - padding as isize;
                            let s = (j * stride + dj) as isize - padding as isize;
                            if r < 0 || s < 0 || r >= h as isize || s >= w as isize
                            {
                                continue; // a zero of the padding
                            }
                            let xv = x[(ic * h + r as usize) * w + s as usize];
                            acc += weight[((oc * c + ic) * kh + di) * kw + dj] * xv;
                        }
                    }
                }
                y[(oc * ho + i) * wo + j] = acc;
            }
        }
    }
    y
}

/// Exercise 7.3.
pub fn max_pool2d(
    x: &[f32],
    (c, h, w): (usize, usize, usize),
    k: usize,
    stride: usize,
) -> Vec<f32> {
    let ho = conv_output_size(h, k, 0, stride);
    let wo = conv_output_size(w, k, 0, stride);
    let mut y = Vec::with_capacity(c * ho * wo);
    for ch in 0..c {
        for i in 0..ho {
            for j in 0..wo {
                let mut m = f32::NEG_INFINITY;
                for di in 0..k {
                    for dj in 0..k {
                        m = m.max(
                            x[(ch * h + i * stride + di) * w + j * stride + dj],
                        );
                    }
                }
                y.push(m);
            }
        }
    }
    y
}

/// Exercise 7.4.
pub fn im2col(
    x: &[f32],
    (c, h, w): (usize, usize, usize),
    k: usize,
    padding: usize,
    stride: usize,
) -> Vec<f32> {
    let ho = conv_output_size(h, k, padding, stride);
    let wo = conv_output_size(w, k, padding, stride);
    let mut cols = vec![0.0; c * k * k * ho * wo];
    for ic in 0..c {
        for di in 0..k {
            for dj in 0..k {
                let row = (ic * k + di) * k + dj;
                for i in 0..ho {
                    for j in 0..wo {
                        let r = (i * stride + di) as isize - padding as isize;
                        let s = (j * stride + dj) as isize - padding as isize;
                        if r >= 0 && s >= 0 && r < h as isize && s < w as isize {
                            cols[row * ho * wo + i * wo + j] =
                                x[(ic * h + r as usize) * w + s as usize];
                        }
                    }
                }
            }
        }
    }
    cols
}

/// Exercise 7.5.
pub fn tinyvgg_parameters(
    in_channels: usize,
    hidden: usize,
    classes: usize,
    (h, w): (usize, usize),
) -> usize {
    let conv = |cin: usize| hidden * cin * 9 + hidden;
    let features = hidden * (h / 4) * (w / 4);
    conv(in_channels) + 3 * conv(hidden) + features * classes + classes
}

/// Exercise 7.6.
pub fn confusion(
    actual: &[i64],
    predicted: &[i64],
    classes: usize,
) -> Vec<Vec<u64>> {
    let mut m = vec![vec![0; classes]; classes];
    for (&a, &p) in actual.iter().zip(predicted) {
        m[a as usize][p as usize] += 1;
    }
    m
}

/// Exercise 7.6.
pub fn most_confused(matrix: &[Vec<u64>]) -> (usize, usize, u64) {
    let mut best = (0, 0, 0);
    for (a, row) in matrix.iter().enumerate() {
        for (p, &n) in row.iter().enumerate() {
            if a != p && n > best.2 {
                best = (a, p, n);
            }
        }
    }
    best
}
