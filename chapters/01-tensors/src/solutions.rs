//! Chapter 1: reference answers to the exercises in `exercises.rs`. The tests run
//! against these unless you pass `--features learner`.

use kindling_tensor::Tensor;

/// Exercise 1.1.
pub fn contiguous_strides(shape: &[usize]) -> Vec<usize> {
    let mut strides = vec![0; shape.len()];
    let mut step = 1;
    for axis in (0..shape.len()).rev() {
        strides[axis] = step;
        step *= shape[axis];
    }
    strides
}

/// Exercise 1.2.
pub fn storage_position(
    index: &[usize],
    strides: &[usize],
    offset: usize,
) -> usize {
    offset + index.iter().zip(strides).map(|(i, s)| i * s).sum::<usize>()
}

/// Exercise 1.3.
pub fn broadcast_shape(a: &[usize], b: &[usize]) -> Option<Vec<usize>> {
    let rank = a.len().max(b.len());
    // Size of axis `i` (counted from the left of the result) of a shape padded with
    // 1s.
    let size = |s: &[usize], i: usize| {
        if i + s.len() < rank {
            1
        } else {
            s[i + s.len() - rank]
        }
    };
    (0..rank)
        .map(|i| match (size(a, i), size(b, i)) {
            (x, y) if x == y => Some(x),
            (1, y) => Some(y),
            (x, 1) => Some(x),
            _ => None,
        })
        .collect()
}

/// Exercise 1.4.
pub fn matmul_ijk(a: &[f32], b: &[f32], m: usize, k: usize, n: usize) -> Vec<f32> {
    let mut c = vec![0.0; m * n];
    for i in 0..m {
        for j in 0..n {
            let mut acc = 0.0;
            for p in 0..k {
                acc += a[i * k + p] * b[p * n + j];
            }
            c[i * n + j] = acc;
        }
    }
    c
}

/// Exercise 1.5.
pub fn matmul_ipj(a: &[f32], b: &[f32], m: usize, k: usize, n: usize) -> Vec<f32> {
    let mut c = vec![0.0; m * n];
    for i in 0..m {
        let c_row = &mut c[i * n..(i + 1) * n];
        for p in 0..k {
            let a_ip = a[i * k + p];
            let b_row = &b[p * n..(p + 1) * n];
            for (c_ij, b_pj) in c_row.iter_mut().zip(b_row) {
                *c_ij += a_ip * b_pj;
            }
        }
    }
    c
}

/// Exercise 1.6.
pub fn dense_relu(
    x: &Tensor<f32>,
    w: &Tensor<f32>,
    b: &Tensor<f32>,
) -> Tensor<f32> {
    (&x.matmul(w) + b).relu()
}

/// Exercise 1.7.
pub fn pairwise_sq_distances(a: &Tensor<f32>, b: &Tensor<f32>) -> Tensor<f32> {
    let diff = &a.unsqueeze(1) - &b.unsqueeze(0); // [n, m, d]
    (&diff * &diff).sum(-1, false)
}
