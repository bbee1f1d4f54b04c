//! Chapter 1 of the Kindling book: tensors.
//!
//! The book includes the code between the `ANCHOR` markers of this file; the demo
//! (`cargo run --release -p ch01-tensors`) runs it and writes what the chapter
//! shows. Your exercises are in [`exercises`]; check them with
//! `cargo test -p ch01-tensors --features learner`.

use kindling_tensor::kernel_api::{versions, MatRef};
use kindling_tensor::{with_kernel_mode, KernelMode, Rng, Tensor};
use std::time::Duration;

pub mod diagrams;
pub mod exercises;
pub mod solutions;

/// What the tests check: your code with `--features learner`, the solutions
/// without.
#[cfg(feature = "learner")]
pub use exercises as checked;
/// What the tests check: your code with `--features learner`, the solutions
/// without.
#[cfg(not(feature = "learner"))]
pub use solutions as checked;

// ANCHOR: ranks
/// One tensor of each rank from 0 to 3.
pub fn one_of_each_rank() -> [Tensor<f32>; 4] {
    let scalar = Tensor::scalar(5.0f32); // rank 0: shape [], one element
    let vector = Tensor::from([1.0f32, 2.0, 3.0]); // rank 1: shape [3]
    let matrix = Tensor::from([[1.0f32, 2.0], [3.0, 4.0]]); // rank 2: shape [2, 2]
    let cube =
        // rank 3: [2, 2, 2]
        Tensor::from([[[1.0f32, 2.0], [3.0, 4.0]], [[5.0, 6.0], [7.0, 8.0]]]);
    [scalar, vector, matrix, cube]
}

/// `"rank 2, shape [2, 2], 4 elements, float32"`
pub fn describe(t: &Tensor<f32>) -> String {
    let plural = if t.numel() == 1 { "" } else { "s" };
    format!(
        "rank {}, shape {:?}, {} element{plural}, {}",
        t.rank(),
        t.shape(),
        t.numel(),
        t.dtype().name()
    )
}
// ANCHOR_END: ranks

// ANCHOR: creation
/// The usual ways to make a tensor, each with a name for printing.
pub fn made_in_different_ways() -> Vec<(&'static str, Tensor<f32>)> {
    // the same seed gives the same numbers on every machine
    let mut rng = Rng::seed(42);
    vec![
        ("Tensor::zeros([2, 3])", Tensor::zeros([2, 3])),
        ("Tensor::full([2, 2], 7.0)", Tensor::full([2, 2], 7.0)),
        ("Tensor::arange(6.0)", Tensor::arange(6.0)),
        ("Tensor::linspace(0.0, 1.0, 5)", Tensor::linspace(0.0, 1.0, 5)),
        ("Tensor::eye(3)", Tensor::eye(3)),
        (
            "Tensor::randn([2, 3], &mut Rng::seed(42))",
            Tensor::randn([2, 3], &mut rng),
        ),
    ]
}
// ANCHOR_END: creation

// ANCHOR: views
/// Views change shape, strides and offset; the numbers stay where they are.
pub fn views_share_storage() -> Vec<(&'static str, Tensor<f32>)> {
    let x = Tensor::arange(6.0f32).reshape([2, 3]); // 0 1 2 / 3 4 5, strides [3, 1]
    let xt = x.t(); // shape [3, 2], strides [1, 3]: the same six numbers
    let row = x.select(0, 1); // the second row: shape [3], offset 3
    let col = x.narrow(1, 2, 1); // the last column: shape [2, 1], offset 2

    // Stride 0 along the new axis: four rows that are one row in memory.
    let tiled = Tensor::from([1.0f32, 2.0, 3.0]).expand([4, 3]);
    for v in [&xt, &row, &col] {
        assert!(v.shares_storage_with(&x)); // no copy was made
    }
    vec![
        ("x", x),
        ("x.t()", xt),
        ("x.select(0, 1)", row),
        ("x.narrow(1, 2, 1)", col),
        ("expand([4, 3])", tiled),
    ]
}
// ANCHOR_END: views

// ANCHOR: broadcasting
/// Broadcasting: shapes line up from the right; a 1 (or a missing axis) stretches.
pub fn broadcasting_examples() -> Vec<(&'static str, Tensor<f32>)> {
    let v = Tensor::from([3.0f32, 4.0]);
    let one = Tensor::from([1.0f32]);
    let m = Tensor::from([[1.0f32, 2.0, 3.0], [4.0, 5.0, 6.0]]);
    let row = Tensor::from([10.0f32, 20.0, 30.0]);
    let col = Tensor::from([[100.0f32], [200.0]]);
    vec![
        ("[3, 4] + [1]          ([2] with [1] -> [2])", &v + &one),
        ("m + row               ([2, 3] with [3] -> [2, 3])", &m + &row),
        ("m + col               ([2, 3] with [2, 1] -> [2, 3])", &m + &col),
        ("col + row             ([2, 1] with [3] -> [2, 3])", &col + &row),
    ]
}
// ANCHOR_END: broadcasting

// ANCHOR: dense_shapes
/// The shapes of a dense layer on a batch: X `[64, 100]` · W `[100, 50]` + b `[50]`
/// → `[64, 50]`.
pub fn dense_layer_shapes() -> Vec<usize> {
    let mut rng = Rng::seed(0);
    // 64 examples, 100 features each
    let x = Tensor::<f32>::randn([64, 100], &mut rng);
    let w = Tensor::<f32>::randn([100, 50], &mut rng); // 100 inputs → 50 outputs
    let b = Tensor::<f32>::zeros([50]); // one bias per output, broadcast over rows
    let z = &x.matmul(&w) + &b;
    let a = z.relu(); // elementwise: the shape does not change
    a.shape().to_vec()
}
// ANCHOR_END: dense_shapes

// ANCHOR: reductions
/// Column means with `keepdim`, so the result broadcasts back against the data.
pub fn center_columns(x: &Tensor<f32>) -> (Tensor<f32>, Tensor<f32>) {
    let means = x.mean(0, true); // shape [1, columns]
    let centered = x - &means; // [rows, columns] - [1, columns]
    (means, centered)
}
// ANCHOR_END: reductions

// ANCHOR: matrix_algebra
/// The course's 2 × 2 examples: product, Hadamard product, transpose, identity.
pub fn matrix_algebra() -> Vec<(&'static str, Tensor<f32>)> {
    let a = Tensor::from([[1.0f32, 2.0], [3.0, 4.0]]);
    let b = Tensor::from([[5.0f32, 6.0], [7.0, 8.0]]);
    vec![
        ("a.matmul(&b)", a.matmul(&b)), // [[19, 22], [43, 50]]
        ("&a * &b (Hadamard)", &a * &b), // [[5, 12], [21, 32]]
        ("a.t()", a.t()),               // [[1, 3], [2, 4]]
        ("a.matmul(&Tensor::eye(2))", a.matmul(&Tensor::eye(2))), // a again
    ]
}
// ANCHOR_END: matrix_algebra

/// One row of the matmul version table: the version, the size, the speed.
pub struct MatmulTiming {
    pub version: &'static str,
    pub n: usize,
    pub gflops: f64,
    /// Largest difference from v1's result (every version computes the same
    /// product).
    pub max_diff: f32,
}

// ANCHOR: time_versions
/// Times the five versions of the matmul catalogue on n × n f32 matrices (best of
/// `runs`). A product of two n × n matrices costs 2n³ floating-point operations.
pub fn time_matmul_versions(n: usize, runs: usize) -> Vec<MatmulTiming> {
    type Gemm = fn(MatRef<f32>, MatRef<f32>, &mut [f32]);
    let all: [(&str, Gemm); 5] = [
        ("v1 naive i-j-k", versions::v1_naive),
        ("v2 loop order i-p-j", versions::v2_loop_order),
        ("v3 cache blocking", versions::v3_blocked),
        ("v4 packing + SIMD", versions::v4_packed_simd),
        ("v5 threads", versions::v5_threaded),
    ];
    let mut rng = Rng::seed(1);
    let a = Tensor::<f32>::randn([n, n], &mut rng).to_vec();
    let b = Tensor::<f32>::randn([n, n], &mut rng).to_vec();
    let mut reference = vec![0.0f32; n * n];
    versions::v1_naive(
        MatRef::row_major(&a, n, n),
        MatRef::row_major(&b, n, n),
        &mut reference,
    );
    let mut rows = Vec::new();
    for (version, gemm) in all {
        let mut c = vec![0.0f32; n * n];
        let (time, ()) = chapter_kit::best_of(runs, || {
            gemm(MatRef::row_major(&a, n, n), MatRef::row_major(&b, n, n), &mut c);
        });
        let max_diff = c
            .iter()
            .zip(&reference)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0, f32::max);
        rows.push(MatmulTiming { version, n, gflops: gflops(n, time), max_diff });
    }
    rows
}

fn gflops(n: usize, time: Duration) -> f64 {
    2.0 * (n as f64).powi(3) / time.as_secs_f64() / 1e9
}
// ANCHOR_END: time_versions

// ANCHOR: kernel_mode
/// The same tensor program on the naive and on the fast kernels: same answer,
/// different time.
pub fn naive_and_fast<R>(
    program: impl Fn() -> R,
) -> ((Duration, R), (Duration, R)) {
    let naive =
        with_kernel_mode(KernelMode::Naive, || chapter_kit::best_of(3, &program));
    let fast =
        with_kernel_mode(KernelMode::Fast, || chapter_kit::best_of(3, &program));
    (naive, fast)
}
// ANCHOR_END: kernel_mode

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scalar_has_an_empty_shape() {
        let [scalar, vector, matrix, cube] = one_of_each_rank();
        assert_eq!(
            (scalar.rank(), scalar.shape(), scalar.numel()),
            (0, &[][..], 1)
        );
        assert_eq!(vector.shape(), &[3]);
        assert_eq!(matrix.shape(), &[2, 2]);
        assert_eq!(cube.shape(), &[2, 2, 2]);
        assert_eq!(describe(&matrix), "rank 2, shape [2, 2], 4 elements, float32");
    }

    #[test]
    fn course_fixtures_hold() {
        let out = matrix_algebra();
        assert_eq!(out[0].1.to_vec(), [19.0, 22.0, 43.0, 50.0]);
        assert_eq!(out[1].1.to_vec(), [5.0, 12.0, 21.0, 32.0]);
        assert_eq!(out[2].1.to_vec(), [1.0, 3.0, 2.0, 4.0]);
        assert_eq!(out[3].1.to_vec(), [1.0, 2.0, 3.0, 4.0]);
        assert_eq!(broadcasting_examples()[0].1.to_vec(), [4.0, 5.0]);
        assert_eq!(dense_layer_shapes(), [64, 50]);
    }

    #[test]
    fn views_are_views_and_centering_centers() {
        let views = views_share_storage();
        assert_eq!(views[1].1.strides(), &[1, 3]);
        assert_eq!(views[4].1.strides(), &[0, 1]);
        let (means, centered) =
            center_columns(&Tensor::from([[1.0f32, 10.0], [3.0, 30.0]]));
        assert_eq!(means.to_vec(), [2.0, 20.0]);
        assert_eq!(centered.to_vec(), [-1.0, -10.0, 1.0, 10.0]);
    }

    #[test]
    fn every_matmul_version_computes_the_same_product() {
        for row in time_matmul_versions(67, 1) {
            assert!(
                row.max_diff < 1e-3,
                "{} differs from v1 by {}",
                row.version,
                row.max_diff
            );
        }
    }
}
