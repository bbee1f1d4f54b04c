//! Every differentiable op of `Variable`, checked two ways over random shapes (rank 0-3, sizes
//! 1-4), layouts (dense and strided views, equally often) and values: its forward value equals
//! the `kindling_tensor` op, and its gradient passes the gradient checker (central differences
//! in f64). Inputs stay away from kinks (relu and friends at 0, clamp bounds, ties in max/min),
//! where the derivative does not exist. Then the graph mechanics: ties, accumulation,
//! `no_grad`, `detach`, `retain_grad`, and running backward twice.

use crate::common::*;
use kindling_autograd::{is_grad_enabled, no_grad, Variable};
use kindling_tensor::{Float, Rng, Tensor};
use proptest::prelude::*;

fn pick(rng: &mut Rng, n: usize) -> usize {
    rng.below(n as u64) as usize
}

fn norm(axis: isize, rank: usize) -> usize {
    if axis < 0 {
        (axis + rank as isize) as usize
    } else {
        axis as usize
    }
}

/// A scalar operand, not too close to 0 (it also divides).
fn scalar() -> impl Strategy<Value = f64> {
    prop_oneof![-3.0..-0.25, 0.25..3.0]
}

fn mask(shape: &[usize], rng: &mut Rng) -> Tensor<bool> {
    Tensor::from_vec((0..shape.iter().product::<usize>()).map(|_| rng.below(2) == 0).collect(), shape)
}

/// An index tensor for `gather`/`scatter_add` into `shape` along axis `a`: at most the input's
/// size on the other axes, any length along `a`, in-range values (some negative, as allowed).
fn gather_index(shape: &[usize], a: usize, rng: &mut Rng) -> Tensor<i64> {
    let dims: Vec<usize> =
        shape.iter().enumerate().map(|(d, &s)| if d == a { 1 + pick(rng, 4) } else { 1 + pick(rng, s) }).collect();
    let size = shape[a] as u64;
    let values = (0..dims.iter().product::<usize>()).map(|_| rng.below(2 * size) as i64 - size as i64).collect();
    Tensor::from_vec(values, dims)
}

// ---------------------------------------------------------------------------------------------
// Arithmetic with broadcasting and with scalars.

proptest! {
    #![proptest_config(config())]

    #[test]
    fn add_broadcasting(
        (a, b) in arb_broadcast_pair(Values::range(-3.0, 3.0), Values::range(-3.0, 3.0)),
        seed in any::<u64>(),
    ) {
        check_op("add", &[a, b], |v| &v[0] + &v[1], |t| &t[0] + &t[1], seed)?;
    }

    #[test]
    fn sub_broadcasting(
        (a, b) in arb_broadcast_pair(Values::range(-3.0, 3.0), Values::range(-3.0, 3.0)),
        seed in any::<u64>(),
    ) {
        check_op("sub", &[a, b], |v| &v[0] - &v[1], |t| &t[0] - &t[1], seed)?;
    }

    #[test]
    fn mul_broadcasting(
        (a, b) in arb_broadcast_pair(Values::range(-3.0, 3.0), Values::range(-3.0, 3.0)),
        seed in any::<u64>(),
    ) {
        check_op("mul", &[a, b], |v| &v[0] * &v[1], |t| &t[0] * &t[1], seed)?;
    }

    #[test]
    fn div_broadcasting(
        (a, b) in arb_broadcast_pair(Values::range(-3.0, 3.0), Values::range(-2.0, 2.0).min_abs(0.5)),
        seed in any::<u64>(),
    ) {
        check_op("div", &[a, b], |v| &v[0] / &v[1], |t| &t[0] / &t[1], seed)?;
    }

    /// The owned and mixed forms of the operators go through the same ops.
    #[test]
    fn operator_forms(
        (a, b) in arb_broadcast_pair(Values::range(-2.0, 2.0), Values::range(-2.0, 2.0).min_abs(0.5)),
        seed in any::<u64>(),
    ) {
        check_op(
            "add, sub, mul, div (owned and borrowed operands)",
            &[a, b],
            |v| (v[0].clone() + &v[1]) * (&v[0] - v[1].clone()) + v[0].clone() / v[1].clone() - &v[0] * v[1].clone(),
            |t| &(&(&(&t[0] + &t[1]) * &(&t[0] - &t[1])) + &(&t[0] / &t[1])) - &(&t[0] * &t[1]),
            seed,
        )?;
    }

    #[test]
    fn scalar_ops(x in arb_input(any_shape(), Values::range(-3.0, 3.0)), s in scalar(), seed in any::<u64>()) {
        let xs = [x];
        check_op("x + s", &xs, |v| &v[0] + s, |t| &t[0] + s, seed)?;
        check_op("x - s", &xs, |v| &v[0] - s, |t| &t[0] - s, seed)?;
        check_op("x * s", &xs, |v| &v[0] * s, |t| &t[0] * s, seed)?;
        check_op("x / s", &xs, |v| &v[0] / s, |t| &t[0] / s, seed)?;
        check_op("s + x", &xs, |v| s + &v[0], |t| s + &t[0], seed)?;
        check_op("s - x", &xs, |v| s - &v[0], |t| s - &t[0], seed)?;
        check_op("s * x", &xs, |v| s * &v[0], |t| s * &t[0], seed)?;
        check_op("-x", &xs, |v| -&v[0], |t| -&t[0], seed)?;
        check_op("-x (owned)", &xs, |v| -v[0].clone(), |t| -&t[0], seed)?;
        check_op(
            "x + s,
            x - s,
            x * s,
            x / s (owned)",
            &xs,
            |v| ((v[0].clone() + s) * s - s) / s,
            |t| &(&(&(&t[0] + s) * s) - s) / s,
            seed,
        )?;
        check_op("add_scalar", &xs, |v| v[0].add_scalar(s), |t| &t[0] + s, seed)?;
        check_op("mul_scalar", &xs, |v| v[0].mul_scalar(s), |t| &t[0] * s, seed)?;
        check_op("rsub_scalar", &xs, |v| v[0].rsub_scalar(s), |t| s - &t[0], seed)?;
    }

    #[test]
    fn scalar_divided_by_variable(
        x in arb_input(any_shape(), Values::range(-2.0, 2.0).min_abs(0.5)),
        s in scalar(),
        seed in any::<u64>(),
    ) {
        let xs = [x];
        check_op("s / x", &xs, |v| s / &v[0], |t| s / &t[0], seed)?;
        check_op("rdiv_scalar", &xs, |v| v[0].rdiv_scalar(s), |t| s / &t[0], seed)?;
    }

    /// A variable used twice, and constants beside params (inputs that need no gradient).
    #[test]
    fn shared_and_constant_operands(x in arb_input(any_shape(), Values::range(0.5, 2.0)), seed in any::<u64>()) {
        let c = Tensor::<f64>::uniform(x.t.shape(), 0.5, 2.0, &mut Rng::seed(seed));
        let xs = [x];
        check_op("x * x", &xs, |v| &v[0] * &v[0], |t| &t[0] * &t[0], seed)?;
        let cv = Variable::constant(c.clone());
        check_op(
            "x * c + c / x - (c - x) (c constant)",
            &xs,
            |v| &(&(&v[0] * &cv) + &(&cv / &v[0])) - &(&cv - &v[0]),
            |t| &(&(&t[0] * &c) + &(&c / &t[0])) - &(&c - &t[0]),
            seed,
        )?;
    }
}

// ---------------------------------------------------------------------------------------------
// Elementwise math and activations.

macro_rules! unary_ops {
    ($($name:ident: $op:literal, $values:expr, |$v:ident| $var:expr, |$t:ident| $reference:expr;)*) => {
        proptest! {
            #![proptest_config(config())]
            $(
                #[test]
                fn $name(x in arb_input(any_shape(), $values), seed in any::<u64>()) {
                    check_op($op, &[x], |v| { let $v = &v[0]; $var }, |t| { let $t = &t[0]; $reference }, seed)?;
                }
            )*
        }
    };
}

const SQRT_2_OVER_PI: f64 = 0.797_884_560_802_865_4;

unary_ops! {
    exp: "exp", Values::range(-3.0, 3.0), |x| x.exp(), |t| t.exp();
    log: "log", Values::range(0.1, 5.0), |x| x.log(), |t| t.log();
    log1p: "log1p", Values::range(-0.9, 5.0), |x| x.log1p(), |t| t.log1p();
    sqrt: "sqrt", Values::range(0.1, 5.0), |x| x.sqrt(), |t| t.sqrt();
    sin: "sin", Values::range(-4.0, 4.0), |x| x.sin(), |t| t.sin();
    cos: "cos", Values::range(-4.0, 4.0), |x| x.cos(), |t| t.cos();
    tanh: "tanh", Values::range(-3.0, 3.0), |x| x.tanh(), |t| t.tanh();
    sigmoid: "sigmoid", Values::range(-6.0, 6.0), |x| x.sigmoid(), |t| t.sigmoid();
    relu: "relu", Values::range(-3.0, 3.0).away_from(&[0.0]), |x| x.relu(), |t| t.relu();
    gelu: "gelu", Values::range(-4.0, 4.0), |x| x.gelu(),
        |t| pointwise(t, |x| 0.5 * x * (1.0 + Float::erf(x * std::f64::consts::FRAC_1_SQRT_2)));
    gelu_tanh: "gelu_tanh", Values::range(-4.0, 4.0), |x| x.gelu_tanh(),
        |t| pointwise(t, |x| 0.5 * x * (1.0 + (SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)).tanh()));
    silu: "silu", Values::range(-6.0, 6.0), |x| x.silu(), |t| pointwise(t, |x| x / (1.0 + (-x).exp()));
    softplus: "softplus", Values::range(-10.0, 10.0), |x| x.softplus(), |t| pointwise(t, |x| x.exp().ln_1p());
    abs: "abs", Values::range(-3.0, 3.0).away_from(&[0.0]), |x| x.abs(), |t| t.abs();
    square: "square", Values::range(-3.0, 3.0), |x| x.square(), |t| t.square();
    erf: "erf", Values::range(-3.0, 3.0), |x| x.erf(), |t| t.erf();
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn leaky_relu(
        x in arb_input(any_shape(), Values::range(-3.0, 3.0).away_from(&[0.0])),
        alpha in 0.01f64..0.5,
        seed in any::<u64>(),
    ) {
        let op = format!("leaky_relu({alpha})");
        check_op(
            &op,
            &[x],
            |v| v[0].leaky_relu(alpha),
            |t| pointwise(&t[0], |x| if x > 0.0 { x } else { alpha * x }),
            seed,
        )?;
    }

    #[test]
    fn elu(
        x in arb_input(any_shape(), Values::range(-3.0, 3.0).away_from(&[0.0])),
        alpha in 0.1f64..2.0,
        seed in any::<u64>(),
    ) {
        let op = format!("elu({alpha})");
        check_op(
            &op,
            &[x],
            |v| v[0].elu(alpha),
            |t| pointwise(&t[0], |x| if x > 0.0 { x } else { alpha * x.exp_m1() }),
            seed,
        )?;
    }

    #[test]
    fn powf(x in arb_input(any_shape(), Values::range(0.2, 3.0)), p in -2.0f64..3.0, seed in any::<u64>()) {
        check_op(&format!("powf({p})"), &[x], |v| v[0].powf(p), |t| t[0].powf(p), seed)?;
    }

    #[test]
    fn pow_variable_exponent(
        (base, exponent) in arb_broadcast_pair(Values::range(0.2, 3.0), Values::range(-2.0, 2.0)),
        seed in any::<u64>(),
    ) {
        check_op("pow", &[base, exponent], |v| v[0].pow(&v[1]), |t| t[0].pow(&t[1]), seed)?;
    }

    #[test]
    fn clamp(shape in any_shape(), layout in arb_kind(), seed in any::<u64>()) {
        let mut rng = Rng::seed(seed);
        let lo = -2.0 * rng.uniform_f64();
        let hi = lo + 0.5 + 2.5 * rng.uniform_f64();
        let x = make_input(&shape, layout, &Values::range(-4.0, 4.0).away_from(&[lo, hi]), &mut rng);
        check_op(&format!("clamp({lo}, {hi})"), &[x], |v| v[0].clamp(lo, hi), |t| t[0].clamp(lo, hi), seed)?;
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn maximum_and_minimum_broadcasting(
        (a, b) in arb_broadcast_pair(Values::range(-3.0, 3.0), Values::range(-3.0, 3.0)),
        seed in any::<u64>(),
    ) {
        let xs = [a, b];
        check_op("maximum", &xs, |v| v[0].maximum(&v[1]), |t| t[0].maximum(&t[1]), seed)?;
        check_op("minimum", &xs, |v| v[0].minimum(&v[1]), |t| t[0].minimum(&t[1]), seed)?;
    }

    #[test]
    fn hardtanh(shape in any_shape(), layout in arb_kind(), seed in any::<u64>()) {
        let x = make_input(&shape, layout, &Values::range(-3.0, 3.0).away_from(&[-1.0, 1.0]), &mut Rng::seed(seed));
        check_op("hardtanh(-1, 1)", &[x], |v| v[0].hardtanh(-1.0, 1.0), |t| t[0].clamp(-1.0, 1.0), seed)?;
    }
}

// ---------------------------------------------------------------------------------------------
// Reductions and softmax.

macro_rules! reductions {
    ($($name:ident: $op:literal, $values:expr, $method:ident;)*) => {
        proptest! {
            #![proptest_config(config())]
            $(
                #[test]
                fn $name(x in arb_input(any_shape(), $values), keepdim in any::<bool>(), seed in any::<u64>()) {
                    let (axes, _) = some_axes(&mut Rng::seed(seed), x.t.rank());
                    let op = format!("{} over {axes:?}, keepdim {keepdim}", $op);
                    check_op(
                        &op,
                        &[x],
                        |v| v[0].$method(axes.clone(), keepdim),
                        |t| t[0].$method(axes.clone(), keepdim),
                        seed,
                    )?;
                }
            )*
        }
    };
}

reductions! {
    sum_over_axes: "sum", Values::range(-2.0, 2.0), sum;
    mean_over_axes: "mean", Values::range(-2.0, 2.0), mean;
    logsumexp_over_axes: "logsumexp", Values::range(-3.0, 3.0), logsumexp;
    // No near-ties: the gradient jumps where two elements swap places.
    max_over_axes: "max", Values::distinct(-4.0, 4.0), max;
    min_over_axes: "min", Values::distinct(-4.0, 4.0), min;
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn var_over_axes(
        x in arb_input(any_shape(), Values::range(-2.0, 2.0)),
        keepdim in any::<bool>(),
        correction in 0usize..=1,
        seed in any::<u64>(),
    ) {
        let (axes, list) = some_axes(&mut Rng::seed(seed), x.t.rank());
        let n: usize = list.iter().map(|&a| x.t.shape()[a]).product();
        // N − correction = 0 divides by zero: there is no variance to differentiate.
        let correction = if n <= correction { 0 } else { correction };
        let op = format!("var_with_correction over {axes:?}, correction {correction}, keepdim {keepdim}");
        let xs = [x];
        check_op(
            &op,
            &xs,
            |v| v[0].var_with_correction(axes.clone(), correction, keepdim),
            |t| t[0].var_with_correction(axes.clone(), correction, keepdim),
            seed,
        )?;
        if n >= 2 {
            let op = format!("var over {axes:?}, keepdim {keepdim}");
            check_op(&op, &xs, |v| v[0].var(axes.clone(), keepdim), |t| t[0].var(axes.clone(), keepdim), seed)?;
        }
    }

    #[test]
    fn std_over_axes(
        x in arb_input(any_shape(), Values::distinct(-2.0, 2.0)),
        keepdim in any::<bool>(),
        correction in 0usize..=1,
        seed in any::<u64>(),
    ) {
        let (axes, list) = some_axes(&mut Rng::seed(seed), x.t.rank());
        let n: usize = list.iter().map(|&a| x.t.shape()[a]).product();
        // One element has σ = 0, where σ has no derivative.
        prop_assume!(n >= 2);
        let op = format!("std_with_correction over {axes:?}, correction {correction}, keepdim {keepdim}");
        let xs = [x];
        check_op(
            &op,
            &xs,
            |v| v[0].std_with_correction(axes.clone(), correction, keepdim),
            |t| t[0].std_with_correction(axes.clone(), correction, keepdim),
            seed,
        )?;
        check_op("std", &xs, |v| v[0].std(axes.clone(), keepdim), |t| t[0].std(axes.clone(), keepdim), seed)?;
    }

    #[test]
    fn sum_all_and_mean_all(x in arb_input(any_shape(), Values::range(-2.0, 2.0)), seed in any::<u64>()) {
        let xs = [x];
        check_op("sum_all", &xs, |v| v[0].sum_all(), |t| Tensor::scalar(t[0].sum_all()), seed)?;
        check_op("mean_all", &xs, |v| v[0].mean_all(), |t| Tensor::scalar(t[0].mean_all()), seed)?;
    }

    #[test]
    fn softmax_and_log_softmax_over_every_axis(
        x in arb_input(arb_shape(1..=3, 1..=4), Values::range(-3.0, 3.0)),
        seed in any::<u64>(),
    ) {
        let mut rng = Rng::seed(seed);
        let rank = x.t.rank();
        let xs = [x];
        for a in 0..rank {
            let axis = signed(&mut rng, a, rank);
            check_op(&format!("softmax({axis})"), &xs, |v| v[0].softmax(axis), |t| t[0].softmax(axis), seed)?;
            check_op(
                &format!("log_softmax({axis})"),
                &xs,
                |v| v[0].log_softmax(axis),
                |t| t[0].log_softmax(axis),
                seed,
            )?;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Matrix products.

/// Operand shapes for `form`: 0 = 1-D·1-D, 1 = 1-D·2-D, 2 = 2-D·1-D, 3 = 2-D·2-D,
/// 4 = batched with batch axes that broadcast, 5 = 1-D·batched, 6 = batched·1-D.
fn matmul_shapes(form: usize, (m, k, n): (usize, usize, usize), rng: &mut Rng) -> (Vec<usize>, Vec<usize>) {
    let batch = |rng: &mut Rng| {
        let target: Vec<usize> = (0..1 + pick(rng, 2)).map(|_| 1 + pick(rng, 3)).collect();
        (broadcastable_to(&target, rng), broadcastable_to(&target, rng))
    };
    let with = |batch: &[usize], tail: [usize; 2]| [batch, &tail].concat();
    match form {
        0 => (vec![k], vec![k]),
        1 => (vec![k], vec![k, n]),
        2 => (vec![m, k], vec![k]),
        3 => (vec![m, k], vec![k, n]),
        4 => {
            let (ba, bb) = batch(rng);
            (with(&ba, [m, k]), with(&bb, [k, n]))
        }
        5 => (vec![k], with(&batch(rng).0, [k, n])),
        _ => (with(&batch(rng).0, [m, k]), vec![k]),
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn matmul_every_form(
        form in 0usize..7,
        mkn in (1usize..=4, 1usize..=4, 1usize..=4),
        transpose in (any::<bool>(), any::<bool>()),
        layouts in (arb_kind(), arb_kind()),
        seed in any::<u64>(),
    ) {
        let mut rng = Rng::seed(seed);
        let (sa, sb) = matmul_shapes(form, mkn, &mut rng);
        // A transposed operand is stored as [.., cols, rows] and transposed in the graph.
        let (ta, tb) = (transpose.0 && sa.len() >= 2, transpose.1 && sb.len() >= 2);
        let stored = |s: &[usize], t: bool| {
            let mut s = s.to_vec();
            if t {
                let r = s.len();
                s.swap(r - 2, r - 1);
            }
            s
        };
        let values = Values::range(-2.0, 2.0);
        let a = make_input(&stored(&sa, ta), layouts.0, &values, &mut rng);
        let b = make_input(&stored(&sb, tb), layouts.1, &values, &mut rng);
        let note = |t: bool, side: &str| if t { format!(", {side} transposed") } else { String::new() };
        let op = format!("matmul {sa:?}·{sb:?}{}{}", note(ta, "a"), note(tb, "b"));
        check_op(
            &op,
            &[a, b],
            |v| {
                let a = if ta { v[0].transpose(-1, -2) } else { v[0].clone() };
                let b = if tb { v[1].transpose(-2, -1) } else { v[1].clone() };
                a.matmul(&b)
            },
            |t| {
                let a = if ta { t[0].transpose(-1, -2) } else { t[0].clone() };
                let b = if tb { t[1].transpose(-2, -1) } else { t[1].clone() };
                a.matmul(&b)
            },
            seed,
        )?;
    }

    #[test]
    fn dot_and_outer(
        k in 1usize..=4,
        n in 1usize..=4,
        layouts in (arb_kind(), arb_kind(), arb_kind()),
        seed in any::<u64>(),
    ) {
        let mut rng = Rng::seed(seed);
        let values = Values::range(-2.0, 2.0);
        let a = make_input(&[k], layouts.0, &values, &mut rng);
        let b = make_input(&[k], layouts.1, &values, &mut rng);
        let c = make_input(&[n], layouts.2, &values, &mut rng);
        check_op("dot", &[a.clone(), b], |v| v[0].dot(&v[1]), |t| Tensor::scalar(t[0].dot(&t[1])), seed)?;
        check_op("outer", &[a, c], |v| v[0].outer(&v[1]), |t| t[0].outer(&t[1]), seed)?;
    }
}

// ---------------------------------------------------------------------------------------------
// Views.

proptest! {
    #![proptest_config(config())]

    #[test]
    fn reshape_and_flatten(x in arb_input(any_shape(), Values::range(-2.0, 2.0)), seed in any::<u64>()) {
        let mut rng = Rng::seed(seed);
        let rank = x.t.rank();
        // The same sizes shuffled, sometimes two merged, a unit axis added, one left to -1.
        let mut dims: Vec<isize> = x.t.shape().iter().map(|&d| d as isize).collect();
        rng.shuffle(&mut dims);
        if dims.len() >= 2 && rng.below(2) == 0 {
            let first = dims.remove(0);
            dims[0] *= first;
        }
        if rng.below(3) == 0 {
            let at = pick(&mut rng, dims.len() + 1);
            dims.insert(at, 1);
        }
        if !dims.is_empty() && rng.below(2) == 0 {
            let at = pick(&mut rng, dims.len());
            dims[at] = -1;
        }
        let xs = [x];
        check_op(
            &format!("reshape({dims:?})"),
            &xs,
            |v| v[0].reshape(dims.clone()),
            |t| t[0].reshape(dims.clone()),
            seed,
        )?;
        let (start, end) = if rank == 0 {
            (0, 0)
        } else {
            let s = pick(&mut rng, rank);
            let e = s + pick(&mut rng, rank - s);
            (signed(&mut rng, s, rank), signed(&mut rng, e, rank))
        };
        check_op(
            &format!("flatten({start}, {end})"),
            &xs,
            |v| v[0].flatten(start, end),
            |t| t[0].flatten(start, end),
            seed,
        )?;
    }

    #[test]
    fn permute_transpose_t(x in arb_input(arb_shape(1..=3, 1..=4), Values::range(-2.0, 2.0)), seed in any::<u64>()) {
        let mut rng = Rng::seed(seed);
        let rank = x.t.rank();
        let order: Vec<isize> = rng.permutation(rank).into_iter().map(|a| signed(&mut rng, a, rank)).collect();
        let (a, b) = (some_axis(&mut rng, rank), some_axis(&mut rng, rank));
        let xs = [x];
        check_op(
            &format!("permute({order:?})"),
            &xs,
            |v| v[0].permute(order.clone()),
            |t| t[0].permute(order.clone()),
            seed,
        )?;
        check_op(&format!("transpose({a}, {b})"), &xs, |v| v[0].transpose(a, b), |t| t[0].transpose(a, b), seed)?;
        if rank == 2 {
            check_op("t", &xs, |v| v[0].t(), |t| t[0].t(), seed)?;
        }
    }

    #[test]
    fn squeeze_and_unsqueeze(
        shape in arb_shape(0..=3, 1..=4),
        layouts in (arb_kind(), arb_kind()),
        seed in any::<u64>(),
    ) {
        let mut rng = Rng::seed(seed);
        let values = Values::range(-2.0, 2.0);
        let rank = shape.len();
        let x = make_input(&shape, layouts.0, &values, &mut rng);
        let at = some_insert_axis(&mut rng, rank);
        check_op(&format!("unsqueeze({at})"), &[x], |v| v[0].unsqueeze(at), |t| t[0].unsqueeze(at), seed)?;
        // A unit axis put in somewhere, then squeezed away.
        let p = pick(&mut rng, rank + 1);
        let mut with_unit = shape.clone();
        with_unit.insert(p, 1);
        let y = make_input(&with_unit, layouts.1, &values, &mut rng);
        let axis = signed(&mut rng, p, rank + 1);
        check_op(&format!("squeeze({axis})"), &[y], |v| v[0].squeeze(axis), |t| t[0].squeeze(axis), seed)?;
    }

    #[test]
    fn slice_narrow_select(x in arb_input(arb_shape(1..=3, 1..=4), Values::range(-2.0, 2.0)), seed in any::<u64>()) {
        let mut rng = Rng::seed(seed);
        let rank = x.t.rank();
        let axis = some_axis(&mut rng, rank);
        let size = x.t.shape()[norm(axis, rank)];
        let start = pick(&mut rng, size);
        // `end` may run past the axis (clamped, as in Python).
        let end = start + 1 + pick(&mut rng, size - start + 2);
        let step = 1 + pick(&mut rng, 3);
        let len = 1 + pick(&mut rng, size - start);
        let index = pick(&mut rng, size);
        let xs = [x];
        check_op(
            &format!("slice({axis}, {start}..{end}, step {step})"),
            &xs,
            |v| v[0].slice(axis, start, end, step),
            |t| t[0].slice(axis, start, end, step),
            seed,
        )?;
        check_op(
            &format!("narrow({axis}, {start}, {len})"),
            &xs,
            |v| v[0].narrow(axis, start, len),
            |t| t[0].narrow(axis, start, len),
            seed,
        )?;
        check_op(
            &format!("select({axis}, {index})"),
            &xs,
            |v| v[0].select(axis, index),
            |t| t[0].select(axis, index),
            seed,
        )?;
    }

    #[test]
    fn broadcast_to_and_expand(target in any_shape(), layout in arb_kind(), seed in any::<u64>()) {
        let mut rng = Rng::seed(seed);
        let shape = broadcastable_to(&target, &mut rng);
        let x = make_input(&shape, layout, &Values::range(-2.0, 2.0), &mut rng);
        let lead = target.len() - shape.len();
        // -1 keeps an existing axis; sometimes the size is spelled out instead.
        let dims: Vec<isize> = target
            .iter()
            .enumerate()
            .map(|(i, &d)| if i >= lead && shape[i - lead] == d && rng.below(2) == 0 { -1 } else { d as isize })
            .collect();
        let xs = [x];
        check_op(
            &format!("broadcast_to({target:?})"),
            &xs,
            |v| v[0].broadcast_to(target.clone()),
            |t| t[0].broadcast_to(target.clone()),
            seed,
        )?;
        check_op(
            &format!("expand({dims:?})"),
            &xs,
            |v| v[0].expand(dims.clone()),
            |t| t[0].expand(dims.clone()),
            seed,
        )?;
    }

    #[test]
    fn cat_along_an_axis(
        base in arb_shape(1..=3, 1..=4),
        count in 1usize..=3,
        layouts in prop::collection::vec(arb_kind(), 3),
        seed in any::<u64>(),
    ) {
        let mut rng = Rng::seed(seed);
        let rank = base.len();
        let axis = some_axis(&mut rng, rank);
        let inputs: Vec<Input> = layouts[..count]
            .iter()
            .map(|&layout| {
                let mut shape = base.clone();
                shape[norm(axis, rank)] = 1 + pick(&mut rng, 3);
                make_input(&shape, layout, &Values::range(-2.0, 2.0), &mut rng)
            })
            .collect();
        check_op(
            &format!("cat of {count} along {axis}"),
            &inputs,
            |v| Variable::cat(&v.iter().collect::<Vec<_>>(), axis),
            |t| Tensor::cat(&t.iter().collect::<Vec<_>>(), axis),
            seed,
        )?;
    }

    #[test]
    fn stack_along_a_new_axis(
        shape in any_shape(),
        count in 1usize..=3,
        layouts in prop::collection::vec(arb_kind(), 3),
        seed in any::<u64>(),
    ) {
        let mut rng = Rng::seed(seed);
        let axis = some_insert_axis(&mut rng, shape.len());
        let inputs: Vec<Input> =
            layouts[..count].iter().map(|&l| make_input(&shape, l, &Values::range(-2.0, 2.0), &mut rng)).collect();
        check_op(
            &format!("stack of {count} along {axis}"),
            &inputs,
            |v| Variable::stack(&v.iter().collect::<Vec<_>>(), axis),
            |t| Tensor::stack(&t.iter().collect::<Vec<_>>(), axis),
            seed,
        )?;
    }

    /// The pieces are joined back in reverse order (so each must carry its own place's
    /// gradient), leaving out the first one sometimes (its gradient must then be zero).
    #[test]
    fn split_and_chunk(
        x in arb_input(arb_shape(1..=3, 1..=4), Values::range(-2.0, 2.0)),
        size in 1usize..=4,
        chunks in 1usize..=4,
        seed in any::<u64>(),
    ) {
        let mut rng = Rng::seed(seed);
        let axis = some_axis(&mut rng, x.t.rank());
        let skip = usize::from(rng.below(2) == 0);
        fn rejoin<X: Clone>(mut pieces: Vec<X>, skip: usize, cat: impl Fn(&[&X]) -> X) -> X {
            if pieces.len() > 1 {
                pieces.drain(..skip);
            }
            pieces.reverse();
            cat(&pieces.iter().collect::<Vec<_>>())
        }
        let xs = [x];
        check_op(
            &format!("split({size}, {axis}), rejoined reversed, skipping {skip}"),
            &xs,
            |v| rejoin(v[0].split(size, axis), skip, |p| Variable::cat(p, axis)),
            |t| rejoin(t[0].split(size, axis), skip, |p| Tensor::cat(p, axis)),
            seed,
        )?;
        check_op(
            &format!("chunk({chunks}, {axis}), rejoined reversed, skipping {skip}"),
            &xs,
            |v| rejoin(v[0].chunk(chunks, axis), skip, |p| Variable::cat(p, axis)),
            |t| rejoin(t[0].chunk(chunks, axis), skip, |p| Tensor::cat(p, axis)),
            seed,
        )?;
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn flip_some_axes(x in arb_input(arb_shape(1..=3, 1..=4), Values::range(-2.0, 2.0)), seed in any::<u64>()) {
        let (_, list) = some_axes(&mut Rng::seed(seed), x.t.rank());
        let axes: Vec<isize> = list.iter().map(|&a| a as isize).collect();
        check_op(&format!("flip({axes:?})"), &[x], |v| v[0].flip(axes.clone()), |t| t[0].flip(axes.clone()), seed)?;
    }

    /// Counts of 1-3 per axis, sometimes with extra leading axes.
    #[test]
    fn repeat_tiles(x in arb_input(arb_shape(0..=3, 1..=3), Values::range(-2.0, 2.0)), seed in any::<u64>()) {
        let mut rng = Rng::seed(seed);
        let repeats: Vec<usize> = (0..x.t.rank() + pick(&mut rng, 2)).map(|_| 1 + pick(&mut rng, 3)).collect();
        check_op(&format!("repeat({repeats:?})"), &[x], |v| v[0].repeat(&repeats), |t| t[0].repeat(&repeats), seed)?;
    }

    /// Random sizes (zeros allowed) adding up to the axis; pieces rejoined in reverse order.
    #[test]
    fn split_with_sizes_rejoined(x in arb_input(arb_shape(1..=3, 1..=4), Values::range(-2.0, 2.0)), seed in any::<u64>()) {
        let mut rng = Rng::seed(seed);
        let axis = some_axis(&mut rng, x.t.rank());
        let mut left = x.t.shape()[norm(axis, x.t.rank())];
        let mut sizes = Vec::new();
        while left > 0 {
            let n = pick(&mut rng, left + 1);
            sizes.push(n);
            left -= n;
        }
        fn reversed<X>(mut pieces: Vec<X>) -> Vec<X> {
            pieces.reverse();
            pieces
        }
        check_op(
            &format!("split_with_sizes({sizes:?}, {axis}), rejoined reversed"),
            &[x],
            |v| Variable::cat(&reversed(v[0].split_with_sizes(&sizes, axis)).iter().collect::<Vec<_>>(), axis),
            |t| Tensor::cat(&reversed(t[0].split_with_sizes(&sizes, axis)).iter().collect::<Vec<_>>(), axis),
            seed,
        )?;
    }
}

// ---------------------------------------------------------------------------------------------
// Indexing.

proptest! {
    #![proptest_config(config())]

    /// Indices repeat (their gradients add up) and may be negative.
    #[test]
    fn index_select_with_repeats(
        x in arb_input(arb_shape(1..=3, 1..=4), Values::range(-2.0, 2.0)),
        len in 1usize..=5,
        seed in any::<u64>(),
    ) {
        let mut rng = Rng::seed(seed);
        let axis = some_axis(&mut rng, x.t.rank());
        let size = x.t.shape()[norm(axis, x.t.rank())] as u64;
        let indices: Vec<i64> = (0..len).map(|_| rng.below(2 * size) as i64 - size as i64).collect();
        let idx = Tensor::from_vec(indices.clone(), [len]);
        check_op(
            &format!("index_select({axis}, {indices:?})"),
            &[x],
            |v| v[0].index_select(axis, &idx),
            |t| t[0].index_select(axis, &idx),
            seed,
        )?;
    }

    #[test]
    fn gather_along_an_axis(x in arb_input(arb_shape(1..=3, 1..=4), Values::range(-2.0, 2.0)), seed in any::<u64>()) {
        let mut rng = Rng::seed(seed);
        let rank = x.t.rank();
        let axis = some_axis(&mut rng, rank);
        let index = gather_index(x.t.shape(), norm(axis, rank), &mut rng);
        let op = format!("gather({axis}, index {:?} = {:?})", index.shape(), index.to_vec());
        check_op(&op, &[x], |v| v[0].gather(axis, &index), |t| t[0].gather(axis, &index), seed)?;
    }

    #[test]
    fn scatter_add_into(
        shape in arb_shape(1..=3, 1..=4),
        layouts in (arb_kind(), arb_kind()),
        seed in any::<u64>(),
    ) {
        let mut rng = Rng::seed(seed);
        let rank = shape.len();
        let axis = some_axis(&mut rng, rank);
        let index = gather_index(&shape, norm(axis, rank), &mut rng);
        let values = Values::range(-2.0, 2.0);
        let x = make_input(&shape, layouts.0, &values, &mut rng);
        let src = make_input(index.shape(), layouts.1, &values, &mut rng);
        let op = format!("scatter_add({axis}, index {:?} = {:?})", index.shape(), index.to_vec());
        check_op(
            &op,
            &[x, src],
            |v| v[0].scatter_add(axis, &index, &v[1]),
            |t| t[0].scatter_add(axis, &index, &t[1]),
            seed,
        )?;
    }

    #[test]
    fn masked_fill_with_a_broadcast_mask(
        x in arb_input(any_shape(), Values::range(-2.0, 2.0)),
        value in -5.0f64..5.0,
        seed in any::<u64>(),
    ) {
        let mut rng = Rng::seed(seed);
        let m = mask(&broadcastable_to(x.t.shape(), &mut rng), &mut rng);
        let op = format!("masked_fill(mask {:?} = {:?}, {value})", m.shape(), m.to_vec());
        check_op(&op, &[x], |v| v[0].masked_fill(&m, value), |t| t[0].masked_fill(&m, value), seed)?;
    }

    #[test]
    fn where_cond_with_broadcasting(
        target in any_shape(),
        layouts in (arb_kind(), arb_kind()),
        seed in any::<u64>(),
    ) {
        let mut rng = Rng::seed(seed);
        let cond = mask(&broadcastable_to(&target, &mut rng), &mut rng);
        let values = Values::range(-2.0, 2.0);
        let a = make_input(&broadcastable_to(&target, &mut rng), layouts.0, &values, &mut rng);
        let b = make_input(&broadcastable_to(&target, &mut rng), layouts.1, &values, &mut rng);
        let op = format!("where_cond(condition {:?} = {:?})", cond.shape(), cond.to_vec());
        check_op(
            &op,
            &[a, b],
            |v| Variable::where_cond(&cond, &v[0], &v[1]),
            |t| Tensor::where_cond(&cond, &t[0], &t[1]),
            seed,
        )?;
    }

    #[test]
    fn embedding_lookup(
        vocab in 1usize..=4,
        dim in 1usize..=4,
        index_shape in arb_shape(0..=2, 1..=3),
        layout in arb_kind(),
        seed in any::<u64>(),
    ) {
        let mut rng = Rng::seed(seed);
        let table = make_input(&[vocab, dim], layout, &Values::range(-2.0, 2.0), &mut rng);
        let count: usize = index_shape.iter().product();
        let ids: Vec<i64> = (0..count).map(|_| rng.below(vocab as u64) as i64).collect();
        let indices = Tensor::from_vec(ids.clone(), index_shape.clone());
        let out_shape: Vec<usize> = [&index_shape[..], &[dim]].concat();
        check_op(
            &format!("embedding(indices {index_shape:?} = {ids:?})"),
            &[table],
            |v| v[0].embedding(&indices),
            |t| t[0].index_select(0, &indices.reshape([-1])).reshape(out_shape.clone()),
            seed,
        )?;
    }
}

// ---------------------------------------------------------------------------------------------
// Exact cases and graph mechanics.

fn grad(v: &Variable<f64>) -> Vec<f64> {
    v.grad().expect("a gradient").to_vec()
}

/// PyTorch's rules at ties: along one axis the first index takes all (`torch.max(x, dim)`),
/// over several axes or all of them the gradient is split evenly (`amax`, `torch.max(x)`).
#[test]
fn tied_maxima_and_minima_follow_pytorch() {
    let x = Variable::param(Tensor::from([1.0, 3.0, 3.0]));
    let y = x.max(0isize, false);
    y.backward();
    assert_eq!(y.item(), 3.0);
    assert_eq!(grad(&x), vec![0.0, 1.0, 0.0]);

    let x = Variable::param(Tensor::from([2.0, -1.0, -1.0, 5.0]));
    x.min(-1isize, true).sum_all().backward();
    assert_eq!(grad(&x), vec![0.0, 1.0, 0.0, 0.0]);

    // Per row, then the same rows reduced over both axes (split evenly), then over all.
    let x = Variable::param(Tensor::from([[1.0, 3.0, 3.0], [4.0, 2.0, 4.0]]));
    x.max(1isize, true).backward_with(&Tensor::from([[1.0], [2.0]]));
    assert_eq!(grad(&x), vec![0.0, 1.0, 0.0, 2.0, 0.0, 0.0]);
    let x = Variable::param(Tensor::from([[1.0, 4.0, 3.0], [4.0, 2.0, 4.0]]));
    x.max([0isize, 1], false).backward();
    let third = 1.0 / 3.0;
    assert_eq!(grad(&x), vec![0.0, third, 0.0, third, 0.0, third]);
    let x = Variable::param(Tensor::from([[2.0, 2.0], [0.0, 2.0]]));
    x.max(kindling_tensor::Axes::All, false).backward();
    assert_eq!(grad(&x), vec![third, third, 0.0, third]);
    // A 1-D input reduced with Axes::All still splits (torch.max(x) without dim).
    let x = Variable::param(Tensor::from([5.0, 5.0]));
    x.max(kindling_tensor::Axes::All, false).backward();
    assert_eq!(grad(&x), vec![0.5, 0.5]);
}

/// `maximum`/`minimum` split a tie half and half, as PyTorch does.
#[test]
fn elementwise_maximum_and_minimum_split_ties() {
    let a = Variable::param(Tensor::from([1.0, 2.0, 3.0]));
    let b = Variable::param(Tensor::from([1.0, 3.0, 2.0]));
    a.maximum(&b).sum_all().backward();
    assert_eq!((grad(&a), grad(&b)), (vec![0.5, 0.0, 1.0], vec![0.5, 1.0, 0.0]));
    let (a, b) = (Variable::param(a.value()), Variable::param(b.value()));
    a.minimum(&b).sum_all().backward();
    assert_eq!((grad(&a), grad(&b)), (vec![0.5, 1.0, 0.0], vec![0.5, 0.0, 1.0]));
}

/// At a bound, `clamp` and `hardtanh` pass no gradient (PyTorch: strictly inside only).
#[test]
fn clamp_and_hardtanh_pass_nothing_at_the_bounds() {
    let values = Tensor::from([-1.0, -0.5, 0.0, 0.5, 1.0]);
    let x = Variable::param(values.clone());
    x.clamp(-0.5, 0.5).sum_all().backward();
    assert_eq!(grad(&x), vec![0.0, 0.0, 1.0, 0.0, 0.0]);
    let x = Variable::param(values);
    let y = x.hardtanh(-0.5, 0.5);
    y.sum_all().backward();
    assert_eq!(y.value().to_vec(), vec![-0.5, -0.5, 0.0, 0.5, 0.5]);
    assert_eq!(grad(&x), vec![0.0, 0.0, 1.0, 0.0, 0.0]);
}

/// std(x) = 0 has no derivative; PyTorch (and Kindling) give 0 there, never NaN.
#[test]
fn std_of_equal_elements_has_zero_gradient() {
    let x = Variable::param(Tensor::from([1.0, 2.0, 3.0]));
    let y = x.std(0isize, false);
    y.backward();
    assert_eq!(y.item(), 1.0);
    assert_eq!(grad(&x), vec![-0.5, 0.0, 0.5]);
    let x = Variable::param(Tensor::from([2.0, 2.0, 2.0]));
    x.std(kindling_tensor::Axes::All, false).backward();
    assert_eq!(grad(&x), vec![0.0; 3]);
}

#[test]
fn gradients_accumulate_until_zero_grad() {
    let x = Variable::param(Tensor::from([1.0, -2.0]));
    let loss = || (&x * &x).sum_all(); // d/dx = 2x
    loss().backward();
    assert_eq!(grad(&x), vec![2.0, -4.0]);
    loss().backward();
    assert_eq!(grad(&x), vec![4.0, -8.0]);
    x.zero_grad();
    assert!(x.grad().is_none());
    loss().backward();
    assert_eq!(grad(&x), vec![2.0, -4.0]);
}

#[test]
fn no_grad_makes_constants() {
    let x = Variable::param(Tensor::from([0.5, 1.5]));
    assert!(is_grad_enabled());
    let y = no_grad(|| {
        assert!(!is_grad_enabled());
        (&x.exp() * &x).sum_all()
    });
    assert!(is_grad_enabled());
    assert!(!y.requires_grad());
    assert_eq!(y.op_name(), None);
    assert!(y.is_leaf());
    // The value is still computed.
    let expected = 0.5 * 0.5f64.exp() + 1.5 * 1.5f64.exp();
    assert!((y.item() - expected).abs() < 1e-12, "{} vs {expected}", y.item());
    // Recording resumes afterwards.
    assert_eq!(x.exp().op_name(), Some("exp"));
}

#[test]
#[should_panic(expected = "backward: this variable does not require a gradient")]
fn backward_through_a_no_grad_result_panics() {
    let x = Variable::param(Tensor::from([0.5, 1.5]));
    no_grad(|| x.square().sum_all()).backward();
}

#[test]
fn detach_blocks_the_gradient() {
    let x = Variable::param(Tensor::from([2.0, -3.0]));
    let y = x.square();
    let d = y.detach();
    assert!(!d.requires_grad());
    assert_eq!(d.op_name(), None);
    assert_eq!(d.value().to_vec(), y.value().to_vec());
    // z = x²(detached)·x: only the explicit factor x is differentiated, so dz/dx = x², not 3x².
    (&d * &x).sum_all().backward();
    assert_eq!(grad(&x), vec![4.0, 9.0]);
}

#[test]
fn retain_grad_keeps_an_intermediate_gradient() {
    let x = Variable::param(Tensor::from([0.0, 1.0]));
    let h = x.exp();
    h.retain_grad();
    let other = x.mul_scalar(2.0); // not retained
    (&h.square() + &other).sum_all().backward();
    let hv: Vec<f64> = h.value().to_vec();
    // dL/dh = 2h; dL/dx = 2h·h + 2.
    assert_eq!(grad(&h), hv.iter().map(|h| 2.0 * h).collect::<Vec<_>>());
    let gx = grad(&x);
    for (g, h) in gx.iter().zip(&hv) {
        assert!((g - (2.0 * h * h + 2.0)).abs() < 1e-12, "{gx:?}");
    }
    assert!(other.grad().is_none());
}

#[test]
#[should_panic(
    expected = "backward: the graph was already freed by an earlier backward(); call backward_retaining_graph the first time to run backward twice"
)]
fn backward_twice_without_retaining_the_graph_panics() {
    let x = Variable::param(Tensor::from([1.0, 2.0]));
    let y = x.square().sum_all();
    y.backward();
    y.backward();
}

#[test]
fn backward_retaining_graph_allows_a_second_pass_and_gradients_add_up() {
    let x = Variable::param(Tensor::from([1.0, 2.0, -0.5]));
    let y = (&x.sin() * &x).sum_all(); // d/dx = cos(x)·x + sin(x)
    let one = Tensor::scalar(1.0);
    y.backward_retaining_graph(&one);
    let first = grad(&x);
    let expected: Vec<f64> = [1.0f64, 2.0, -0.5].iter().map(|x| x.cos() * x + x.sin()).collect();
    for (g, e) in first.iter().zip(&expected) {
        assert!((g - e).abs() < 1e-12, "{first:?} vs {expected:?}");
    }
    y.backward_retaining_graph(&one);
    assert_eq!(grad(&x), first.iter().map(|g| 2.0 * g).collect::<Vec<_>>());
    // The graph is still there for a last, freeing pass.
    y.backward();
    assert_eq!(grad(&x), first.iter().map(|g| 3.0 * g).collect::<Vec<_>>());
}

/// The strategy itself: about half of the drawn inputs (of rank 2+, where a view can be
/// strided) must really be non-contiguous, or the checks above would not test the views.
#[test]
fn drawn_inputs_are_strided_about_half_the_time() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let strategy = arb_input(arb_shape(2..=3, 2..=4), Values::range(-1.0, 1.0));
    let draws = 400;
    let strided =
        (0..draws).filter(|_| !strategy.new_tree(&mut runner).expect("a draw").current().t.is_contiguous()).count();
    assert!((draws * 3 / 10..=draws * 7 / 10).contains(&strided), "{strided} of {draws} inputs were strided");
}

// Regression: an empty list once panicked with a bare index error instead of naming the op.
#[test]
#[should_panic(expected = "stack: needs at least one tensor")]
fn stack_of_no_variables_names_the_op() {
    let _ = Variable::<f64>::stack(&[], 0);
}
