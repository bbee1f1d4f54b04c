//! Addition, subtraction, multiplication and division, with broadcasting and with scalars.
//! Broadcasting copies a value to many places, so its backward adds the gradients of those
//! places back up ([`super::sum_to`]).

use super::sum_to;
use crate::Variable;
use kindling_tensor::{Float, Tensor};

fn add<T: Float>(a: &Variable<T>, b: &Variable<T>) -> Variable<T> {
    let (sa, sb) = (a.shape(), b.shape());
    Variable::from_op("add", &a.value() + &b.value(), vec![a.clone(), b.clone()], move |g, needs| {
        vec![needs[0].then(|| sum_to(g, &sa)), needs[1].then(|| sum_to(g, &sb))]
    })
}

fn sub<T: Float>(a: &Variable<T>, b: &Variable<T>) -> Variable<T> {
    let (sa, sb) = (a.shape(), b.shape());
    Variable::from_op("sub", &a.value() - &b.value(), vec![a.clone(), b.clone()], move |g, needs| {
        vec![needs[0].then(|| sum_to(g, &sa)), needs[1].then(|| sum_to(&-g, &sb))]
    })
}

fn mul<T: Float>(a: &Variable<T>, b: &Variable<T>) -> Variable<T> {
    let (va, vb) = (a.value(), b.value());
    Variable::from_op("mul", &va * &vb, vec![a.clone(), b.clone()], move |g, needs| {
        vec![needs[0].then(|| sum_to(&(g * &vb), va.shape())), needs[1].then(|| sum_to(&(g * &va), vb.shape()))]
    })
}

fn div<T: Float>(a: &Variable<T>, b: &Variable<T>) -> Variable<T> {
    let (va, vb) = (a.value(), b.value());
    Variable::from_op("div", &va / &vb, vec![a.clone(), b.clone()], move |g, needs| {
        // d(a/b)/db = −a/b²
        vec![
            needs[0].then(|| sum_to(&(g / &vb), va.shape())),
            needs[1].then(|| sum_to(&(-(g * &va) / vb.square()), vb.shape())),
        ]
    })
}

fn scalar_op<T: Float>(name: &'static str, a: &Variable<T>, value: Tensor<T>, slope: T) -> Variable<T> {
    // For a + s, a − s, s + a: slope ±1; for a·s, a/s: slope s or 1/s.
    Variable::from_op(name, value, vec![a.clone()], move |g, _| vec![Some(g * slope)])
}

impl<T: Float> Variable<T> {
    /// a + s
    pub fn add_scalar(&self, s: T) -> Variable<T> {
        scalar_op("add_scalar", self, &self.value() + s, T::ONE)
    }

    /// a · s
    pub fn mul_scalar(&self, s: T) -> Variable<T> {
        scalar_op("mul_scalar", self, &self.value() * s, s)
    }

    /// s − a
    pub fn rsub_scalar(&self, s: T) -> Variable<T> {
        scalar_op("rsub_scalar", self, (&self.value() * -T::ONE) + s, -T::ONE)
    }

    /// s / a
    pub fn rdiv_scalar(&self, s: T) -> Variable<T> {
        let x = self.value();
        let value = &x.recip() * s;
        Variable::from_op("rdiv_scalar", value, vec![self.clone()], move |g, _| vec![Some(-(g * s) / x.square())])
    }
}

macro_rules! operators {
    ($trait:ident, $method:ident, $f:ident) => {
        impl<T: Float> std::ops::$trait<&Variable<T>> for &Variable<T> {
            type Output = Variable<T>;
            fn $method(self, rhs: &Variable<T>) -> Variable<T> {
                $f(self, rhs)
            }
        }
        impl<T: Float> std::ops::$trait<Variable<T>> for Variable<T> {
            type Output = Variable<T>;
            fn $method(self, rhs: Variable<T>) -> Variable<T> {
                $f(&self, &rhs)
            }
        }
        impl<T: Float> std::ops::$trait<&Variable<T>> for Variable<T> {
            type Output = Variable<T>;
            fn $method(self, rhs: &Variable<T>) -> Variable<T> {
                $f(&self, rhs)
            }
        }
        impl<T: Float> std::ops::$trait<Variable<T>> for &Variable<T> {
            type Output = Variable<T>;
            fn $method(self, rhs: Variable<T>) -> Variable<T> {
                $f(self, &rhs)
            }
        }
    };
}

operators!(Add, add, add);
operators!(Sub, sub, sub);
operators!(Mul, mul, mul);
operators!(Div, div, div);

macro_rules! scalar_operators {
    ($($t:ty),*) => {$(
        impl std::ops::Add<$t> for &Variable<$t> {
            type Output = Variable<$t>;
            fn add(self, s: $t) -> Variable<$t> { self.add_scalar(s) }
        }
        impl std::ops::Sub<$t> for &Variable<$t> {
            type Output = Variable<$t>;
            fn sub(self, s: $t) -> Variable<$t> { self.add_scalar(-s) }
        }
        impl std::ops::Mul<$t> for &Variable<$t> {
            type Output = Variable<$t>;
            fn mul(self, s: $t) -> Variable<$t> { self.mul_scalar(s) }
        }
        impl std::ops::Div<$t> for &Variable<$t> {
            type Output = Variable<$t>;
            fn div(self, s: $t) -> Variable<$t> { self.mul_scalar(1.0 / s) }
        }
        impl std::ops::Add<$t> for Variable<$t> {
            type Output = Variable<$t>;
            fn add(self, s: $t) -> Variable<$t> { self.add_scalar(s) }
        }
        impl std::ops::Sub<$t> for Variable<$t> {
            type Output = Variable<$t>;
            fn sub(self, s: $t) -> Variable<$t> { self.add_scalar(-s) }
        }
        impl std::ops::Mul<$t> for Variable<$t> {
            type Output = Variable<$t>;
            fn mul(self, s: $t) -> Variable<$t> { self.mul_scalar(s) }
        }
        impl std::ops::Div<$t> for Variable<$t> {
            type Output = Variable<$t>;
            fn div(self, s: $t) -> Variable<$t> { self.mul_scalar(1.0 / s) }
        }
        impl std::ops::Add<&Variable<$t>> for $t {
            type Output = Variable<$t>;
            fn add(self, v: &Variable<$t>) -> Variable<$t> { v.add_scalar(self) }
        }
        impl std::ops::Sub<&Variable<$t>> for $t {
            type Output = Variable<$t>;
            fn sub(self, v: &Variable<$t>) -> Variable<$t> { v.rsub_scalar(self) }
        }
        impl std::ops::Mul<&Variable<$t>> for $t {
            type Output = Variable<$t>;
            fn mul(self, v: &Variable<$t>) -> Variable<$t> { v.mul_scalar(self) }
        }
        impl std::ops::Div<&Variable<$t>> for $t {
            type Output = Variable<$t>;
            fn div(self, v: &Variable<$t>) -> Variable<$t> { v.rdiv_scalar(self) }
        }
    )*};
}

scalar_operators!(f32, f64);

impl<T: Float> std::ops::Neg for &Variable<T> {
    type Output = Variable<T>;
    fn neg(self) -> Variable<T> {
        self.mul_scalar(-T::ONE)
    }
}

impl<T: Float> std::ops::Neg for Variable<T> {
    type Output = Variable<T>;
    fn neg(self) -> Variable<T> {
        self.mul_scalar(-T::ONE)
    }
}

/// Elementwise max or min of two broadcast operands. The winner of each pair takes the
/// gradient; on a tie each side gets half, as PyTorch's `maximum`/`minimum` do.
fn extreme_pair<T: Float>(name: &'static str, a: &Variable<T>, b: &Variable<T>, largest: bool) -> Variable<T> {
    let (va, vb) = (a.value(), b.value());
    let y = if largest { va.maximum(&vb) } else { va.minimum(&vb) };
    let a_wins = if largest { va.gt(&vb) } else { va.lt(&vb) };
    let half = T::from_f64(0.5);
    let a_share = &a_wins.cast::<T>() + &(&va.eq(&vb).cast::<T>() * half);
    let (sa, sb) = (va.shape().to_vec(), vb.shape().to_vec());
    Variable::from_op(name, y, vec![a.clone(), b.clone()], move |g, needs| {
        let ga = g * &a_share;
        vec![needs[0].then(|| sum_to(&ga, &sa)), needs[1].then(|| sum_to(&(g - &ga), &sb))]
    })
}

impl<T: Float> Variable<T> {
    /// The larger of each pair of elements, with broadcasting (`torch.maximum`); a tie splits
    /// the gradient half and half between the operands.
    pub fn maximum(&self, other: &Variable<T>) -> Variable<T> {
        extreme_pair("maximum", self, other, true)
    }

    /// The smaller of each pair of elements, with broadcasting; ties as for
    /// [`Variable::maximum`].
    pub fn minimum(&self, other: &Variable<T>) -> Variable<T> {
        extreme_pair("minimum", self, other, false)
    }
}
