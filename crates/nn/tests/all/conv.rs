//! Convolutions: fast against naive on a grid of awkward shapes, gradient checks of the layers,
//! output sizes, and the messages for shapes that do not fit.

use crate::support::{both, panic_message};
use kindling_autograd::conv::conv2d;
use kindling_autograd::Variable;
use kindling_nn::{gradcheck_module, Conv2d, ConvTranspose2d, Forward, Module};
use kindling_tensor::conv::{
    conv2d as conv2d_tensor, conv_transpose2d as conv_transpose2d_tensor, Conv2dOptions, ConvTranspose2dOptions,
    Padding,
};
use kindling_tensor::kernel_api::conv::ConvGeometry;
use kindling_tensor::{with_kernel_mode, KernelMode, Rng, Tensor, Tolerance};

/// f32 fast against f32 naive: the GEMM sums in another order.
const FAST_VS_NAIVE_F32: Tolerance = Tolerance::RELAXED;
/// f64 fast against f64 naive.
const FAST_VS_NAIVE_F64: Tolerance = Tolerance { atol: 1e-10, rtol: 1e-10 };

fn close<T: kindling_tensor::Float>(what: &str, fast: &Tensor<T>, naive: &Tensor<T>, tol: Tolerance) {
    assert_eq!(fast.shape(), naive.shape(), "{what}: shapes");
    if let Some(m) = kindling_tensor::tolerance::first_mismatch(fast, naive, tol) {
        panic!("{what}: fast vs naive: {m}");
    }
}

/// (batch, in, out, h, w, kernel, stride, padding, dilation, groups)
type Case = (usize, usize, usize, usize, usize, (usize, usize), (usize, usize), Padding, (usize, usize), usize);

fn grid() -> Vec<Case> {
    let mut cases: Vec<Case> = Vec::new();
    for &(cin, cout, groups) in &[(1, 1, 1), (3, 7, 1), (7, 3, 1), (4, 6, 2), (6, 6, 3)] {
        for &(h, w) in &[(5, 7), (1, 1), (8, 3)] {
            for &k in &[(1, 1), (3, 3), (2, 3)] {
                for &(stride, padding, dilation) in &[
                    ((1, 1), Padding::Valid, (1, 1)),
                    ((2, 2), Padding::Explicit(1, 1), (1, 1)),
                    ((3, 2), Padding::Explicit(2, 0), (2, 1)),
                    ((1, 1), Padding::Same, (2, 2)),
                ] {
                    let geom_ok = std::panic::catch_unwind(|| {
                        let opts = Conv2dOptions { stride, padding, dilation, groups };
                        ConvGeometry::conv("grid", &[2, cin, h, w], &[cout, cin / groups, k.0, k.1], &opts)
                    })
                    .is_ok();
                    if geom_ok {
                        cases.push((2, cin, cout, h, w, k, stride, padding, dilation, groups));
                    }
                }
            }
        }
    }
    cases
}

#[test]
fn fast_matches_naive_on_a_grid_of_shapes() {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let cases = grid();
    std::panic::set_hook(hook);
    assert!(cases.len() > 100, "only {} cases", cases.len());
    let mut rng = Rng::seed(3);
    for (n, cin, cout, h, w, k, stride, padding, dilation, groups) in cases {
        let what = format!(
            "x [{n}, {cin}, {h}, {w}], k {k:?}, stride {stride:?}, {padding:?}, dilation {dilation:?}, groups {groups}"
        );
        let opts = Conv2dOptions { stride, padding, dilation, groups };
        let x = Tensor::<f32>::randn([n, cin, h, w], &mut rng);
        let wt = Tensor::<f32>::randn([cout, cin / groups, k.0, k.1], &mut rng);
        let b = Tensor::<f32>::randn([cout], &mut rng);
        let (fast, naive) = both(|| conv2d_tensor(&x, &wt, Some(&b), &opts));
        close(&format!("conv2d {what}"), &fast, &naive, FAST_VS_NAIVE_F32);
        // Both backward passes, through autograd.
        let dy = Tensor::<f32>::randn(fast.shape(), &mut rng);
        let grads = || {
            let (xv, wv) = (Variable::param(x.clone()), Variable::param(wt.clone()));
            conv2d(&xv, &wv, None, &opts).backward_with(&dy);
            (xv.grad().unwrap(), wv.grad().unwrap())
        };
        let ((dxf, dwf), (dxn, dwn)) = both(grads);
        close(&format!("conv2d ∂x {what}"), &dxf, &dxn, FAST_VS_NAIVE_F32);
        close(&format!("conv2d ∂w {what}"), &dwf, &dwn, FAST_VS_NAIVE_F32);
    }
}

#[test]
fn fast_matches_naive_for_transposed_convolutions() {
    let mut rng = Rng::seed(4);
    for &(cin, cout, groups, stride, padding, out_pad, dilation, k) in
        &[(1, 1, 1, 1, 0, 0, 1, 3), (3, 7, 1, 2, 1, 1, 1, 4), (4, 6, 2, 3, 1, 2, 1, 3), (7, 3, 1, 2, 0, 1, 2, 2)]
    {
        let opts = ConvTranspose2dOptions::default()
            .stride(stride)
            .padding(padding)
            .output_padding(out_pad)
            .dilation(dilation)
            .groups(groups);
        let x = Tensor::<f64>::randn([2, cin, 5, 3], &mut rng);
        let w = Tensor::<f64>::randn([cin, cout / groups, k, k], &mut rng);
        let b = Tensor::<f64>::randn([cout], &mut rng);
        let (fast, naive) = both(|| conv_transpose2d_tensor(&x, &w, Some(&b), &opts));
        close(&format!("conv_transpose2d {opts:?}"), &fast, &naive, FAST_VS_NAIVE_F64);
        assert_eq!(fast.shape()[1], cout);
        // PyTorch's size formula.
        assert_eq!(fast.shape()[2], (5 - 1) * stride - 2 * padding + dilation * (k - 1) + out_pad + 1);
    }
}

#[test]
fn conv2d_layer_gradchecks_with_every_option() {
    let mut rng = Rng::seed(5);
    let configs = [
        ("plain", Conv2dOptions::default(), (3, 3), 2, 3, 1),
        ("stride 2 padding 1", Conv2dOptions::default().stride(2).padding(1), (3, 3), 3, 2, 1),
        ("same dilation 2", Conv2dOptions::default().padding(Padding::Same).dilation(2), (2, 3), 2, 2, 1),
        ("groups 2", Conv2dOptions::default().groups(2).padding(1), (3, 3), 4, 6, 2),
        (
            "stride 3 asymmetric",
            Conv2dOptions::default().stride2(3, 2).padding(Padding::Asymmetric {
                top: 1,
                bottom: 0,
                left: 2,
                right: 1,
            }),
            (2, 2),
            1,
            3,
            1,
        ),
    ];
    for (name, opts, k, cin, cout, _) in configs {
        let layer = Conv2d::<f64>::with_options(cin, cout, k, opts, true, &mut rng);
        let x = Tensor::<f64>::randn([2, cin, 5, 7], &mut rng);
        for mode in [KernelMode::Fast, KernelMode::Naive] {
            with_kernel_mode(mode, || gradcheck_module(&format!("Conv2d {name} ({mode:?})"), &layer, &x));
        }
    }
}

#[test]
fn conv_transpose2d_layer_gradchecks() {
    let mut rng = Rng::seed(6);
    let opts = ConvTranspose2dOptions::default().stride(2).padding(1).output_padding(1);
    let layer = ConvTranspose2d::<f64>::with_options(3, 2, (3, 3), opts, true, &mut rng);
    let grouped = ConvTranspose2d::<f64>::with_options(
        4,
        6,
        (2, 2),
        ConvTranspose2dOptions::default().groups(2).dilation(2),
        true,
        &mut rng,
    );
    for mode in [KernelMode::Fast, KernelMode::Naive] {
        with_kernel_mode(mode, || {
            gradcheck_module("ConvTranspose2d", &layer, &Tensor::randn([2, 3, 4, 3], &mut Rng::seed(1)));
            gradcheck_module("ConvTranspose2d grouped", &grouped, &Tensor::randn([1, 4, 3, 5], &mut Rng::seed(2)));
        });
    }
}

#[test]
fn output_sizes_follow_the_formula() {
    let mut rng = Rng::seed(7);
    let x = Variable::constant(Tensor::<f32>::zeros([1, 3, 64, 64]));
    let same = Conv2d::with_options(3, 4, (4, 4), Conv2dOptions::default().padding(Padding::Same), true, &mut rng);
    assert_eq!(same.forward(&x).shape(), [1, 4, 64, 64], "'same' keeps the size, even kernels too");
    let valid = Conv2d::new(3, 4, 3, &mut rng);
    assert_eq!(valid.forward(&x).shape(), [1, 4, 62, 62]);
    let strided = Conv2d::new(3, 4, 4, &mut rng).stride(2).padding(1);
    assert_eq!(strided.forward(&x).shape(), [1, 4, 32, 32]);
    let dilated = Conv2d::new(3, 4, 3, &mut rng).dilation(2);
    assert_eq!(dilated.forward(&x).shape(), [1, 4, 60, 60]);
    let up = ConvTranspose2d::with_options(
        3,
        2,
        (4, 4),
        ConvTranspose2dOptions::default().stride(2).padding(1),
        true,
        &mut rng,
    );
    assert_eq!(up.forward(&x).shape(), [1, 2, 128, 128]);
}

#[test]
fn default_init_matches_pytorch_bounds() {
    let mut rng = Rng::seed(8);
    let conv = Conv2d::<f32>::new(16, 32, 3, &mut rng);
    let bound = 1.0 / (16.0f32 * 9.0).sqrt();
    for (name, p) in conv.named_parameters() {
        let v = p.value().to_vec();
        assert!(v.iter().all(|x| x.abs() <= bound), "{name} exceeds ±1/√fan_in");
        let max = v.iter().fold(0f32, |m, x| m.max(x.abs()));
        assert!(max > 0.8 * bound, "{name} does not fill its range");
    }
    assert_eq!(conv.named_parameters()[0].0, "weight");
    assert_eq!(conv.weight.shape(), [32, 16, 3, 3]);
    let grouped = Conv2d::<f32>::with_options(8, 4, (3, 3), Conv2dOptions::default().groups(4), false, &mut rng);
    assert_eq!(grouped.weight.shape(), [4, 2, 3, 3]);
    assert!(grouped.bias.is_none());
    let t = ConvTranspose2d::<f32>::new(8, 4, 3, &mut rng);
    assert_eq!(t.weight.shape(), [8, 4, 3, 3]);
}

#[test]
fn bad_shapes_name_the_op_and_both_shapes() {
    let x = Tensor::<f32>::zeros([2, 3, 5, 5]);
    let msg = panic_message(|| {
        conv2d_tensor(&x, &Tensor::zeros([4, 2, 3, 3]), None, &Conv2dOptions::default());
    });
    assert!(msg.starts_with("conv2d: input [2, 3, 5, 5] and weight [4, 2, 3, 3]"), "{msg}");
    assert!(msg.contains("3 channels"), "{msg}");

    let msg = panic_message(|| {
        conv2d_tensor(&Tensor::<f32>::zeros([3, 5, 5]), &Tensor::zeros([4, 3, 3, 3]), None, &Conv2dOptions::default());
    });
    assert!(msg.contains("conv2d: input [3, 5, 5] and weight [4, 3, 3, 3]") && msg.contains("[N, C, H, W]"), "{msg}");

    let msg = panic_message(|| {
        conv2d_tensor(&x, &Tensor::zeros([4, 3, 7, 7]), None, &Conv2dOptions::default());
    });
    assert!(
        msg.contains("[2, 3, 5, 5]") && msg.contains("[4, 3, 7, 7]") && msg.contains("smaller than the dilated kernel"),
        "{msg}"
    );

    let msg = panic_message(|| {
        conv2d_tensor(
            &x,
            &Tensor::zeros([4, 3, 3, 3]),
            None,
            &Conv2dOptions::default().stride(2).padding(Padding::Same),
        );
    });
    assert!(msg.contains("conv2d") && msg.contains("\"same\" needs stride 1"), "{msg}");

    let msg = panic_message(|| {
        conv2d_tensor(&x, &Tensor::zeros([4, 3, 3, 3]), Some(&Tensor::zeros([5])), &Conv2dOptions::default());
    });
    assert!(msg.contains("conv2d: bias [5] does not fit weight [4, 3, 3, 3]"), "{msg}");

    let msg = panic_message(|| {
        conv_transpose2d_tensor(&x, &Tensor::zeros([4, 2, 3, 3]), None, &ConvTranspose2dOptions::default());
    });
    assert!(msg.starts_with("conv_transpose2d: input [2, 3, 5, 5] and weight [4, 2, 3, 3]"), "{msg}");

    let msg = panic_message(|| {
        conv_transpose2d_tensor(
            &x,
            &Tensor::zeros([3, 2, 3, 3]),
            None,
            &ConvTranspose2dOptions::default().stride(2).output_padding(2),
        );
    });
    assert!(msg.contains("output_padding"), "{msg}");

    let msg = panic_message(|| {
        let layer = Conv2d::<f32>::new(3, 4, 3, &mut Rng::seed(0));
        layer.forward(&Variable::constant(Tensor::zeros([1, 5, 8, 8])));
    });
    assert!(msg.contains("conv2d: input [1, 5, 8, 8] and weight [4, 3, 3, 3]"), "{msg}");

    let msg = panic_message(|| {
        conv2d(
            &Variable::constant(Tensor::<f32>::zeros([1, 3, 8, 8])),
            &Variable::constant(Tensor::zeros([4, 1, 3, 3])),
            None,
            &Conv2dOptions::default().groups(2),
        );
    });
    assert!(msg.contains("cannot be split into 2 groups"), "{msg}");
}

#[test]
fn non_contiguous_inputs_are_handled() {
    let mut rng = Rng::seed(9);
    // An input built as [N, H, C, W] and viewed back as [N, C, H, W].
    let base = Tensor::<f64>::randn([2, 5, 3, 4], &mut rng);
    let x = base.permute([0, 2, 1, 3]);
    assert!(!x.is_contiguous());
    let w = Tensor::<f64>::randn([2, 3, 3, 3], &mut rng);
    let opts = Conv2dOptions::default().padding(1);
    let (fast, naive) = both(|| conv2d_tensor(&x, &w, None, &opts));
    close("non-contiguous", &fast, &conv2d_tensor(&x.contiguous(), &w, None, &opts), Tolerance::STRICT);
    close("non-contiguous naive", &naive, &fast, FAST_VS_NAIVE_F64);
}

#[test]
fn catalogue_versions_agree_with_the_fast_path() {
    use kindling_tensor::kernel_api::conv::fast;
    let mut rng = Rng::seed(10);
    for (opts, k) in [(Conv2dOptions::default().padding(1), 3), (Conv2dOptions::default().stride(2).groups(2), 2)] {
        let geom = ConvGeometry::conv("versions", &[3, 4, 7, 6], &[6, 4 / opts.groups, k, k], &opts);
        let x = Tensor::<f64>::randn(geom.input_shape(), &mut rng).to_vec();
        let dy = Tensor::<f64>::randn(geom.output_shape(), &mut rng).to_vec();
        let (a, b) = (fast::backward_weight(&geom, &dy, &x), fast::backward_weight_v2(&geom, &dy, &x));
        close("weight gradient v2 vs fast", &Tensor::from_slice(&a), &Tensor::from_slice(&b), FAST_VS_NAIVE_F64);
    }
}

#[test]
fn direct_kernels_match_naive_where_they_apply() {
    use kindling_tensor::kernel_api::conv::direct;
    let mut rng = Rng::seed(11);
    let mut applied = 0;
    // Widths around the 16-lane vector, channel counts that split into uneven register
    // blocks, every kernel width the weight gradient is built for, asymmetric padding.
    type DirectCase = (usize, usize, usize, usize, (usize, usize), Padding);
    let cases: [DirectCase; 10] = [
        (1, 10, 28, 28, (3, 3), Padding::Explicit(1, 1)),
        (10, 10, 14, 14, (3, 3), Padding::Explicit(1, 1)),
        (3, 13, 5, 17, (3, 3), Padding::Same),
        (17, 25, 6, 33, (3, 3), Padding::Valid),
        (32, 5, 4, 16, (1, 1), Padding::Valid),
        (2, 3, 9, 15, (5, 5), Padding::Explicit(2, 2)),
        (4, 9, 7, 20, (2, 4), Padding::Same),
        (5, 8, 3, 1, (3, 1), Padding::Explicit(1, 0)),
        (6, 7, 11, 12, (4, 2), Padding::Valid),
        (1, 1, 1, 1, (1, 1), Padding::Valid),
    ];
    for (cin, cout, h, w, k, padding) in cases {
        let opts = Conv2dOptions { padding, ..Conv2dOptions::default() };
        let what = format!("x [3, {cin}, {h}, {w}], k {k:?}, {padding:?}");
        let geom = ConvGeometry::conv("direct", &[3, cin, h, w], &[cout, cin, k.0, k.1], &opts);
        applied += usize::from(direct::applies::<f32>(&geom));
        let x = Tensor::<f32>::randn([3, cin, h, w], &mut rng);
        let wt = Tensor::<f32>::randn([cout, cin, k.0, k.1], &mut rng);
        let b = Tensor::<f32>::randn([cout], &mut rng);
        let dy = Tensor::<f32>::randn(geom.output_shape(), &mut rng);
        let run = || {
            let (xv, wv, bv) = (Variable::param(x.clone()), Variable::param(wt.clone()), Variable::param(b.clone()));
            let y = conv2d(&xv, &wv, Some(&bv), &opts);
            y.backward_with(&dy);
            (y.value(), xv.grad().unwrap(), wv.grad().unwrap())
        };
        let ((y, dx, dw), (yn, dxn, dwn)) = both(run);
        close(&format!("direct forward {what}"), &y, &yn, FAST_VS_NAIVE_F32);
        close(&format!("direct ∂x {what}"), &dx, &dxn, FAST_VS_NAIVE_F32);
        close(&format!("direct ∂w {what}"), &dw, &dwn, FAST_VS_NAIVE_F32);
    }
    if direct::available() {
        assert_eq!(applied, cases.len(), "every case should take the direct kernels on this CPU");
    } else {
        eprintln!("skipped: no AVX-512F on this CPU, the direct kernels were not exercised");
    }
}

#[test]
fn direct_kernels_refuse_a_geometry_they_do_not_take() {
    use kindling_tensor::kernel_api::conv::direct;
    let opts = Conv2dOptions::default().stride(2);
    let geom = ConvGeometry::conv("direct", &[1, 2, 6, 6], &[3, 2, 3, 3], &opts);
    assert!(!direct::applies::<f32>(&geom) && !direct::applies::<f64>(&geom));
    let (x, w, dy) = (vec![0.0f32; 72], vec![0.0f32; 54], vec![0.0f32; 3 * geom.ho * geom.wo]);
    let message = |f: &dyn Fn()| {
        let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_err();
        err.downcast_ref::<String>().cloned().or(err.downcast_ref::<&str>().map(|s| s.to_string())).unwrap_or_default()
    };
    let refused = |pass: &str| format!("direct::{pass}: the direct kernels do not take this geometry");
    assert_eq!(message(&|| direct::forward(&geom, &x, &w, None, &mut dy.clone())), refused("forward"));
    assert_eq!(message(&|| direct::backward_input(&geom, &dy, &w, &mut x.clone())), refused("backward_input"));
    assert_eq!(message(&|| direct::backward_weight(&geom, &dy, &x, 4, &mut w.clone())), refused("backward_weight"));
}
