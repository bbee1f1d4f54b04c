//! Shared helpers for the autograd property tests: f64 inputs whose layout is drawn (dense, or a
//! view built so that it reads as the wanted shape), values drawn away from kinks or without
//! ties, and one check that compares the forward value with the tensor op and runs the
//! gradient checker, both failing with a message that names the op (STYLE.md items 4-5).

// Each test binary uses a different subset of these helpers.
#![allow(dead_code)]

use kindling_autograd::{GradCheck, Variable};
use kindling_tensor::testing::{Built, Plan};
use kindling_tensor::tolerance::first_mismatch;
use kindling_tensor::{Axes, Rng, Tensor, Tolerance};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

// The layouts, shapes and proptest settings are the ones every crate's tests share.
pub use kindling_tensor::testing::{arb_kind, arb_shape, broadcastable_to, config, Kind};

/// How far drawn values stay from a kink (the gradient checker steps by 1e-6).
pub const KINK_GAP: f64 = 1e-3;

/// Where input values come from.
#[derive(Clone, Debug)]
pub struct Values {
    lo: f64,
    hi: f64,
    kinks: Vec<f64>,
    /// Every value has at least this magnitude (denominators, bases near a pole).
    min_abs: f64,
    /// All values pairwise well apart (for max/min, whose gradient jumps at ties).
    distinct: bool,
}

impl Values {
    /// Uniform in `[lo, hi)`.
    pub fn range(lo: f64, hi: f64) -> Values {
        Values { lo, hi, kinks: Vec::new(), min_abs: 0.0, distinct: false }
    }

    /// Like `self`, but never within [`KINK_GAP`] of any of `kinks`.
    pub fn away_from(mut self, kinks: &[f64]) -> Values {
        self.kinks.extend_from_slice(kinks);
        self
    }

    /// Like `self`, but never smaller than `m` in magnitude.
    pub fn min_abs(mut self, m: f64) -> Values {
        self.min_abs = m;
        self
    }

    /// Shuffled, evenly spread values in `[lo, hi)`: no two closer than (hi − lo)/(2n).
    pub fn distinct(lo: f64, hi: f64) -> Values {
        Values { lo, hi, kinks: Vec::new(), min_abs: 0.0, distinct: true }
    }

    pub fn draw(&self, n: usize, rng: &mut Rng) -> Vec<f64> {
        let span = self.hi - self.lo;
        if self.distinct {
            let mut v: Vec<f64> =
                (0..n).map(|i| self.lo + span * (i as f64 + 0.25 + 0.5 * rng.uniform_f64()) / n as f64).collect();
            rng.shuffle(&mut v);
            return v;
        }
        (0..n)
            .map(|_| loop {
                let x = self.lo + span * rng.uniform_f64();
                if x.abs() >= self.min_abs && self.kinks.iter().all(|k| (x - k).abs() >= KINK_GAP) {
                    break x;
                }
            })
            .collect()
    }
}

/// An f64 input with a note on how its layout was built (for failure messages).
pub type Input = Built<f64>;

fn pick(rng: &mut Rng, n: usize) -> usize {
    rng.below(n as u64) as usize
}

/// An axis of `rank`, given negative half the time.
pub fn some_axis(rng: &mut Rng, rank: usize) -> isize {
    let a = pick(rng, rank);
    signed(rng, a, rank)
}

/// `a` as is or counted from the end, at random.
pub fn signed(rng: &mut Rng, a: usize, rank: usize) -> isize {
    if rng.below(2) == 0 {
        a as isize
    } else {
        a as isize - rank as isize
    }
}

/// An insertion point for `unsqueeze`/`stack` on a tensor of `rank`, negative half the time.
pub fn some_insert_axis(rng: &mut Rng, rank: usize) -> isize {
    let a = pick(rng, rank + 1);
    signed(rng, a, rank + 1)
}

/// Axes for a reduction: `Axes::All`, one axis, or several in random order (some negative),
/// with the sorted list they name.
pub fn some_axes(rng: &mut Rng, rank: usize) -> (Axes, Vec<usize>) {
    if rank == 0 || rng.below(5) == 0 {
        return (Axes::All, (0..rank).collect());
    }
    let mut chosen: Vec<usize> =
        if rng.below(2) == 0 { vec![pick(rng, rank)] } else { (0..rank).filter(|_| rng.below(2) == 0).collect() };
    if chosen.is_empty() {
        chosen.push(pick(rng, rank));
    }
    rng.shuffle(&mut chosen);
    let listed: Vec<isize> = chosen.iter().map(|&a| signed(rng, a, rank)).collect();
    chosen.sort_unstable();
    (Axes::These(listed), chosen)
}

/// Builds an input of `shape` with the given layout and values. Where a layout cannot apply
/// (rank too small; stride-0 repeats where values must be distinct) a strided one is used.
pub fn make_input(shape: &[usize], kind: Kind, values: &Values, rng: &mut Rng) -> Input {
    let kind = if kind == Kind::Expanded && values.distinct { Kind::Narrowed } else { kind };
    let plan = Plan::new(shape.to_vec(), kind, rng);
    let source = values.draw(plan.source_numel(), rng);
    plan.build(source)
}

/// The default shapes: rank 0-3, sizes 1-4.
pub fn any_shape() -> impl Strategy<Value = Vec<usize>> {
    arb_shape(0..=3, 1..=4)
}

/// An input of a shape drawn from `shape`, with a drawn layout and values from `values`.
pub fn arb_input(shape: impl Strategy<Value = Vec<usize>>, values: Values) -> impl Strategy<Value = Input> {
    (shape, arb_kind(), any::<u64>())
        .prop_map(move |(shape, kind, seed)| make_input(&shape, kind, &values, &mut Rng::seed(seed)))
}

/// Two inputs whose shapes broadcast together (rank differences and size-1 axes included),
/// each with its own layout; `a` and `b` say where each side's values come from.
pub fn arb_broadcast_pair(a: Values, b: Values) -> impl Strategy<Value = (Input, Input)> {
    (any_shape(), arb_kind(), arb_kind(), any::<u64>()).prop_map(move |(shape, la, lb, seed)| {
        let mut rng = Rng::seed(seed);
        let (mut sa, mut sb) = (broadcastable_to(&shape, &mut rng), broadcastable_to(&shape, &mut rng));
        if rng.below(2) == 0 {
            std::mem::swap(&mut sa, &mut sb);
        }
        (make_input(&sa, la, &a, &mut rng), make_input(&sb, lb, &b, &mut rng))
    })
}

fn tensors(inputs: &[Input]) -> Vec<Tensor<f64>> {
    inputs.iter().map(|i| i.t.clone()).collect()
}

/// The op's value through variables must equal the tensor op's value, and its gradient must
/// pass the gradient checker (seeded by `seed`). Failures name `op` and show the inputs.
pub fn check_op(
    op: &str,
    inputs: &[Input],
    var_fn: impl Fn(&[Variable<f64>]) -> Variable<f64>,
    tensor_fn: impl Fn(&[Tensor<f64>]) -> Tensor<f64>,
    seed: u64,
) -> Result<(), TestCaseError> {
    let ts = tensors(inputs);
    let vars: Vec<Variable<f64>> = ts.iter().map(|t| Variable::param(t.clone())).collect();
    let got = var_fn(&vars).value();
    let expected = tensor_fn(&ts);
    prop_assert_eq!(
        got.shape(),
        expected.shape(),
        "{}: forward shape differs from the tensor op; inputs {:?}",
        op,
        inputs
    );
    if let Some(msg) = first_mismatch(&got, &expected, Tolerance::STRICT) {
        prop_assert!(false, "{}: forward value differs from the tensor op: {}; inputs {:?}", op, msg, inputs);
    }
    grad_ok(op, inputs, var_fn, seed)
}

/// Only the gradient check (for ops whose forward value is compared elsewhere).
pub fn grad_ok(
    op: &str,
    inputs: &[Input],
    var_fn: impl Fn(&[Variable<f64>]) -> Variable<f64>,
    seed: u64,
) -> Result<(), TestCaseError> {
    let checker = GradCheck { seed, ..GradCheck::default() };
    if let Err(failure) = checker.check(op, &tensors(inputs), var_fn) {
        prop_assert!(false, "{}; inputs {:?}", failure, inputs);
    }
    Ok(())
}

/// `f` applied to every element (a scalar reference for activations with no tensor op).
pub fn pointwise(t: &Tensor<f64>, f: impl Fn(f64) -> f64) -> Tensor<f64> {
    Tensor::from_vec(t.to_vec().into_iter().map(f).collect(), t.shape())
}
