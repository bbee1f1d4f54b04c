//! Initialisers: functions that return a fresh tensor of a given shape, drawn from an explicit
//! generator. To re-initialise a parameter, `param.set_value(init::xavier_uniform(...))`.
//!
//! Why the scale matters: a layer with n inputs of variance 1 and weights of variance s²
//! produces outputs of variance n·s². Keeping that near 1 layer after layer (so signals and
//! gradients neither vanish nor explode) gives s² = 1/fan_in, adjusted by a gain for what the
//! activation does to the variance:
//! - Xavier/Glorot (for tanh/sigmoid): Var(W) = gain²·2/(fan_in + fan_out), a compromise
//!   between the forward and the backward pass.
//! - Kaiming/He (for ReLU, which zeroes half the signal): Var(W) = gain²/fan, gain = √2.
//! - Orthogonal (recurrent weights): all singular values 1, so repeated multiplication by
//!   the matrix neither grows nor shrinks a vector.
//!
//! Fans follow PyTorch: for a `[out, in, k1, k2, ...]` weight, fan_in = in·k1·k2·…,
//! fan_out = out·k1·k2·….

use kindling_tensor::linalg::householder_qr;
use kindling_tensor::shape::dims_str;
use kindling_tensor::{Float, Rng, Shape, Tensor};

/// The activation that follows a layer, for [`gain`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Nonlinearity {
    /// Identity, sigmoid or a convolution with no activation: gain 1.
    Linear,
    Sigmoid,
    /// Gain 5/3.
    Tanh,
    /// Gain √2.
    Relu,
    /// Gain √(2/(1 + slope²)).
    LeakyRelu(f64),
    /// Gain 3/4.
    Selu,
}

/// Which fan Kaiming initialisation preserves: `FanIn` keeps the forward activations'
/// variance, `FanOut` the backward gradients'.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FanMode {
    FanIn,
    FanOut,
}

/// The recommended gain for an activation (PyTorch's `calculate_gain`).
pub fn gain(nonlinearity: Nonlinearity) -> f64 {
    match nonlinearity {
        Nonlinearity::Linear | Nonlinearity::Sigmoid => 1.0,
        Nonlinearity::Tanh => 5.0 / 3.0,
        Nonlinearity::Relu => 2f64.sqrt(),
        Nonlinearity::LeakyRelu(slope) => (2.0 / (1.0 + slope * slope)).sqrt(),
        Nonlinearity::Selu => 0.75,
    }
}

/// (fan_in, fan_out) of a weight of this shape.
pub fn fans(shape: &[usize]) -> (usize, usize) {
    if shape.len() < 2 {
        panic!("init: fan in and fan out need a weight of rank 2 or more, got shape {}", dims_str(shape));
    }
    let receptive: usize = shape[2..].iter().product();
    (shape[1] * receptive, shape[0] * receptive)
}

/// Uniform in [low, high).
pub fn uniform<T: Float>(shape: impl Into<Shape>, low: f64, high: f64, rng: &mut Rng) -> Tensor<T> {
    Tensor::uniform(shape, T::from_f64(low), T::from_f64(high), rng)
}

/// Normal with the given mean and standard deviation.
pub fn normal<T: Float>(shape: impl Into<Shape>, mean: f64, std: f64, rng: &mut Rng) -> Tensor<T> {
    Tensor::normal(shape, T::from_f64(mean), T::from_f64(std), rng)
}

/// Every element `value`.
pub fn constant<T: Float>(shape: impl Into<Shape>, value: f64) -> Tensor<T> {
    Tensor::full(shape, T::from_f64(value))
}

/// Xavier/Glorot uniform: U(±gain·√(6/(fan_in + fan_out))).
pub fn xavier_uniform<T: Float>(shape: impl Into<Shape>, gain: f64, rng: &mut Rng) -> Tensor<T> {
    let shape = shape.into();
    let (fan_in, fan_out) = fans(shape.dims());
    let bound = gain * (6.0 / (fan_in + fan_out) as f64).sqrt();
    uniform(shape, -bound, bound, rng)
}

/// Xavier/Glorot normal: N(0, gain²·2/(fan_in + fan_out)).
pub fn xavier_normal<T: Float>(shape: impl Into<Shape>, gain: f64, rng: &mut Rng) -> Tensor<T> {
    let shape = shape.into();
    let (fan_in, fan_out) = fans(shape.dims());
    normal(shape, 0.0, gain * (2.0 / (fan_in + fan_out) as f64).sqrt(), rng)
}

fn kaiming_std(shape: &[usize], mode: FanMode, nonlinearity: Nonlinearity) -> f64 {
    let (fan_in, fan_out) = fans(shape);
    let fan = match mode {
        FanMode::FanIn => fan_in,
        FanMode::FanOut => fan_out,
    };
    gain(nonlinearity) / (fan as f64).sqrt()
}

/// Kaiming/He uniform: U(±√3·gain/√fan), the uniform with Kaiming's variance.
pub fn kaiming_uniform<T: Float>(
    shape: impl Into<Shape>,
    mode: FanMode,
    nonlinearity: Nonlinearity,
    rng: &mut Rng,
) -> Tensor<T> {
    let shape = shape.into();
    let bound = 3f64.sqrt() * kaiming_std(shape.dims(), mode, nonlinearity);
    uniform(shape, -bound, bound, rng)
}

/// Kaiming/He normal: N(0, gain²/fan).
pub fn kaiming_normal<T: Float>(
    shape: impl Into<Shape>,
    mode: FanMode,
    nonlinearity: Nonlinearity,
    rng: &mut Rng,
) -> Tensor<T> {
    let shape = shape.into();
    let std = kaiming_std(shape.dims(), mode, nonlinearity);
    normal(shape, 0.0, std, rng)
}

/// A (semi-)orthogonal matrix times `gain`: the `[rows, cols]` flattening of the shape
/// (rows = `shape[0]`) has orthonormal rows or columns, whichever are fewer. It is the Q of
/// the QR decomposition ([`kindling_tensor::linalg::householder_qr`]) of a Gaussian matrix,
/// whose sign convention makes the result uniformly distributed over orthogonal matrices.
pub fn orthogonal<T: Float>(shape: impl Into<Shape>, gain: f64, rng: &mut Rng) -> Tensor<T> {
    let shape = shape.into();
    let dims = shape.dims().to_vec();
    if dims.len() < 2 {
        panic!("orthogonal: needs a shape of rank 2 or more, got {}", dims_str(&dims));
    }
    let rows = dims[0];
    let cols: usize = dims[1..].iter().product();
    // Work on a tall m × n matrix (m ≥ n) and transpose at the end if the shape is wide.
    let (m, n) = (rows.max(cols), rows.min(cols));
    let a: Vec<f64> = (0..m * n).map(|_| rng.normal_f64()).collect();
    let (q, _) = householder_qr(&a, m, n);
    let mut out = vec![0.0; rows * cols];
    for i in 0..m {
        for j in 0..n {
            let (r, c) = if rows >= cols { (i, j) } else { (j, i) };
            out[r * cols + c] = gain * q[i * n + j];
        }
    }
    Tensor::from_vec(out.into_iter().map(T::from_f64).collect(), dims)
}
