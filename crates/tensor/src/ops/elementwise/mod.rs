//! Elementwise kernels: unary math and binary arithmetic with broadcasting.

pub mod fast;
pub mod gelu;
pub mod gelu_tanh;
pub mod naive;

use crate::dtype::{Float, Numeric};

/// A float-to-float function applied to every element.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    Neg,
    Square,
    Recip,
    Exp,
    Ln,
    Ln1p,
    Sqrt,
    Sin,
    Cos,
    Tanh,
    Sigmoid,
    Relu,
    Erf,
}

impl UnaryOp {
    /// The reference definition of the op on one value. Naive kernels call this; fast kernels
    /// must agree with it within the tolerance presets.
    #[inline]
    pub fn apply<T: Float>(self, x: T) -> T {
        match self {
            UnaryOp::Neg => -x,
            UnaryOp::Square => x * x,
            UnaryOp::Recip => T::ONE / x,
            UnaryOp::Exp => x.exp(),
            UnaryOp::Ln => x.ln(),
            UnaryOp::Ln1p => x.ln_1p(),
            UnaryOp::Sqrt => x.sqrt(),
            UnaryOp::Sin => x.sin(),
            UnaryOp::Cos => x.cos(),
            UnaryOp::Tanh => x.tanh(),
            UnaryOp::Sigmoid => x.sigmoid(),
            // NaN stays NaN, like torch.relu.
            UnaryOp::Relu => {
                if x < T::ZERO {
                    T::ZERO
                } else {
                    x
                }
            }
            UnaryOp::Erf => x.erf(),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            UnaryOp::Neg => "neg",
            UnaryOp::Square => "square",
            UnaryOp::Recip => "recip",
            UnaryOp::Exp => "exp",
            UnaryOp::Ln => "log",
            UnaryOp::Ln1p => "log1p",
            UnaryOp::Sqrt => "sqrt",
            UnaryOp::Sin => "sin",
            UnaryOp::Cos => "cos",
            UnaryOp::Tanh => "tanh",
            UnaryOp::Sigmoid => "sigmoid",
            UnaryOp::Relu => "relu",
            UnaryOp::Erf => "erf",
        }
    }
}

/// A function of two elements, applied pairwise after broadcasting.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Pow,
    Maximum,
    Minimum,
}

impl BinaryOp {
    /// The reference definition of the op on one pair.
    #[inline]
    pub fn apply<T: Numeric>(self, a: T, b: T) -> T {
        match self {
            BinaryOp::Add => a + b,
            BinaryOp::Sub => a - b,
            BinaryOp::Mul => a * b,
            BinaryOp::Div => a / b,
            BinaryOp::Rem => a % b,
            BinaryOp::Pow => a.pow(b),
            BinaryOp::Maximum => a.max_of(b),
            BinaryOp::Minimum => a.min_of(b),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            BinaryOp::Add => "add",
            BinaryOp::Sub => "sub",
            BinaryOp::Mul => "mul",
            BinaryOp::Div => "div",
            BinaryOp::Rem => "remainder",
            BinaryOp::Pow => "pow",
            BinaryOp::Maximum => "maximum",
            BinaryOp::Minimum => "minimum",
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The layout-aware drivers every elementwise op goes through.

use crate::dtype::Element;
use crate::ops::walk::RowWalk;
use crate::shape::broadcast_shapes;
use crate::storage::{uninit_buffer, zeroed_buffer};
use crate::tensor::Tensor;

/// `f` applied to every element, for any layout and element types (casts, comparisons with a
/// scalar, integer math). Dense inputs are mapped as one slice; strided ones row by row.
pub fn map<T: Element, U: Element>(x: &Tensor<T>, f: impl Fn(T) -> U + Sync) -> Tensor<U> {
    let walk = RowWalk::new(x.shape(), [x.strides()], [x.offset()]);
    let buf = x.buffer();
    let mut out = zeroed_buffer(x.numel());
    let step = walk.inner_strides[0];
    walk.fill(&mut out, |row, [start]| {
        if step == 1 {
            let n = row.len();
            for (o, &v) in row.iter_mut().zip(&buf[start..start + n]) {
                *o = f(v);
            }
        } else {
            for (i, o) in row.iter_mut().enumerate() {
                *o = f(buf[start + i * step]);
            }
        }
    });
    Tensor::from_parts(out, x.shape())
}

/// `f` applied pairwise after broadcasting `a` and `b` (comparisons, masks, mixed types).
pub fn zip_map<A: Element, B: Element, O: Element>(
    op: &str,
    a: &Tensor<A>,
    b: &Tensor<B>,
    f: impl Fn(A, B) -> O + Sync,
) -> Tensor<O> {
    a.same_device(op, b.device());
    let shape = broadcast_shapes(op, a.shape(), b.shape());
    let (sa, sb) = (a.layout().broadcast_strides(op, &shape), b.layout().broadcast_strides(op, &shape));
    let walk = RowWalk::new(&shape, [&sa, &sb], [a.offset(), b.offset()]);
    let (ba, bb) = (a.buffer(), b.buffer());
    let [da, db] = walk.inner_strides;
    let mut out = zeroed_buffer(shape.iter().product());
    walk.fill(&mut out, |row, [pa, pb]| {
        for (i, o) in row.iter_mut().enumerate() {
            *o = f(ba[pa + i * da], bb[pb + i * db]);
        }
    });
    Tensor::from_parts(out, &shape)
}

/// `f` applied to triples after broadcasting all three (`where`).
pub fn zip3_map<A: Element, B: Element, C: Element, O: Element>(
    op: &str,
    a: &Tensor<A>,
    b: &Tensor<B>,
    c: &Tensor<C>,
    f: impl Fn(A, B, C) -> O + Sync,
) -> Tensor<O> {
    a.same_device(op, b.device());
    a.same_device(op, c.device());
    let shape = broadcast_shapes(op, &broadcast_shapes(op, a.shape(), b.shape()), c.shape());
    let strides = [a.layout(), b.layout(), c.layout()].map(|l| l.broadcast_strides(op, &shape));
    let walk = RowWalk::new(&shape, [&strides[0], &strides[1], &strides[2]], [a.offset(), b.offset(), c.offset()]);
    let (ba, bb, bc) = (a.buffer(), b.buffer(), c.buffer());
    let [da, db, dc] = walk.inner_strides;
    let mut out = zeroed_buffer(shape.iter().product());
    walk.fill(&mut out, |row, [pa, pb, pc]| {
        for (i, o) in row.iter_mut().enumerate() {
            *o = f(ba[pa + i * da], bb[pb + i * db], bc[pc + i * dc]);
        }
    });
    Tensor::from_parts(out, &shape)
}

/// A unary float op through the kernel family chosen by [`crate::kernel_mode`].
pub fn unary_op<T: Float>(op: UnaryOp, x: &Tensor<T>) -> Tensor<T> {
    if !crate::kernels::use_fast() {
        return naive::unary(op, x);
    }
    // Strided inputs are made dense first: one copy, then the SIMD kernel over one slice.
    let x = x.contiguous();
    let mut out = zeroed_buffer(x.numel());
    fast::unary(op, x.as_slice().expect("contiguous"), &mut out);
    Tensor::from_parts(out, x.shape())
}

/// A binary op with broadcasting through the kernel family chosen by [`crate::kernel_mode`].
pub fn binary_op<T: Numeric>(op: BinaryOp, a: &Tensor<T>, b: &Tensor<T>) -> Tensor<T> {
    let name = op.name();
    a.same_device(name, b.device());
    if !crate::kernels::use_fast() {
        return naive::binary(op, a, b);
    }
    let shape = broadcast_shapes(name, a.shape(), b.shape());
    let (sa, sb) = (a.layout().broadcast_strides(name, &shape), b.layout().broadcast_strides(name, &shape));
    let walk = RowWalk::new(&shape, [&sa, &sb], [a.offset(), b.offset()]);
    let (ba, bb) = (a.buffer(), b.buffer());
    // The result is written once, into a buffer that is not zeroed first: zeroing 16 MiB costs
    // about a third of an add's time.
    let numel = shape.iter().product();
    let mut out = uninit_buffer(numel);
    walk.fill(&mut out.spare_capacity_mut()[..numel], |row, [pa, pb]| {
        let n = row.len();
        match walk.inner_strides {
            [1, 1] => fast::binary_into(op, &ba[pa..pa + n], &bb[pb..pb + n], row),
            [1, 0] => fast::binary_scalar_rhs_into(op, &ba[pa..pa + n], bb[pb], row),
            [0, 1] => fast::binary_scalar_lhs_into(op, ba[pa], &bb[pb..pb + n], row),
            [da, db] => {
                for (i, o) in row.iter_mut().enumerate() {
                    o.write(op.apply(ba[pa + i * da], bb[pb + i * db]));
                }
            }
        }
    });
    // SAFETY: the walk hands every row of the `numel` slots to the closure exactly once, and
    // every branch writes each slot of its row.
    unsafe { out.set_len(numel) };
    Tensor::from_parts(out, &shape)
}

macro_rules! unary_methods {
    ($($(#[$doc:meta])* $name:ident => $op:ident;)*) => {
        impl<T: Float> Tensor<T> {
            $(
                $(#[$doc])*
                pub fn $name(&self) -> Tensor<T> {
                    unary_op(UnaryOp::$op, self)
                }
            )*
        }
    };
}

unary_methods! {
    /// e^x.
    exp => Exp;
    /// The natural logarithm (`ln`; named `log` as in PyTorch and NumPy).
    log => Ln;
    /// ln(1 + x), accurate for tiny x.
    log1p => Ln1p;
    sqrt => Sqrt;
    sin => Sin;
    cos => Cos;
    tanh => Tanh;
    /// 1 / (1 + e^-x), computed without overflow for large |x|.
    sigmoid => Sigmoid;
    /// max(x, 0); NaN stays NaN.
    relu => Relu;
    /// The Gauss error function (used by the exact GELU).
    erf => Erf;
    /// x².
    square => Square;
    /// 1 / x.
    recip => Recip;
}

impl<T: Float> Tensor<T> {
    /// Every element raised to the power `exponent`.
    pub fn powf(&self, exponent: T) -> Tensor<T> {
        binary_op(BinaryOp::Pow, self, &Tensor::scalar(exponent))
    }
}

impl<T: Numeric> Tensor<T> {
    /// Elementwise power with broadcasting (`self ^ exponent`).
    pub fn pow(&self, exponent: &Tensor<T>) -> Tensor<T> {
        binary_op(BinaryOp::Pow, self, exponent)
    }

    /// Elementwise maximum with broadcasting; NaN wins, as in `torch.maximum`.
    pub fn maximum(&self, other: &Tensor<T>) -> Tensor<T> {
        binary_op(BinaryOp::Maximum, self, other)
    }

    /// Elementwise minimum with broadcasting; NaN wins.
    pub fn minimum(&self, other: &Tensor<T>) -> Tensor<T> {
        binary_op(BinaryOp::Minimum, self, other)
    }

    /// |x|.
    pub fn abs(&self) -> Tensor<T> {
        map(self, |x| x.abs())
    }

    /// -1, 0 or 1 by the sign of each element.
    pub fn sign(&self) -> Tensor<T> {
        map(self, |x| x.sign())
    }

    /// Every element limited to `[min, max]`. Panics if `min > max`.
    pub fn clamp(&self, min: T, max: T) -> Tensor<T> {
        if min > max {
            panic!("clamp: min {min} is greater than max {max}");
        }
        map(self, move |x| {
            if x < min {
                min
            } else if x > max {
                max
            } else {
                x
            }
        })
    }
}

macro_rules! comparisons {
    ($($(#[$doc:meta])* $name:ident, $scalar:ident => $cmp:tt;)*) => {
        impl<T: Numeric> Tensor<T> {
            $(
                $(#[$doc])*
                pub fn $name(&self, other: &Tensor<T>) -> Tensor<bool> {
                    zip_map(stringify!($name), self, other, |a, b| a $cmp b)
                }

                $(#[$doc])*
                pub fn $scalar(&self, value: T) -> Tensor<bool> {
                    map(self, move |a| a $cmp value)
                }
            )*
        }
    };
}

comparisons! {
    /// Elementwise `==` (with broadcasting) as a boolean mask.
    eq, eq_scalar => ==;
    /// Elementwise `!=` as a boolean mask.
    ne, ne_scalar => !=;
    /// Elementwise `<` as a boolean mask.
    lt, lt_scalar => <;
    /// Elementwise `<=` as a boolean mask.
    le, le_scalar => <=;
    /// Elementwise `>` as a boolean mask.
    gt, gt_scalar => >;
    /// Elementwise `>=` as a boolean mask.
    ge, ge_scalar => >=;
}

impl Tensor<bool> {
    /// Elementwise logical not.
    pub fn logical_not(&self) -> Tensor<bool> {
        map(self, |x| !x)
    }

    /// Elementwise logical and, with broadcasting.
    pub fn logical_and(&self, other: &Tensor<bool>) -> Tensor<bool> {
        zip_map("logical_and", self, other, |a, b| a && b)
    }

    /// Elementwise logical or, with broadcasting.
    pub fn logical_or(&self, other: &Tensor<bool>) -> Tensor<bool> {
        zip_map("logical_or", self, other, |a, b| a || b)
    }
}

// Operators: every combination of owned and borrowed tensors, and a tensor with a scalar.
macro_rules! binary_operator {
    ($trait:ident, $method:ident, $assign_trait:ident, $assign_method:ident, $op:ident) => {
        impl<T: Numeric> std::ops::$trait<&Tensor<T>> for &Tensor<T> {
            type Output = Tensor<T>;
            fn $method(self, rhs: &Tensor<T>) -> Tensor<T> {
                binary_op(BinaryOp::$op, self, rhs)
            }
        }
        impl<T: Numeric> std::ops::$trait<Tensor<T>> for Tensor<T> {
            type Output = Tensor<T>;
            fn $method(self, rhs: Tensor<T>) -> Tensor<T> {
                binary_op(BinaryOp::$op, &self, &rhs)
            }
        }
        impl<T: Numeric> std::ops::$trait<&Tensor<T>> for Tensor<T> {
            type Output = Tensor<T>;
            fn $method(self, rhs: &Tensor<T>) -> Tensor<T> {
                binary_op(BinaryOp::$op, &self, rhs)
            }
        }
        impl<T: Numeric> std::ops::$trait<Tensor<T>> for &Tensor<T> {
            type Output = Tensor<T>;
            fn $method(self, rhs: Tensor<T>) -> Tensor<T> {
                binary_op(BinaryOp::$op, self, &rhs)
            }
        }
        impl<T: Numeric> std::ops::$trait<T> for &Tensor<T> {
            type Output = Tensor<T>;
            fn $method(self, rhs: T) -> Tensor<T> {
                binary_op(BinaryOp::$op, self, &Tensor::scalar(rhs))
            }
        }
        impl<T: Numeric> std::ops::$trait<T> for Tensor<T> {
            type Output = Tensor<T>;
            fn $method(self, rhs: T) -> Tensor<T> {
                binary_op(BinaryOp::$op, &self, &Tensor::scalar(rhs))
            }
        }
        impl<T: Numeric> std::ops::$assign_trait<&Tensor<T>> for Tensor<T> {
            /// `a op= b` keeps `a`'s shape: `b` must broadcast to it.
            fn $assign_method(&mut self, rhs: &Tensor<T>) {
                let result = binary_op(BinaryOp::$op, self, rhs);
                if result.shape() != self.shape() {
                    panic!(
                        "{}_assign: the result shape {} differs from the left operand's {}",
                        BinaryOp::$op.name(),
                        crate::shape::dims_str(result.shape()),
                        crate::shape::dims_str(self.shape())
                    );
                }
                *self = result;
            }
        }
        impl<T: Numeric> std::ops::$assign_trait<T> for Tensor<T> {
            fn $assign_method(&mut self, rhs: T) {
                *self = binary_op(BinaryOp::$op, self, &Tensor::scalar(rhs));
            }
        }
    };
}

binary_operator!(Add, add, AddAssign, add_assign, Add);
binary_operator!(Sub, sub, SubAssign, sub_assign, Sub);
binary_operator!(Mul, mul, MulAssign, mul_assign, Mul);
binary_operator!(Div, div, DivAssign, div_assign, Div);
binary_operator!(Rem, rem, RemAssign, rem_assign, Rem);

// A scalar on the left (`2.0 * &x`) needs one impl per concrete element type.
macro_rules! scalar_lhs_operators {
    ($($t:ty),*) => {$(
        impl std::ops::Add<&Tensor<$t>> for $t {
            type Output = Tensor<$t>;
            fn add(self, rhs: &Tensor<$t>) -> Tensor<$t> { binary_op(BinaryOp::Add, &Tensor::scalar(self), rhs) }
        }
        impl std::ops::Sub<&Tensor<$t>> for $t {
            type Output = Tensor<$t>;
            fn sub(self, rhs: &Tensor<$t>) -> Tensor<$t> { binary_op(BinaryOp::Sub, &Tensor::scalar(self), rhs) }
        }
        impl std::ops::Mul<&Tensor<$t>> for $t {
            type Output = Tensor<$t>;
            fn mul(self, rhs: &Tensor<$t>) -> Tensor<$t> { binary_op(BinaryOp::Mul, &Tensor::scalar(self), rhs) }
        }
        impl std::ops::Div<&Tensor<$t>> for $t {
            type Output = Tensor<$t>;
            fn div(self, rhs: &Tensor<$t>) -> Tensor<$t> { binary_op(BinaryOp::Div, &Tensor::scalar(self), rhs) }
        }
        impl std::ops::Add<Tensor<$t>> for $t {
            type Output = Tensor<$t>;
            fn add(self, rhs: Tensor<$t>) -> Tensor<$t> { self + &rhs }
        }
        impl std::ops::Sub<Tensor<$t>> for $t {
            type Output = Tensor<$t>;
            fn sub(self, rhs: Tensor<$t>) -> Tensor<$t> { self - &rhs }
        }
        impl std::ops::Mul<Tensor<$t>> for $t {
            type Output = Tensor<$t>;
            fn mul(self, rhs: Tensor<$t>) -> Tensor<$t> { self * &rhs }
        }
        impl std::ops::Div<Tensor<$t>> for $t {
            type Output = Tensor<$t>;
            fn div(self, rhs: Tensor<$t>) -> Tensor<$t> { self / &rhs }
        }
    )*};
}

scalar_lhs_operators!(f32, f64, i32, i64);

impl<T: Float> std::ops::Neg for &Tensor<T> {
    type Output = Tensor<T>;
    fn neg(self) -> Tensor<T> {
        unary_op(UnaryOp::Neg, self)
    }
}

impl<T: Float> std::ops::Neg for Tensor<T> {
    type Output = Tensor<T>;
    fn neg(self) -> Tensor<T> {
        unary_op(UnaryOp::Neg, &self)
    }
}

impl<T: Float> Tensor<T> {
    /// The exact GELU, x·Φ(x) = ½x(1 + erf(x/√2)), as one fused pass (naive or fast by
    /// `kernel_mode()`; its backward is [`Tensor::gelu_backward`]).
    pub fn gelu(&self) -> Tensor<T> {
        fused_pass(self, gelu::fast_forward, gelu::naive_forward)
    }

    /// The gradient of [`Tensor::gelu`] at `self` for the output gradient `grad`:
    /// grad·(Φ(x) + x·φ(x)), as one pass. Panics when the shapes differ.
    pub fn gelu_backward(&self, grad: &Tensor<T>) -> Tensor<T> {
        fused_backward_pass("gelu_backward", self, grad, gelu::fast_backward, gelu::naive_backward)
    }
}

/// One fused elementwise pass over a contiguous copy of `x`: `fast` or `naive` by
/// `kernel_mode()` (the GELU family).
pub(super) fn fused_pass<T: Float>(x: &Tensor<T>, fast: fn(&[T], &mut [T]), naive: fn(&[T], &mut [T])) -> Tensor<T> {
    let c = x.contiguous();
    let xs = c.as_slice().expect("contiguous");
    let mut out = crate::storage::zeroed_buffer::<T>(xs.len());
    if crate::kernels::use_fast() {
        fast(xs, &mut out);
    } else {
        naive(xs, &mut out);
    }
    Tensor::from_vec(out, x.shape())
}

/// The backward twin of [`fused_pass`]: the input gradient from `x` and the output gradient
/// `grad` in one pass. Panics, naming `op`, when the shapes differ.
pub(super) fn fused_backward_pass<T: Float>(
    op: &str,
    x: &Tensor<T>,
    grad: &Tensor<T>,
    fast: fn(&[T], &[T], &mut [T]),
    naive: fn(&[T], &[T], &mut [T]),
) -> Tensor<T> {
    if grad.shape() != x.shape() {
        panic!(
            "{op}: gradient of shape {} for an input of shape {}",
            crate::shape::dims_str(grad.shape()),
            crate::shape::dims_str(x.shape())
        );
    }
    let (c, g) = (x.contiguous(), grad.contiguous());
    let (xs, gs) = (c.as_slice().expect("contiguous"), g.as_slice().expect("contiguous"));
    let mut out = crate::storage::zeroed_buffer::<T>(xs.len());
    if crate::kernels::use_fast() {
        fast(xs, gs, &mut out);
    } else {
        naive(xs, gs, &mut out);
    }
    Tensor::from_vec(out, x.shape())
}
