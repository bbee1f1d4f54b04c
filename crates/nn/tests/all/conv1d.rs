//! The 1-D layers (Conv1d, MaxPool1d, AvgPool1d): gradient checks on both kernel sets, fast
//! against naive over awkward lengths (the direct kernels included), PyTorch's parameter
//! layout, and messages that name the 1-D shapes. Values against PyTorch are in torch_conv.rs.

use crate::support::{both, panic_message};
use kindling_autograd::conv::{conv1d, Conv1dOptions, Padding1d};
use kindling_autograd::Variable;
use kindling_nn::{gradcheck_module, AvgPool1d, Conv1d, Forward, MaxPool1d, Module};
use kindling_tensor::conv::conv1d as conv1d_tensor;
use kindling_tensor::kernel_api::conv::{direct, ConvGeometry};
use kindling_tensor::pool::{avg_pool1d as avg_pool1d_tensor, max_pool1d as max_pool1d_tensor, Pool1dOptions};
use kindling_tensor::{with_kernel_mode, KernelMode, Rng, Tensor, Tolerance};

fn close(what: &str, fast: &Tensor<f32>, naive: &Tensor<f32>) {
    assert_eq!(fast.shape(), naive.shape(), "{what}: shapes");
    if let Some(m) = kindling_tensor::tolerance::first_mismatch(fast, naive, Tolerance::RELAXED) {
        panic!("{what}: fast vs naive: {m}");
    }
}

fn options() -> Vec<(&'static str, Conv1dOptions, usize, usize, usize)> {
    // (name, options, kernel, in channels, out channels)
    vec![
        ("plain", Conv1dOptions::default(), 3, 2, 3),
        ("stride 2 padding 1", Conv1dOptions::default().stride(2).padding(1), 3, 3, 2),
        ("same, dilation 2, even kernel", Conv1dOptions::default().padding(Padding1d::Same).dilation(2), 4, 2, 2),
        ("groups 2", Conv1dOptions::default().groups(2).padding(1), 3, 4, 6),
        (
            "asymmetric",
            Conv1dOptions::default().stride(3).padding(Padding1d::Asymmetric { left: 2, right: 0 }),
            2,
            1,
            3,
        ),
    ]
}

#[test]
fn conv1d_layer_gradchecks_with_every_option() {
    let mut rng = Rng::seed(21);
    for (name, opts, k, cin, cout) in options() {
        let layer = Conv1d::<f64>::with_options(cin, cout, k, opts, true, &mut rng);
        let x = Tensor::<f64>::randn([2, cin, 9], &mut rng);
        for mode in [KernelMode::Fast, KernelMode::Naive] {
            with_kernel_mode(mode, || gradcheck_module(&format!("Conv1d {name} ({mode:?})"), &layer, &x));
        }
    }
}

#[test]
fn conv1d_fast_matches_naive_on_awkward_lengths() {
    let mut rng = Rng::seed(22);
    let mut direct_cases = 0;
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    for len in [1, 7, 15, 16, 17, 33, 63, 65] {
        for (name, opts, k, cin, cout) in options() {
            let geom = std::panic::catch_unwind(|| {
                ConvGeometry::conv1d("grid", &[2, cin, len], &[cout, cin / opts.groups, k], &opts)
            });
            let Ok(geom) = geom else { continue };
            // Stride 1, dilation 1 and one group is the geometry the direct kernels take.
            let plain = name == "plain";
            assert_eq!(direct::applies::<f32>(&geom), plain && direct::available(), "{name}, length {len}");
            direct_cases += usize::from(plain);
            let what = format!("conv1d {name}, length {len}");
            let x = Tensor::<f32>::randn([2, cin, len], &mut rng);
            let w = Tensor::<f32>::randn([cout, cin / opts.groups, k], &mut rng);
            let b = Tensor::<f32>::randn([cout], &mut rng);
            let dy = Tensor::<f32>::randn([2, cout, geom.wo], &mut rng);
            let run = || {
                let (xv, wv, bv) = (Variable::param(x.clone()), Variable::param(w.clone()), Variable::param(b.clone()));
                let y = conv1d(&xv, &wv, Some(&bv), &opts);
                y.backward_with(&dy);
                (y.value(), xv.grad().unwrap(), wv.grad().unwrap(), bv.grad().unwrap())
            };
            let ((y, dx, dw, db), (yn, dxn, dwn, dbn)) = both(run);
            close(&what, &y, &yn);
            close(&format!("{what} ∂x"), &dx, &dxn);
            close(&format!("{what} ∂w"), &dw, &dwn);
            close(&format!("{what} ∂b"), &db, &dbn);
            close(&format!("{what} tensor-level"), &y, &conv1d_tensor(&x, &w, Some(&b), &opts));
        }
    }
    std::panic::set_hook(hook);
    assert_eq!(direct_cases, 7, "lengths 7 to 65 of the plain case");
    if !direct::available() {
        eprintln!("skipped: no AVX-512F on this CPU, the direct kernels were not exercised");
    }
}

/// Distinct values, so max pooling has no ties for the gradient checker to trip on.
fn distinct(shape: [usize; 3], seed: u64) -> Tensor<f64> {
    let n: usize = shape.iter().product();
    let perm = Rng::seed(seed).permutation(n);
    Tensor::from_vec(perm.into_iter().map(|i| i as f64 * 0.01 - 0.3).collect(), shape)
}

#[test]
fn pool1d_layers_gradcheck_and_match_naive() {
    let x = distinct([2, 3, 11], 23);
    let layers: Vec<(&str, Box<dyn Forward<f64>>)> = vec![
        ("MaxPool1d(2)", Box::new(MaxPool1d::new(2))),
        ("MaxPool1d(3, s2, p1)", Box::new(MaxPool1d::with_options(Pool1dOptions::new(3).stride(2).padding(1)))),
        ("AvgPool1d(2)", Box::new(AvgPool1d::new(2))),
        (
            "AvgPool1d(3, s2, p1, exclude pad)",
            Box::new(AvgPool1d::with_options(Pool1dOptions::new(3).stride(2).padding(1).count_include_pad(false))),
        ),
        ("MaxPool1d(2, ceil)", Box::new(MaxPool1d::new(2).ceil_mode(true))),
        (
            "AvgPool1d(4, s3, p2, ceil)",
            Box::new(AvgPool1d::with_options(Pool1dOptions::new(4).stride(3).padding(2)).ceil_mode(true)),
        ),
        ("AvgPool1d(2, ceil, exclude pad)", Box::new(AvgPool1d::new(2).ceil_mode(true).count_include_pad(false))),
    ];
    for (name, layer) in &layers {
        for mode in [KernelMode::Fast, KernelMode::Naive] {
            with_kernel_mode(mode, || gradcheck_module(&format!("{name} ({mode:?})"), layer.as_ref(), &x));
        }
    }
    let x = Tensor::<f32>::randn([2, 3, 17], &mut Rng::seed(24));
    let ceil = Pool1dOptions::new(4).stride(3).padding(2).ceil_mode(true);
    for opts in [Pool1dOptions::new(2), Pool1dOptions::new(3).stride(2).padding(1), Pool1dOptions::new(1), ceil] {
        let ((yf, idf), (yn, idn)) = both(|| max_pool1d_tensor(&x, &opts));
        assert_eq!((yf.to_vec(), idf), (yn.to_vec(), idn), "max_pool1d {opts:?}");
        let (af, an) = both(|| avg_pool1d_tensor(&x, &opts));
        assert_eq!(af.to_vec(), an.to_vec(), "avg_pool1d {opts:?}");
        // With ceil_mode: ⌈(17 + 4 − 4)/3⌉ + 1 = 7 windows, the last starting on element 16.
        let len = if opts.ceil_mode { 7 } else { (17 + 2 * opts.padding - opts.kernel) / opts.stride + 1 };
        assert_eq!(yf.shape(), [2, 3, len], "{opts:?}");
    }
}

#[test]
fn conv1d_keeps_pytorch_names_shapes_and_init_bounds() {
    let conv = Conv1d::<f32>::new(16, 8, 5, &mut Rng::seed(25));
    let names: Vec<String> = conv.named_parameters().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["weight", "bias"]);
    assert_eq!(conv.weight.shape(), [8, 16, 5]);
    let bound = 1.0 / (16.0f32 * 5.0).sqrt();
    let w = conv.weight.value().to_vec();
    assert!(w.iter().all(|v| v.abs() <= bound) && w.iter().any(|v| v.abs() > 0.8 * bound));
    let y = conv.forward(&Variable::constant(Tensor::zeros([3, 16, 20])));
    assert_eq!(y.shape(), [3, 8, 16]);
}

#[test]
fn one_d_messages_name_the_one_d_shapes() {
    let msg = panic_message(|| {
        conv1d_tensor(&Tensor::<f32>::zeros([2, 3, 5, 5]), &Tensor::zeros([4, 3, 3]), None, &Conv1dOptions::default());
    });
    assert!(msg.starts_with("conv1d: input [2, 3, 5, 5] and weight [4, 3, 3]") && msg.contains("[N, C, L]"), "{msg}");
    let msg = panic_message(|| {
        conv1d_tensor(&Tensor::<f32>::zeros([2, 3, 5]), &Tensor::zeros([4, 2, 3]), None, &Conv1dOptions::default());
    });
    assert!(msg.starts_with("conv1d: input [2, 3, 5] and weight [4, 2, 3]") && msg.contains("3 channels"), "{msg}");
    let msg = panic_message(|| {
        conv1d_tensor(&Tensor::<f32>::zeros([2, 3, 2]), &Tensor::zeros([4, 3, 3]), None, &Conv1dOptions::default());
    });
    assert!(msg.contains("[2, 3, 2]") && msg.contains("smaller than the dilated kernel"), "{msg}");
    let msg = panic_message(|| {
        let opts = Conv1dOptions::default().stride(2).padding(Padding1d::Same);
        conv1d_tensor(&Tensor::<f32>::zeros([2, 3, 8]), &Tensor::zeros([4, 3, 3]), None, &opts);
    });
    assert_eq!(msg, "conv1d: input [2, 3, 8] and weight [4, 3, 3]: padding \"same\" needs stride 1, got 2");
    let msg = panic_message(|| {
        Conv1d::<f32>::new(3, 4, 3, &mut Rng::seed(0)).forward(&Variable::constant(Tensor::zeros([1, 5, 8])));
    });
    assert!(msg.starts_with("conv1d: input [1, 5, 8] and weight [4, 3, 3]"), "{msg}");
    let msg = panic_message(|| {
        max_pool1d_tensor(&Tensor::<f32>::zeros([2, 3]), &Pool1dOptions::new(2));
    });
    assert_eq!(msg, "max_pool1d: input [2, 3]: the input must be [N, C, L]");
    let msg = panic_message(|| {
        avg_pool1d_tensor(&Tensor::<f32>::zeros([1, 1, 2]), &Pool1dOptions::new(3));
    });
    assert!(msg.starts_with("avg_pool1d: input [1, 1, 2]") && msg.contains("smaller than the kernel"), "{msg}");
}
