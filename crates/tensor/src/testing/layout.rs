//! Layouts for property tests: a dense source buffer and one view step (permute back, step-2
//! slice, narrow, transpose, expand), so that an op test draws strided inputs as often as dense
//! ones and also tests the view machinery (STYLE.md item 5).

use super::indices;
use crate::{Element, Rng, Tensor};
use proptest::prelude::*;
use std::fmt;
use std::ops::RangeInclusive;

/// How a tensor is built from a dense source buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Contiguous,
    /// Data laid out with the axes permuted, then `permute`d back (minitorch style).
    Permuted,
    /// `slice(axis, start, end, 2)` of a source about twice as long on that axis.
    Stepped,
    /// `narrow` of a source longer on one axis.
    Narrowed,
    /// Data with two axes swapped, then `transpose`d back.
    Transposed,
    /// `expand` / `broadcast_to` of size-1 (and new leading) axes: stride 0.
    Expanded,
}

pub const KINDS: [Kind; 6] =
    [Kind::Contiguous, Kind::Permuted, Kind::Stepped, Kind::Narrowed, Kind::Transposed, Kind::Expanded];

#[derive(Clone, Debug)]
enum Step {
    None,
    Permute(Vec<usize>),
    Slice { axis: isize, start: usize, end: usize },
    Narrow { axis: isize, start: usize },
    Transpose(isize, isize),
    Expand { dims: Vec<isize>, with_expand: bool },
}

/// A recipe for a tensor of `shape`: a dense source of shape `src` and one view step.
#[derive(Clone, Debug)]
pub struct Plan {
    pub shape: Vec<usize>,
    pub kind: Kind,
    src: Vec<usize>,
    step: Step,
}

/// Whether result axis `i` = source axis `order[i]` leaves the non-unit axes in source order
/// (then the permuted view is still dense).
fn keeps_order(shape: &[usize], order: &[usize]) -> bool {
    let moved: Vec<usize> = order.iter().enumerate().filter(|(i, _)| shape[*i] != 1).map(|(_, &o)| o).collect();
    moved.windows(2).all(|w| w[0] < w[1])
}

impl Plan {
    /// A plan for `shape` of the requested kind; the random choices (axes, offsets) come from
    /// `rng`. Where the kind cannot apply (rank too small) the plan is dense.
    pub fn new(shape: Vec<usize>, kind: Kind, rng: &mut Rng) -> Plan {
        let rank = shape.len();
        let pick = |rng: &mut Rng, n: usize| rng.below(n as u64) as usize;
        // Half of the axes are given negative, to exercise normalisation.
        let signed = |rng: &mut Rng, a: usize| if rng.below(2) == 0 { a as isize } else { a as isize - rank as isize };
        let dense = Plan { shape: shape.clone(), kind: Kind::Contiguous, src: shape.clone(), step: Step::None };
        // A vector has no axes to swap: take a step-2 slice instead, so it is still strided.
        let kind = if matches!(kind, Kind::Permuted | Kind::Transposed) && rank < 2 { Kind::Stepped } else { kind };
        match kind {
            Kind::Contiguous => dense,
            Kind::Permuted if rank >= 2 => {
                // Prefer an order that really moves the non-unit axes.
                let mut order = rng.permutation(rank);
                for _ in 0..8 {
                    if !keeps_order(&shape, &order) {
                        break;
                    }
                    order = rng.permutation(rank);
                }
                let mut src = vec![0; rank];
                for (i, &o) in order.iter().enumerate() {
                    src[o] = shape[i];
                }
                Plan { shape, kind, src, step: Step::Permute(order) }
            }
            Kind::Stepped if rank >= 1 => {
                let a = pick(rng, rank);
                let d = shape[a];
                let start = pick(rng, 2);
                // `2d - 1` elements from `start` hold `d` picks at step 2; one spare may follow.
                let src_len = if d == 0 { start } else { start + 2 * d - 1 + pick(rng, 2) };
                let mut src = shape.clone();
                src[a] = src_len;
                // An `end` past the axis is clamped, like Python's slices.
                let end = if rng.below(2) == 0 { src_len } else { src_len + 3 };
                Plan { shape, kind, src, step: Step::Slice { axis: signed(rng, a), start, end } }
            }
            Kind::Narrowed if rank >= 1 => {
                // Narrowing an axis with only unit axes before it stays dense; prefer others.
                let strided: Vec<usize> = (0..rank).filter(|&a| shape[..a].iter().any(|&d| d > 1)).collect();
                let a = if strided.is_empty() { pick(rng, rank) } else { strided[pick(rng, strided.len())] };
                let extra = 1 + pick(rng, 3);
                let mut src = shape.clone();
                src[a] += extra;
                let start = pick(rng, extra + 1);
                Plan { shape, kind, src, step: Step::Narrow { axis: signed(rng, a), start } }
            }
            Kind::Transposed if rank >= 2 => {
                let a = pick(rng, rank);
                let b = (a + 1 + pick(rng, rank - 1)) % rank;
                let mut src = shape.clone();
                src.swap(a, b);
                Plan { shape, kind, src, step: Step::Transpose(signed(rng, a), signed(rng, b)) }
            }
            Kind::Expanded if rank >= 1 => {
                let lead = if rng.below(3) == 0 { pick(rng, rank + 1) } else { 0 };
                let mut src: Vec<usize> = shape[lead..].to_vec();
                let mut dims: Vec<isize> = shape.iter().map(|&d| d as isize).collect();
                let mut any = lead > 0;
                for (i, s) in src.iter_mut().enumerate() {
                    if rng.below(2) == 0 || (!any && i + lead == rank - 1) {
                        *s = 1;
                        any = true;
                    } else if rng.below(2) == 0 {
                        dims[lead + i] = -1; // expand keeps this axis
                    }
                }
                Plan { shape, kind, src, step: Step::Expand { dims, with_expand: rng.below(2) == 0 } }
            }
            _ => dense,
        }
    }

    /// The number of values the dense source needs.
    pub fn source_numel(&self) -> usize {
        self.src.iter().product()
    }

    /// Whether the view must come out contiguous, worked out from the recipe alone; `None`
    /// when the tensor is empty (contiguity of an empty view is not specified).
    fn expect_contiguous(&self) -> Option<bool> {
        let shape = &self.shape;
        if shape.contains(&0) {
            return None;
        }
        let outer_is_unit = |a: usize| shape[..a].iter().all(|&d| d == 1);
        let norm = |a: isize| if a < 0 { (a + shape.len() as isize) as usize } else { a as usize };
        Some(match &self.step {
            Step::None => true,
            Step::Permute(order) => keeps_order(shape, order),
            Step::Transpose(a, b) => {
                let mut order: Vec<usize> = (0..shape.len()).collect();
                order.swap(norm(*a), norm(*b));
                keeps_order(shape, &order)
            }
            Step::Slice { axis, .. } | Step::Narrow { axis, .. } => {
                let a = norm(*axis);
                // A longer source axis breaks contiguity unless nothing outside it repeats; a
                // step of 2 along an axis that keeps 2+ elements always does.
                let stepped = matches!(self.step, Step::Slice { .. }) && shape[a] >= 2;
                !stepped && (self.src[a] == shape[a] || outer_is_unit(a))
            }
            Step::Expand { .. } => {
                let lead = shape.len() - self.src.len();
                shape[..lead].iter().all(|&d| d == 1)
                    && self.src.iter().zip(&shape[lead..]).all(|(&s, &d)| s == d || d == 1)
            }
        })
    }

    /// Builds the tensor from the source values (row-major in the source's shape) and checks
    /// that the result has the planned shape and contiguity.
    pub fn build<T: Element>(&self, values: Vec<T>) -> Built<T> {
        let src = Tensor::from_vec(values, self.src.clone());
        let (t, how) = match &self.step {
            Step::None => (src, "contiguous".to_string()),
            Step::Permute(order) => {
                let back: Vec<isize> = order.iter().map(|&o| o as isize).collect();
                (src.permute(back), format!("data of shape {:?} permuted by {order:?}", self.src))
            }
            Step::Slice { axis, start, end } => (
                src.slice(*axis, *start, *end, 2),
                format!("slice(axis {axis}, {start}..{end}, step 2) of shape {:?}", self.src),
            ),
            Step::Narrow { axis, start } => {
                let a = if *axis < 0 { (*axis + self.shape.len() as isize) as usize } else { *axis as usize };
                (
                    src.narrow(*axis, *start, self.shape[a]),
                    format!("narrow(axis {axis}, start {start}, len {}) of shape {:?}", self.shape[a], self.src),
                )
            }
            Step::Transpose(a, b) => (src.transpose(*a, *b), format!("transpose({a}, {b}) of shape {:?}", self.src)),
            Step::Expand { dims, with_expand } => {
                if *with_expand {
                    (src.expand(dims.clone()), format!("expand({dims:?}) of shape {:?}", self.src))
                } else {
                    (src.broadcast_to(self.shape.clone()), format!("broadcast_to of shape {:?}", self.src))
                }
            }
        };
        assert_eq!(t.shape(), &self.shape[..], "test strategy: {how} gave the wrong shape");
        let expected = self.expect_contiguous();
        if let Some(expected) = expected {
            assert_eq!(
                t.is_contiguous(),
                expected,
                "test strategy: {how} (shape {:?}, strides {:?}) should {}be contiguous",
                t.shape(),
                t.strides(),
                if expected { "" } else { "not " }
            );
        }
        let note = match expected {
            Some(true) if self.kind != Kind::Contiguous => " [degenerate: contiguous]",
            Some(false) => " [non-contiguous]",
            _ => "",
        };
        Built { t, how: format!("{how}{note}") }
    }

    /// Builds the tensor with source values drawn by `gen`.
    pub fn build_with<T: Element>(&self, rng: &mut Rng, mut gen: impl FnMut(&mut Rng) -> T) -> Built<T> {
        let values = (0..self.source_numel()).map(|_| gen(rng)).collect();
        self.build(values)
    }
}

/// A tensor with a label saying how its layout was built (for failure messages).
#[derive(Clone)]
pub struct Built<T: Element> {
    pub t: Tensor<T>,
    pub how: String,
}

impl<T: Element> fmt::Debug for Built<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Read through `get`, not `to_vec`, so printing a failing case cannot itself panic.
        let v: Vec<T> = indices(self.t.shape()).iter().map(|i| self.t.get(i)).collect();
        let shown: Vec<String> = v.iter().take(48).map(|x| x.to_string()).collect();
        write!(
            f,
            "<{}: shape {:?}, strides {:?}, offset {}, values [{}{}]>",
            self.how,
            self.t.shape(),
            self.t.strides(),
            self.t.offset(),
            shown.join(", "),
            if v.len() > 48 { ", ..." } else { "" }
        )
    }
}

/// Shapes of rank `ranks` with every size in `sizes`.
pub fn arb_shape(ranks: RangeInclusive<usize>, sizes: RangeInclusive<usize>) -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(sizes, ranks)
}

/// Picks a layout kind. Some views come out dense (unit axes, rank 0), so views are drawn a
/// little more often than dense tensors to end up with about half of each.
pub fn arb_kind() -> impl Strategy<Value = Kind> {
    prop_oneof![
        3 => Just(Kind::Contiguous),
        1 => Just(Kind::Permuted),
        1 => Just(Kind::Stepped),
        1 => Just(Kind::Narrowed),
        1 => Just(Kind::Transposed),
        1 => Just(Kind::Expanded),
    ]
}

pub fn arb_plan(shape: impl Strategy<Value = Vec<usize>>) -> impl Strategy<Value = Plan> {
    (shape, arb_kind(), any::<u64>()).prop_map(|(shape, kind, seed)| Plan::new(shape, kind, &mut Rng::seed(seed)))
}

/// A tensor of a shape drawn from `shape`, values drawn from `values`, layout from
/// [`arb_kind`].
pub fn arb_tensor<T: Element, V: Strategy<Value = T> + Clone>(
    shape: impl Strategy<Value = Vec<usize>>,
    values: V,
) -> impl Strategy<Value = Built<T>> {
    arb_plan(shape).prop_flat_map(move |plan| {
        prop::collection::vec(values.clone(), plan.source_numel()).prop_map(move |v| plan.build(v))
    })
}

/// A shape that broadcasts to `shape`: some leading axes dropped (a third of the time), and each
/// remaining axis set to 1 with probability 1/3.
pub fn broadcastable_to(shape: &[usize], rng: &mut Rng) -> Vec<usize> {
    let drop = if rng.below(3) == 0 { rng.below(shape.len() as u64 + 1) as usize } else { 0 };
    shape[drop..].iter().map(|&d| if rng.below(3) == 0 { 1 } else { d }).collect()
}

/// Two shapes that broadcast together (to a shape drawn from `ranks` and `sizes`).
pub fn arb_broadcast_shapes(
    ranks: RangeInclusive<usize>,
    sizes: RangeInclusive<usize>,
) -> impl Strategy<Value = (Vec<usize>, Vec<usize>)> {
    (arb_shape(ranks, sizes), any::<u64>()).prop_map(|(shape, seed)| {
        let mut rng = Rng::seed(seed);
        let (a, b) = (broadcastable_to(&shape, &mut rng), broadcastable_to(&shape, &mut rng));
        // Swap sometimes so the operand of full rank is not always on the left.
        if rng.below(2) == 0 {
            (a, b)
        } else {
            (b, a)
        }
    })
}

/// Two tensors whose shapes broadcast together, each with its own layout kind.
pub fn arb_broadcast_pair<T: Element, V: Strategy<Value = T> + Clone>(
    ranks: RangeInclusive<usize>,
    sizes: RangeInclusive<usize>,
    values: V,
) -> impl Strategy<Value = (Built<T>, Built<T>)> {
    arb_broadcast_shapes(ranks, sizes)
        .prop_flat_map(move |(a, b)| (arb_tensor(Just(a), values.clone()), arb_tensor(Just(b), values.clone())))
}
