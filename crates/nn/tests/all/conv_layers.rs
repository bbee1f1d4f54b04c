//! Pooling, BatchNorm2d and Dropout2d: fast against naive, gradient checks, behaviour in
//! training and evaluation, PyTorch's names, and the messages for bad shapes.

use crate::support::{both, panic_message};
use kindling_autograd::Variable;
use kindling_nn::{
    gradcheck_module, summary, AdaptiveAvgPool2d, AvgPool2d, BatchNorm2d, Conv2d, Dropout2d, Forward, MaxPool2d,
    Module, Sequential,
};
use kindling_tensor::pool::{avg_pool2d as avg_pool2d_tensor, max_pool2d as max_pool2d_tensor, Pool2dOptions};
use kindling_tensor::{with_kernel_mode, KernelMode, Rng, Tensor, Tolerance};

/// Average pooling sums in the same order on both paths.
const POOL_FAST_VS_NAIVE: Tolerance = Tolerance::STRICT;

/// Distinct values (no ties in max pooling), away from each other by more than the gradient
/// checker's step.
fn distinct(shape: [usize; 4], seed: u64) -> Tensor<f64> {
    let n: usize = shape.iter().product();
    let perm = Rng::seed(seed).permutation(n);
    Tensor::from_vec(perm.into_iter().map(|i| i as f64 * 0.01 - 0.3).collect(), shape)
}

#[test]
fn pooling_fast_matches_naive_on_odd_shapes() {
    let mut rng = Rng::seed(1);
    for &(c, h, w) in &[(1, 1, 1), (3, 5, 7), (7, 8, 3), (2, 28, 28)] {
        for opts in [
            Pool2dOptions::new(2),
            Pool2dOptions::new(1),
            Pool2dOptions::new(3).stride(2).padding(1),
            Pool2dOptions::kernel2(2, 3).stride2(3, 1),
            Pool2dOptions::new(3).stride(2).padding(1).count_include_pad(false),
            Pool2dOptions::new(2).ceil_mode(true),
            Pool2dOptions::kernel2(3, 2).stride2(2, 3).padding2(1, 1).ceil_mode(true),
            Pool2dOptions::new(3).stride(2).padding(1).count_include_pad(false).ceil_mode(true),
        ] {
            if opts.kernel.0 > h + 2 * opts.padding.0 || opts.kernel.1 > w + 2 * opts.padding.1 {
                continue;
            }
            let x = Tensor::<f64>::randn([2, c, h, w], &mut rng);
            let ((yf, idf), (yn, idn)) = both(|| max_pool2d_tensor(&x, &opts));
            assert_eq!(yf.to_vec(), yn.to_vec(), "max {opts:?} on [2, {c}, {h}, {w}]");
            assert_eq!(idf, idn, "argmax {opts:?}");
            let (af, an) = both(|| avg_pool2d_tensor(&x, &opts));
            kindling_tensor::assert_close(&af, &an, POOL_FAST_VS_NAIVE);
        }
    }
}

#[test]
fn max_pool_propagates_nan_and_breaks_ties_to_the_first() {
    let x = Tensor::from_vec(vec![1.0f32, 1.0, 1.0, 1.0, 2.0, f32::NAN, 0.0, 3.0], [1, 2, 2, 2]);
    for mode in [KernelMode::Fast, KernelMode::Naive] {
        let (y, idx) = with_kernel_mode(mode, || max_pool2d_tensor(&x, &Pool2dOptions::new(2)));
        assert_eq!(y.to_vec()[0], 1.0);
        assert_eq!(idx[0], 0, "{mode:?}: ties go to the first position");
        assert!(y.to_vec()[1].is_nan(), "{mode:?}: NaN wins");
        assert_eq!(idx[1], 1);
    }
}

#[test]
fn pooling_layers_gradcheck() {
    let x = distinct([2, 3, 7, 6], 2);
    let layers: Vec<(&str, Box<dyn Forward<f64>>)> = vec![
        ("MaxPool2d(2)", Box::new(MaxPool2d::new(2))),
        ("MaxPool2d(3, s2, p1)", Box::new(MaxPool2d::with_options(Pool2dOptions::new(3).stride(2).padding(1)))),
        ("AvgPool2d(2)", Box::new(AvgPool2d::new(2))),
        (
            "AvgPool2d(3, s2, p1, exclude pad)",
            Box::new(AvgPool2d::with_options(Pool2dOptions::new(3).stride(2).padding(1).count_include_pad(false))),
        ),
        ("MaxPool2d(2, ceil)", Box::new(MaxPool2d::new(2).ceil_mode(true))),
        (
            "MaxPool2d(3, s2, p1, ceil)",
            Box::new(MaxPool2d::with_options(Pool2dOptions::new(3).stride(2).padding(1)).ceil_mode(true)),
        ),
        (
            "AvgPool2d(3×2, s2×3, p1×1, ceil)",
            Box::new(
                AvgPool2d::with_options(Pool2dOptions::kernel2(3, 2).stride2(2, 3).padding2(1, 1)).ceil_mode(true),
            ),
        ),
        (
            "AvgPool2d(3, s2, p1, ceil, exclude pad)",
            Box::new(
                AvgPool2d::with_options(Pool2dOptions::new(3).stride(2).padding(1))
                    .ceil_mode(true)
                    .count_include_pad(false),
            ),
        ),
        ("AdaptiveAvgPool2d(3, 4)", Box::new(AdaptiveAvgPool2d::new(3, 4))),
        ("AdaptiveAvgPool2d(5, 5) upsampling", Box::new(AdaptiveAvgPool2d::new(9, 8))),
        ("global average pool", Box::new(AdaptiveAvgPool2d::global())),
    ];
    for (name, layer) in &layers {
        for mode in [KernelMode::Fast, KernelMode::Naive] {
            with_kernel_mode(mode, || gradcheck_module(&format!("{name} ({mode:?})"), layer.as_ref(), &x));
        }
    }
}

#[test]
fn global_average_pool_is_the_channel_mean() {
    let x = Tensor::<f32>::randn([2, 3, 5, 4], &mut Rng::seed(3));
    let y = AdaptiveAvgPool2d::global().forward(&Variable::constant(x.clone())).value();
    assert_eq!(y.shape(), [2, 3, 1, 1]);
    let mean = x.mean([2isize, 3], true);
    kindling_tensor::assert_close(&y, &mean, Tolerance::DEFAULT);
}

#[test]
fn batch_norm2d_gradchecks_and_keeps_pytorch_names() {
    let bn = BatchNorm2d::<f64>::new(3);
    bn.weight().set_value(Tensor::from([1.5, -0.5, 2.0]));
    bn.bias().set_value(Tensor::from([0.1, 0.2, -0.3]));
    let x = Tensor::<f64>::randn([4, 3, 3, 2], &mut Rng::seed(4));
    gradcheck_module("BatchNorm2d train", &bn, &x);
    bn.eval();
    gradcheck_module("BatchNorm2d eval", &bn, &x);
    let names: Vec<String> = bn.state_dict().keys().map(str::to_string).collect();
    for key in ["weight", "bias", "running_mean", "running_var", "num_batches_tracked"] {
        assert!(names.iter().any(|n| n == key), "missing {key} in {names:?}");
    }
}

#[test]
fn batch_norm2d_normalises_each_channel_over_batch_and_space() {
    let bn = BatchNorm2d::<f64>::new(2);
    let x = Tensor::<f64>::randn([5, 2, 4, 3], &mut Rng::seed(5)) * 3.0 + 2.0;
    let y = bn.forward(&Variable::constant(x)).value();
    let mean = y.mean([0isize, 2, 3], false).to_vec();
    let var = y.var_with_correction([0isize, 2, 3], 0, false).to_vec();
    for c in 0..2 {
        assert!(mean[c].abs() < 1e-12, "channel {c} mean {}", mean[c]);
        assert!((var[c] - 1.0).abs() < 1e-3, "channel {c} variance {}", var[c]);
    }
}

#[test]
fn dropout2d_drops_whole_channels_and_is_identity_in_eval() {
    let drop = Dropout2d::new(0.5, &mut Rng::seed(6));
    let x = Variable::constant(Tensor::<f32>::ones([8, 16, 3, 3]));
    let y = drop.forward(&x).value().to_vec();
    let mut dropped = 0;
    for plane in y.chunks_exact(9) {
        assert!(plane.iter().all(|&v| v == plane[0]), "a channel is dropped or kept whole");
        assert!(plane[0] == 0.0 || plane[0] == 2.0, "survivors are scaled by 1/(1 − p)");
        dropped += (plane[0] == 0.0) as usize;
    }
    assert!((32..=96).contains(&dropped), "{dropped} of 128 channels dropped at p = 0.5");
    Module::<f32>::eval(&drop);
    assert_eq!(drop.forward(&x).value().to_vec(), x.value().to_vec());
    let g = Dropout2d::new(0.3, &mut Rng::seed(7));
    Module::<f64>::eval(&g);
    gradcheck_module("Dropout2d eval", &g, &Tensor::randn([2, 3, 2, 2], &mut Rng::seed(8)));
}

#[test]
fn summary_lists_the_conv_layers() {
    let mut rng = Rng::seed(9);
    let model = Sequential::new()
        .add(Conv2d::new(1, 4, 3, &mut rng).padding(1))
        .add(BatchNorm2d::new(4))
        .add(MaxPool2d::new(2))
        .add(AdaptiveAvgPool2d::global());
    let s = summary(&model, &[2, 1, 8, 8]);
    let shapes: Vec<Option<Vec<usize>>> = s.rows.iter().map(|r| r.output_shape.clone()).collect();
    assert_eq!(shapes[1], Some(vec![2, 4, 8, 8]));
    assert_eq!(shapes[2], Some(vec![2, 4, 8, 8]));
    assert_eq!(shapes[3], Some(vec![2, 4, 4, 4]));
    assert_eq!(shapes[4], Some(vec![2, 4, 1, 1]));
    assert_eq!(s.rows[1].type_name, "Conv2d");
    assert_eq!(s.rows[2].type_name, "BatchNorm2d");
    assert_eq!(s.total_params, 4 * 9 + 4 + 8);
}

#[test]
fn bad_shapes_are_reported() {
    let msg = panic_message(|| {
        max_pool2d_tensor(&Tensor::<f32>::zeros([2, 3, 5]), &Pool2dOptions::new(2));
    });
    assert!(msg.starts_with("max_pool2d: input [2, 3, 5]") && msg.contains("[N, C, H, W]"), "{msg}");
    let msg = panic_message(|| {
        avg_pool2d_tensor(&Tensor::<f32>::zeros([1, 1, 2, 2]), &Pool2dOptions::new(3));
    });
    assert!(msg.starts_with("avg_pool2d: input [1, 1, 2, 2]") && msg.contains("smaller than the kernel"), "{msg}");
    let msg = panic_message(|| {
        max_pool2d_tensor(&Tensor::<f32>::zeros([1, 1, 8, 8]), &Pool2dOptions::new(2).padding(2));
    });
    assert!(msg.contains("at most half the kernel"), "{msg}");
    let msg = panic_message(|| {
        BatchNorm2d::<f32>::new(3).forward(&Variable::constant(Tensor::zeros([2, 4, 3, 3])));
    });
    assert_eq!(msg, "BatchNorm2d: expected input [N, 3, H, W], got [2, 4, 3, 3]");
    let msg = panic_message(|| {
        Dropout2d::new(0.5, &mut Rng::seed(0)).forward(&Variable::constant(Tensor::<f32>::zeros([2, 4])));
    });
    assert_eq!(msg, "Dropout2d: expected input [N, C, H, W], got [2, 4]");
}
