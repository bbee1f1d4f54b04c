//! Positional encodings (book chapter 13): attention treats its inputs as a set, so the order
//! of the tokens must be put into the vectors themselves.
//!
//! - [`SinusoidalEncoding`]: a fixed table of sines and cosines at geometric frequencies,
//!   added to the embeddings (the original transformer).
//! - [`LearnedPositions`]: a trained table with one vector per position, added the same way
//!   (BERT, GPT-2).
//! - [`Rotary`]: rotary position embedding (RoPE), which rotates pairs of query and key
//!   coordinates by an angle proportional to the position, so the score q·k depends on the
//!   positions only through their difference (LLaMA and most recent models).
//!
//! All three encode the position alone: none is computed from the token embeddings.

use kindling_autograd::Variable;
use kindling_nn::{init, Module, Visitor};
use kindling_tensor::shape::dims_str;
use kindling_tensor::{Float, Rng, Tensor};

/// The fixed table `PE[pos, 2i] = sin(pos / 10000^(2i/d))`, `PE[pos, 2i+1] = cos(pos /
/// 10000^(2i/d))`: each pair of columns is a clock turning at its own speed, fast in the first
/// columns and slow in the last, so every position gets a distinct pattern and a shift by k
/// positions is the same rotation of each pair wherever it starts.
///
/// ```
/// use kindling_transformer::position::SinusoidalEncoding;
///
/// let table = SinusoidalEncoding::<f64>::new(2, 4).table();
/// assert_eq!(table.to_vec()[..4], [0.0, 1.0, 0.0, 1.0]); // position 0
/// assert!((table.to_vec()[4] - 1f64.sin()).abs() < 1e-12); // position 1, first column
/// ```
pub struct SinusoidalEncoding<T: Float = f32> {
    table: Tensor<T>,
}

impl<T: Float> SinusoidalEncoding<T> {
    /// The table for positions `0..max_len` and width `d_model` (an odd width ends with a
    /// sine column).
    pub fn new(max_len: usize, d_model: usize) -> Self {
        assert!(d_model > 0, "SinusoidalEncoding: d_model must be positive");
        let mut data = Vec::with_capacity(max_len * d_model);
        for pos in 0..max_len {
            for col in 0..d_model {
                let pair = (col / 2) as f64;
                let angle = pos as f64 / 10000f64.powf(2.0 * pair / d_model as f64);
                data.push(T::from_f64(if col % 2 == 0 { angle.sin() } else { angle.cos() }));
            }
        }
        SinusoidalEncoding { table: Tensor::from_vec(data, [max_len, d_model]) }
    }

    /// The table `[max_len, d_model]`.
    pub fn table(&self) -> Tensor<T> {
        self.table.clone()
    }

    /// `x [B, T, d_model]` (batch-first) plus the rows for positions `offset..offset + T`
    /// (`offset` > 0 when decoding continues a sequence).
    pub fn forward(&self, x: &Variable<T>, offset: usize) -> Variable<T> {
        let rows = position_rows("SinusoidalEncoding", &x.shape(), self.table.shape(), offset);
        x + &Variable::constant(self.table.narrow(0, offset, rows))
    }
}

/// No parameters: the table is computed, not learned (and not saved).
impl<T: Float> Module<T> for SinusoidalEncoding<T> {
    fn visit(&self, _: &mut Visitor<'_, T>) {}
}

/// Checks `x [B, T, d]` against a table `[max_len, d]` and returns T.
fn position_rows(who: &str, x: &[usize], table: &[usize], offset: usize) -> usize {
    if x.len() != 3 || x[2] != table[1] {
        panic!(
            "{who}: input of shape {} must be [B, T, d_model] with d_model = {} (batch-first)",
            dims_str(x),
            table[1]
        );
    }
    if offset + x[1] > table[0] {
        panic!("{who}: positions {offset}..{} do not fit the table of max_len {}", offset + x[1], table[0]);
    }
    x[1]
}

/// A learned table of one vector per position (`nn.Embedding(max_len, d_model)` added to the
/// token embeddings, as BERT and GPT-2 do), initialised N(0, 1) as an embedding is. Its
/// parameter is `weight [max_len, d_model]`.
pub struct LearnedPositions<T: Float = f32> {
    /// `[max_len, d_model]`.
    pub weight: Variable<T>,
}

impl<T: Float> LearnedPositions<T> {
    /// A table for positions `0..max_len` of width `d_model`.
    pub fn new(max_len: usize, d_model: usize, rng: &mut Rng) -> Self {
        LearnedPositions { weight: Variable::param(init::normal([max_len, d_model], 0.0, 1.0, rng)) }
    }

    /// `x [B, T, d_model]` plus the learned rows for positions `offset..offset + T`; the
    /// gradient reaches only those rows.
    pub fn forward(&self, x: &Variable<T>, offset: usize) -> Variable<T> {
        let rows = position_rows("LearnedPositions", &x.shape(), &self.weight.shape(), offset);
        x + &self.weight.narrow(0, offset, rows)
    }
}

impl<T: Float> Module<T> for LearnedPositions<T> {
    fn visit(&self, v: &mut Visitor<'_, T>) {
        v.param("weight", &self.weight);
    }
}

/// Rotary position embedding for queries and keys `[B, H, T, D]`: coordinate pairs
/// `(x[i], x[i + D/2])` (the "rotate half" layout of GPT-NeoX and LLaMA) turn by the angle
/// `pos · base^(−2i/D)`. A rotation keeps lengths, and the dot product of a query rotated
/// for position m with a key rotated for position n depends on m − n only.
///
/// ```
/// use kindling_autograd::Variable;
/// use kindling_tensor::{Rng, Tensor};
/// use kindling_transformer::position::Rotary;
///
/// let rope = Rotary::<f64>::new(8, 32, 10000.0);
/// let q = Variable::constant(Tensor::randn([1, 2, 5, 8], &mut Rng::seed(0)));
/// let rotated = rope.apply(&q, 3); // positions 3..8 (decoding after 3 cached tokens)
/// assert_eq!(rotated.shape(), [1, 2, 5, 8]);
/// ```
pub struct Rotary<T: Float = f32> {
    /// `[max_len, D/2]`: cos and sin of every position's angle for every pair.
    cos: Tensor<T>,
    sin: Tensor<T>,
}

impl<T: Float> Rotary<T> {
    /// Tables for heads of width `head_dim` (even) and positions `0..max_len`; `base` sets
    /// the slowest frequency (10000 in most models).
    pub fn new(head_dim: usize, max_len: usize, base: f64) -> Self {
        if head_dim == 0 || !head_dim.is_multiple_of(2) {
            panic!("Rotary: head_dim {head_dim} must be even and positive (coordinates turn in pairs)");
        }
        let half = head_dim / 2;
        let angle = |pos: usize, i: usize| pos as f64 * base.powf(-2.0 * i as f64 / head_dim as f64);
        let table = |f: fn(f64) -> f64| {
            let data = (0..max_len * half).map(|k| T::from_f64(f(angle(k / half, k % half)))).collect();
            Tensor::from_vec(data, [max_len, half])
        };
        Rotary { cos: table(f64::cos), sin: table(f64::sin) }
    }

    /// The head width D.
    pub fn head_dim(&self) -> usize {
        2 * self.cos.shape()[1]
    }

    /// Rotates `x [B, H, T, D]` for positions `offset..offset + T`.
    pub fn apply(&self, x: &Variable<T>, offset: usize) -> Variable<T> {
        let shape = x.shape();
        let (max_len, half) = (self.cos.shape()[0], self.cos.shape()[1]);
        if shape.len() != 4 || shape[3] != 2 * half {
            panic!("Rotary: input of shape {} must be [B, H, T, D] with D = {}", dims_str(&shape), 2 * half);
        }
        let len = shape[2];
        if offset + len > max_len {
            panic!("Rotary: positions {offset}..{} do not fit the table of max_len {max_len}", offset + len);
        }
        let cos = Variable::constant(self.cos.narrow(0, offset, len));
        let sin = Variable::constant(self.sin.narrow(0, offset, len));
        let (x1, x2) = (x.narrow(-1, 0, half), x.narrow(-1, half, half));
        let first = &(&x1 * &cos) - &(&x2 * &sin);
        let second = &(&x1 * &sin) + &(&x2 * &cos);
        Variable::cat(&[&first, &second], -1)
    }
}

/// No parameters: the angles are fixed.
impl<T: Float> Module<T> for Rotary<T> {
    fn visit(&self, _: &mut Visitor<'_, T>) {}
}
