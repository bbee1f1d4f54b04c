//! Gradient checks of the pooling ops with PyTorch's `ceil_mode` and `count_include_pad`, in
//! one and two dimensions, on the naive and on the fast kernels. Inputs are distinct values
//! spaced well beyond the checker's step, so no max window has a tie.

use kindling_autograd::gradcheck;
use kindling_autograd::pool::{avg_pool1d, avg_pool2d, max_pool1d, max_pool2d, Pool1dOptions, Pool2dOptions};
use kindling_tensor::{with_kernel_mode, KernelMode, Rng, Tensor};

fn distinct(shape: &[usize], seed: u64) -> Tensor<f64> {
    let n: usize = shape.iter().product();
    let perm = Rng::seed(seed).permutation(n);
    Tensor::from_vec(perm.into_iter().map(|i| i as f64 * 0.01 - 0.4).collect(), shape.to_vec())
}

#[test]
fn pool2d_gradchecks_with_ceil_mode() {
    let x = distinct(&[2, 2, 7, 8], 31);
    for (k, s, p) in
        [((3, 2), (2, 3), (1, 0)), ((2, 2), (2, 2), (0, 0)), ((3, 3), (2, 2), (1, 1)), ((2, 2), (2, 2), (1, 1))]
    {
        for ceil in [false, true] {
            for include in [true, false] {
                let opts = Pool2dOptions::kernel2(k.0, k.1)
                    .stride2(s.0, s.1)
                    .padding2(p.0, p.1)
                    .ceil_mode(ceil)
                    .count_include_pad(include);
                for mode in [KernelMode::Naive, KernelMode::Fast] {
                    with_kernel_mode(mode, || {
                        gradcheck(&format!("avg_pool2d {opts:?} ({mode:?})"), std::slice::from_ref(&x), |v| {
                            avg_pool2d(&v[0], &opts)
                        });
                        if include {
                            gradcheck(&format!("max_pool2d {opts:?} ({mode:?})"), std::slice::from_ref(&x), |v| {
                                max_pool2d(&v[0], &opts)
                            });
                        }
                    });
                }
            }
        }
    }
}

#[test]
fn pool1d_gradchecks_with_ceil_mode() {
    let x = distinct(&[2, 3, 10], 32);
    for (k, s, p) in [(3, 2, 1), (3, 2, 0), (2, 2, 1), (4, 3, 2)] {
        for ceil in [false, true] {
            for include in [true, false] {
                let opts = Pool1dOptions::new(k).stride(s).padding(p).ceil_mode(ceil).count_include_pad(include);
                for mode in [KernelMode::Naive, KernelMode::Fast] {
                    with_kernel_mode(mode, || {
                        gradcheck(&format!("avg_pool1d {opts:?} ({mode:?})"), std::slice::from_ref(&x), |v| {
                            avg_pool1d(&v[0], &opts)
                        });
                        if include {
                            gradcheck(&format!("max_pool1d {opts:?} ({mode:?})"), std::slice::from_ref(&x), |v| {
                                max_pool1d(&v[0], &opts)
                            });
                        }
                    });
                }
            }
        }
    }
}
