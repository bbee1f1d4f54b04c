//! Conv and pool ops on every strided layout the shared test strategies build (permuted,
//! stepped, narrowed, transposed, expanded): each op, forward and both gradients, on fast and
//! naive kernels, gives the bits it gives on a contiguous copy of the same values.

use kindling_autograd::conv::{conv1d, conv2d, conv_transpose2d, Conv1dOptions, Conv2dOptions, ConvTranspose2dOptions};
use kindling_autograd::pool::{adaptive_avg_pool2d, avg_pool1d, max_pool2d, Pool1dOptions, Pool2dOptions};
use kindling_autograd::Variable;
use kindling_tensor::testing::{check_close, Plan, EXACT, KINDS};
use kindling_tensor::{with_kernel_mode, KernelMode, Rng, Tensor};

type Op = fn(&Variable<f64>, &Variable<f64>) -> Variable<f64>;

/// (name, input shape, weight shape, op); a pool ignores the weight.
fn ops() -> Vec<(&'static str, Vec<usize>, Vec<usize>, Op)> {
    vec![
        ("conv2d", vec![2, 3, 6, 5], vec![4, 3, 3, 2], |x, w| conv2d(x, w, None, &Conv2dOptions::default().padding(1))),
        ("conv1d", vec![2, 3, 9], vec![4, 3, 3], |x, w| conv1d(x, w, None, &Conv1dOptions::default().stride(2))),
        ("conv_transpose2d", vec![2, 3, 4, 3], vec![3, 2, 3, 3], |x, w| {
            conv_transpose2d(x, w, None, &ConvTranspose2dOptions::default().stride(2))
        }),
        ("max_pool2d", vec![2, 3, 6, 5], vec![1], |x, _| max_pool2d(x, &Pool2dOptions::new(2))),
        ("avg_pool1d", vec![2, 3, 9], vec![1], |x, _| avg_pool1d(x, &Pool1dOptions::new(3).stride(2).padding(1))),
        ("adaptive_avg_pool2d", vec![2, 3, 6, 5], vec![1], |x, _| adaptive_avg_pool2d(x, (2, 3))),
    ]
}

/// y, ∂x and ∂w of `op` with upstream gradient `dy`.
fn run(op: Op, x: &Tensor<f64>, w: &Tensor<f64>, dy: &Tensor<f64>) -> Vec<Tensor<f64>> {
    let (xv, wv) = (Variable::param(x.clone()), Variable::param(w.clone()));
    let y = op(&xv, &wv);
    y.backward_with(dy);
    let mut out = vec![y.value(), xv.grad().unwrap()];
    out.extend(wv.grad());
    out
}

#[test]
fn conv_and_pool_give_the_same_bits_on_every_layout() {
    let mut rng = Rng::seed(31);
    let mut strided_inputs = 0;
    for (name, xs, ws, op) in ops() {
        for kind in KINDS {
            let plan = Plan::new(xs.clone(), kind, &mut rng);
            let mut draw = |r: &mut Rng| r.uniform_f64() * 2.0 - 1.0;
            let x = plan.build_with(&mut rng, &mut draw);
            let w = Plan::new(ws.clone(), kind, &mut rng).build_with(&mut rng, &mut draw);
            strided_inputs += usize::from(!x.t.is_contiguous());
            let y_shape = op(&Variable::constant(x.t.clone()), &Variable::constant(w.t.clone())).shape();
            let dy = Plan::new(y_shape, kind, &mut rng).build_with(&mut rng, &mut draw);
            for mode in [KernelMode::Fast, KernelMode::Naive] {
                let strided = with_kernel_mode(mode, || run(op, &x.t, &w.t, &dy.t));
                let dense =
                    with_kernel_mode(mode, || run(op, &x.t.contiguous(), &w.t.contiguous(), &dy.t.contiguous()));
                for (i, (s, d)) in strided.iter().zip(&dense).enumerate() {
                    let what = ["y", "∂x", "∂w"][i];
                    check_close(&format!("{name} {what} ({mode:?}) with x {:?}", x.how), s, d, EXACT);
                }
            }
        }
    }
    // Five of the six kinds are strided for every op (a plan falls back to dense only where
    // its kind cannot apply).
    assert!(strided_inputs >= 5 * 6 - 3, "only {strided_inputs} of 36 inputs were strided");
}
