//! Pooling with PyTorch's `ceil_mode` and `count_include_pad`: the window count against a
//! brute-force count, the fast kernels against the naive ones (forward and backward, strided
//! inputs, awkward sizes), and the example from PyTorch's behaviour that the docs quote.
//! Values against PyTorch itself are in `kindling-nn`'s `torch_conv.rs`.

use kindling_tensor::kernel_api::pool::{avg_backward, max_backward, PoolGeometry};
use kindling_tensor::pool::{
    avg_pool1d, avg_pool2d, max_pool1d, max_pool2d, pool_output_len, Pool1dOptions, Pool2dOptions,
};
use kindling_tensor::testing::check_close;
use kindling_tensor::{with_kernel_mode, KernelMode, Rng, Tensor, Tolerance};

/// The window count written as a walk: with `ceil_mode`, window `i > 0` exists while the one
/// before it stopped short of the padded end and it starts before the right padding.
fn brute_force_len(size: usize, k: usize, s: usize, p: usize, ceil: bool) -> usize {
    let padded = size + 2 * p;
    (0..)
        .take_while(
            |&i| {
                if !ceil {
                    i * s + k <= padded
                } else {
                    i == 0 || ((i - 1) * s + k < padded && i * s < size + p)
                }
            },
        )
        .count()
}

#[test]
fn pool_output_len_matches_a_brute_force_count() {
    for size in 1..24 {
        for k in 1..7 {
            for s in 1..5 {
                for p in 0..=k / 2 {
                    if size + 2 * p < k {
                        continue;
                    }
                    for ceil in [false, true] {
                        let n = pool_output_len(size, k, s, p, ceil);
                        assert_eq!(
                            n,
                            brute_force_len(size, k, s, p, ceil),
                            "size {size} k {k} s {s} p {p} ceil {ceil}"
                        );
                        // Every window starts on a real element or on the left padding.
                        let (start, end) = PoolGeometry::window(n - 1, s, p, k, size);
                        assert!(start < end, "size {size} k {k} s {s} p {p} ceil {ceil}: an empty last window");
                    }
                }
            }
        }
    }
}

#[test]
fn avg_pool1d_ceil_mode_counts_the_padding_only_up_to_its_end() {
    let x = Tensor::<f64>::arange(10.0).reshape([1, 1, 10]);
    let opts = Pool1dOptions::new(3).stride(2).padding(1).ceil_mode(true);
    for mode in [KernelMode::Naive, KernelMode::Fast] {
        let with_pad = with_kernel_mode(mode, || avg_pool1d(&x, &opts)).to_vec();
        assert_eq!(with_pad, [1.0 / 3.0, 2.0, 4.0, 6.0, 8.0, 4.5], "{mode:?}");
        let without = with_kernel_mode(mode, || avg_pool1d(&x, &opts.count_include_pad(false))).to_vec();
        assert_eq!(without, [0.5, 2.0, 4.0, 6.0, 8.0, 9.0], "{mode:?}");
        let (max, idx) = with_kernel_mode(mode, || max_pool1d(&x, &opts));
        assert_eq!((max.to_vec(), idx), (vec![1.0, 3.0, 5.0, 7.0, 9.0, 9.0], vec![1, 3, 5, 7, 9, 9]), "{mode:?}");
    }
}

fn grid() -> Vec<Pool2dOptions> {
    let mut all = Vec::new();
    for k in [(1, 1), (2, 2), (3, 3), (2, 3), (4, 1)] {
        for s in [(1, 1), (2, 2), (3, 2)] {
            for p in [(0, 0), (k.0 / 2, k.1 / 2)] {
                for ceil in [false, true] {
                    for include in [true, false] {
                        all.push(
                            Pool2dOptions::kernel2(k.0, k.1)
                                .stride2(s.0, s.1)
                                .padding2(p.0, p.1)
                                .ceil_mode(ceil)
                                .count_include_pad(include),
                        );
                    }
                }
            }
        }
    }
    all
}

/// Runs `f` on the naive kernels and then on the fast ones.
fn both<R>(f: impl Fn() -> R) -> (R, R) {
    (with_kernel_mode(KernelMode::Naive, &f), with_kernel_mode(KernelMode::Fast, &f))
}

#[test]
fn pool2d_fast_matches_naive_with_ceil_mode_on_awkward_sizes() {
    let mut rng = Rng::seed(16);
    for (h, w) in [(1, 1), (1, 7), (7, 1), (5, 7), (7, 8), (9, 9), (63, 65), (65, 63)] {
        // Built channels-last and viewed back, so the kernels also see a strided input.
        let x = Tensor::<f64>::randn([2, h, w, 3], &mut rng).permute([0, 3, 1, 2]);
        for opts in grid() {
            if opts.kernel.0 > h + 2 * opts.padding.0 || opts.kernel.1 > w + 2 * opts.padding.1 {
                continue;
            }
            let g = PoolGeometry::new("test", x.shape(), &opts);
            let what = format!("{opts:?} on [2, 3, {h}, {w}]");
            let ((yn, in_), (yf, if_)) = both(|| max_pool2d(&x, &opts));
            assert_eq!(yf.to_vec(), yn.to_vec(), "max {what}");
            assert_eq!(if_, in_, "argmax {what}");
            assert_eq!(yf.shape(), [2, 3, g.ho, g.wo], "{what}");
            let dy = Tensor::<f64>::randn(g.output_shape(), &mut rng);
            let (dn, df) = both(|| max_backward(&g, &dy, &in_));
            check_close(&format!("max backward {what}"), &df, &dn, Tolerance::STRICT);
            let (an, af) = both(|| avg_pool2d(&x, &opts));
            check_close(&format!("avg {what}"), &af, &an, Tolerance::STRICT);
            let (dn, df) = both(|| avg_backward(&g, &dy));
            check_close(&format!("avg backward {what}"), &df, &dn, Tolerance::STRICT);
        }
    }
}

#[test]
fn pool1d_fast_matches_naive_with_ceil_mode_on_awkward_lengths() {
    let mut rng = Rng::seed(17);
    for len in [1, 2, 7, 63, 65, 257] {
        let x = Tensor::<f32>::randn([2, len, 3], &mut rng).permute([0, 2, 1]);
        for opts in grid() {
            let opts = Pool1dOptions::new(opts.kernel.1)
                .stride(opts.stride.1)
                .padding(opts.padding.1)
                .ceil_mode(opts.ceil_mode)
                .count_include_pad(opts.count_include_pad);
            if opts.kernel > len + 2 * opts.padding {
                continue;
            }
            let ((yn, in_), (yf, if_)) = both(|| max_pool1d(&x, &opts));
            assert_eq!((yf.to_vec(), if_), (yn.to_vec(), in_), "max_pool1d {opts:?} on length {len}");
            let expected = pool_output_len(len, opts.kernel, opts.stride, opts.padding, opts.ceil_mode);
            assert_eq!(yf.shape(), [2, 3, expected]);
            let (an, af) = both(|| avg_pool1d(&x, &opts));
            check_close(&format!("avg_pool1d {opts:?} on length {len}"), &af, &an, Tolerance::STRICT);
        }
    }
}
