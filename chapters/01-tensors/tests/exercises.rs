//! The checks of chapter 1's exercises. `cargo test -p ch01-tensors --features
//! learner` runs them against your `src/exercises.rs`; without the feature, against
//! the solutions. Every test name starts with its exercise number (`ex1_3_...`
//! checks exercise 1.3).

use ch01_tensors::checked::*;
use kindling_tensor::tolerance::{assert_close, Tolerance};
use kindling_tensor::{Rng, Tensor};

#[test]
fn ex1_1_contiguous_strides() {
    assert_eq!(contiguous_strides(&[2, 3, 4]), [12, 4, 1]);
    assert_eq!(contiguous_strides(&[5]), [1]);
    assert_eq!(contiguous_strides(&[]), Vec::<usize>::new());
    // They agree with the library on any shape.
    for shape in [vec![7, 1, 3], vec![2, 2, 2, 2], vec![64, 100]] {
        assert_eq!(
            contiguous_strides(&shape),
            Tensor::<f32>::zeros(shape.as_slice()).strides()
        );
    }
}

#[test]
fn ex1_2_storage_position() {
    assert_eq!(storage_position(&[1, 2], &[3, 1], 0), 5);
    assert_eq!(storage_position(&[], &[], 4), 4);
    // Every element of a transposed, narrowed view is found where the library reads
    // it.
    let base = Tensor::arange(24.0f32).reshape([2, 3, 4]);
    let view = base.permute([2, 0, 1]).narrow(0, 1, 2);
    let storage = base.to_vec();
    for i in 0..2 {
        for j in 0..2 {
            for k in 0..3 {
                let pos =
                    storage_position(&[i, j, k], view.strides(), view.offset());
                assert_eq!(
                    storage[pos],
                    view.get(&[i, j, k]),
                    "index [{i}, {j}, {k}]"
                );
            }
        }
    }
}

#[test]
fn ex1_3_broadcast_shape() {
    assert_eq!(broadcast_shape(&[2, 3], &[3]), Some(vec![2, 3]));
    assert_eq!(broadcast_shape(&[2, 1], &[1, 4]), Some(vec![2, 4]));
    assert_eq!(broadcast_shape(&[2], &[1]), Some(vec![2]));
    assert_eq!(broadcast_shape(&[], &[5, 1]), Some(vec![5, 1]));
    assert_eq!(broadcast_shape(&[8, 1, 6, 1], &[7, 1, 5]), Some(vec![8, 7, 6, 5]));
    assert_eq!(broadcast_shape(&[2, 3], &[2]), None);
    assert_eq!(broadcast_shape(&[4, 3], &[2, 1, 3]), Some(vec![2, 4, 3]));
    assert_eq!(broadcast_shape(&[4, 3], &[2, 2, 3]), None);
}

fn random(shape: [usize; 2], seed: u64) -> Tensor<f32> {
    Tensor::randn(shape, &mut Rng::seed(seed))
}

#[test]
fn ex1_4_matmul_ijk() {
    assert_eq!(
        matmul_ijk(&[1.0, 2.0, 3.0, 4.0], &[5.0, 6.0, 7.0, 8.0], 2, 2, 2),
        [19.0, 22.0, 43.0, 50.0]
    );
    for (m, k, n) in [(1, 1, 1), (3, 5, 2), (7, 1, 9), (16, 33, 8)] {
        let (a, b) = (random([m, k], 1), random([k, n], 2));
        let got =
            Tensor::from_vec(matmul_ijk(&a.to_vec(), &b.to_vec(), m, k, n), [m, n]);
        assert_close(&got, &a.matmul(&b), Tolerance::DEFAULT);
    }
}

#[test]
fn ex1_5_matmul_ipj() {
    assert_eq!(
        matmul_ipj(&[1.0, 2.0, 3.0, 4.0], &[5.0, 6.0, 7.0, 8.0], 2, 2, 2),
        [19.0, 22.0, 43.0, 50.0]
    );
    for (m, k, n) in [(1, 1, 1), (3, 5, 2), (7, 1, 9), (16, 33, 8)] {
        let (a, b) = (random([m, k], 3), random([k, n], 4));
        let got =
            Tensor::from_vec(matmul_ipj(&a.to_vec(), &b.to_vec(), m, k, n), [m, n]);
        assert_close(&got, &a.matmul(&b), Tolerance::DEFAULT);
    }
}

#[test]
fn ex1_6_dense_relu() {
    let x = Tensor::from([[1.0f32, -1.0], [2.0, 0.5]]);
    let w = Tensor::from([[1.0f32, 0.0, -1.0], [1.0, 2.0, 0.0]]);
    let b = Tensor::from([0.5f32, -1.0, 0.0]);
    // x·w = [[0, -2, -1], [2.5, 1, -2]]; + b = [[0.5, -3, -1], [3, 0, -2]]; relu.
    assert_eq!(dense_relu(&x, &w, &b).to_vec(), [0.5, 0.0, 0.0, 3.0, 0.0, 0.0]);
    let out = dense_relu(
        &random([64, 100], 5),
        &random([100, 50], 6),
        &Tensor::zeros([50]),
    );
    assert_eq!(out.shape(), &[64, 50]);
    assert!(out.to_vec().iter().all(|&v| v >= 0.0));
}

#[test]
fn ex1_7_pairwise_sq_distances() {
    let a = Tensor::from([[0.0f32, 0.0], [1.0, 1.0], [3.0, 4.0]]);
    let b = Tensor::from([[0.0f32, 0.0], [3.0, 0.0]]);
    assert_eq!(
        pairwise_sq_distances(&a, &b).to_vec(),
        [0.0, 9.0, 2.0, 5.0, 25.0, 16.0]
    );
    // ‖a − b‖² = ‖a‖² + ‖b‖² − 2 a·b, checked on random points.
    let (a, b) = (random([10, 4], 7), random([6, 4], 8));
    let a2 = (&a * &a).sum(-1, true); // [10, 1]
    let b2 = (&b * &b).sum(-1, false); // [6]
    let expected = &(&a2 + &b2) - &(&a.matmul(&b.t()) * 2.0);
    let got = pairwise_sq_distances(&a, &b);
    assert_eq!(got.shape(), &[10, 6]);
    assert_close(&got, &expected, Tolerance::RELAXED);
}
