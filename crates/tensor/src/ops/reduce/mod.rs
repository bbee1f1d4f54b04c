//! Reductions: sum, prod, max, min (and their arg versions), cumulative sums.

pub mod fast;
pub mod naive;

use crate::dtype::Numeric;

/// An associative reduction with an identity element.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReduceOp {
    Sum,
    Prod,
    Max,
    Min,
}

impl ReduceOp {
    /// The value the reduction of an empty set gives.
    #[inline]
    pub fn identity<T: Numeric>(self) -> T {
        match self {
            ReduceOp::Sum => T::ZERO,
            ReduceOp::Prod => T::ONE,
            ReduceOp::Max => T::LOWEST,
            ReduceOp::Min => T::HIGHEST,
        }
    }

    #[inline]
    pub fn combine<T: Numeric>(self, acc: T, x: T) -> T {
        match self {
            ReduceOp::Sum => acc + x,
            ReduceOp::Prod => acc * x,
            ReduceOp::Max => acc.max_of(x),
            ReduceOp::Min => acc.min_of(x),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ReduceOp::Sum => "sum",
            ReduceOp::Prod => "prod",
            ReduceOp::Max => "max",
            ReduceOp::Min => "min",
        }
    }
}

/// Max or min together with the position of the winner.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgOp {
    Max,
    Min,
}

impl ArgOp {
    /// Whether `candidate` replaces `best`. Ties keep the first; a NaN wins and stays.
    #[inline]
    pub fn better<T: Numeric>(self, candidate: T, best: T) -> bool {
        if best.is_nan() {
            return false;
        }
        if candidate.is_nan() {
            return true;
        }
        match self {
            ArgOp::Max => candidate > best,
            ArgOp::Min => candidate < best,
        }
    }
}
