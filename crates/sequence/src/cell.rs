//! Recurrent cells: one time step, written the way the equations read, from differentiable ops.
//!
//! These are the naive twin of the fast recurrent kernels: a multi-layer layer in naive mode
//! (`KINDLING_KERNELS=naive`) calls [`step`] once per time step, and the tests hold the fast
//! kernels to what these compute. PyTorch's definitions and parameter names throughout, so a
//! `torch.nn.LSTMCell`'s state dict loads into an [`LstmCell`].

use kindling_autograd::Variable;
use kindling_nn::{Module, Visitor};
use kindling_tensor::shape::dims_str;
use kindling_tensor::{Float, Rng, Tensor};

pub use kindling_autograd::recurrent::CellKind;

/// The weights of one cell, or of one layer in one direction, in PyTorch's layout:
/// `weight_ih` `[G·H, I]`, `weight_hh` `[G·H, P]`, biases `[G·H]` (both are added), and the
/// LSTM's optional projection `weight_hr` `[P, H]`; G = 1 (RNN), 4 (LSTM: i, f, g, o) or
/// 3 (GRU: r, z, n).
pub struct CellWeights<T: Float = f32> {
    pub weight_ih: Variable<T>,
    pub weight_hh: Variable<T>,
    pub bias_ih: Option<Variable<T>>,
    pub bias_hh: Option<Variable<T>>,
    pub weight_hr: Option<Variable<T>>,
}

impl<T: Float> CellWeights<T> {
    /// PyTorch's initialisation: every weight and bias uniform in ±1/√H. A projection makes the
    /// state `proj` wide (0 for none; LSTM only).
    pub fn new(kind: CellKind, input: usize, hidden: usize, proj: usize, bias: bool, rng: &mut Rng) -> Self {
        assert!(hidden > 0, "{}: hidden size must be positive", kind.name());
        assert!(
            proj == 0 || (kind == CellKind::Lstm && proj < hidden),
            "{}: proj_size {proj} needs an LSTM and 0 < proj_size < hidden_size = {hidden}",
            kind.name()
        );
        let gh = kind.gates() * hidden;
        let state = if proj > 0 { proj } else { hidden };
        let k = 1.0 / (hidden as f64).sqrt();
        let mut draw = |shape: &[usize]| Variable::param(Tensor::uniform(shape, T::from_f64(-k), T::from_f64(k), rng));
        let weight_ih = draw(&[gh, input]);
        let weight_hh = draw(&[gh, state]);
        let (bias_ih, bias_hh) = if bias { (Some(draw(&[gh])), Some(draw(&[gh]))) } else { (None, None) };
        let weight_hr = (proj > 0).then(|| draw(&[proj, hidden]));
        CellWeights { weight_ih, weight_hh, bias_ih, bias_hh, weight_hr }
    }

    /// Registers the parameters under PyTorch's names with `suffix` (`"_l0"`, `"_l1_reverse"`,
    /// or `""` for a cell), in PyTorch's order.
    pub fn visit(&self, v: &mut Visitor<'_, T>, suffix: &str) {
        v.param(&format!("weight_ih{suffix}"), &self.weight_ih);
        v.param(&format!("weight_hh{suffix}"), &self.weight_hh);
        if let Some(b) = &self.bias_ih {
            v.param(&format!("bias_ih{suffix}"), b);
        }
        if let Some(b) = &self.bias_hh {
            v.param(&format!("bias_hh{suffix}"), b);
        }
        if let Some(w) = &self.weight_hr {
            v.param(&format!("weight_hr{suffix}"), w);
        }
    }

    /// H, the width of each gate.
    pub fn hidden(&self, kind: CellKind) -> usize {
        self.weight_ih.shape()[0] / kind.gates()
    }

    /// The width of the state (P with a projection, else H).
    pub fn state_width(&self) -> usize {
        self.weight_hh.shape()[1]
    }

    pub fn input(&self) -> usize {
        self.weight_ih.shape()[1]
    }

    /// Sets the forget gate's share of the bias to `value` (its `bias_ih` block to `value`, its
    /// `bias_hh` block to 0, so their sum is `value`). A forget bias near 1 keeps the cell's
    /// memory open early in training. LSTM only.
    pub fn set_forget_bias(&self, value: f64) {
        let hidden = self.weight_ih.shape()[0] / 4;
        for (bias, v) in [(&self.bias_ih, value), (&self.bias_hh, 0.0)] {
            if let Some(b) = bias {
                let mut data = b.value().to_vec();
                data[hidden..2 * hidden].iter_mut().for_each(|x| *x = T::from_f64(v));
                b.set_value(Tensor::from_vec(data, [4 * hidden]));
            }
        }
    }
}

/// x Wᵀ (+ b): one of the two products every gate sums.
fn affine<T: Float>(x: &Variable<T>, w: &Variable<T>, b: Option<&Variable<T>>) -> Variable<T> {
    let y = x.matmul(&w.t());
    match b {
        Some(b) => &y + b,
        None => y,
    }
}

/// One time step of a cell: `x` `[B, I]` and the state `h` `[B, P]` (and the LSTM's cell `c`
/// `[B, H]`) in, the new state out.
///
/// - RNN: h' = tanh or relu(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh)
/// - LSTM: i, f, g, o = σ, σ, tanh, σ of the four blocks of the same sum;
///   c' = f ⊙ c + i ⊙ g; h' = o ⊙ tanh(c') (times W_hrᵀ with a projection)
/// - GRU: r, z = σ of their blocks of the sum; n = tanh(x W_inᵀ + b_in + r ⊙ (h W_hnᵀ + b_hn));
///   h' = (1 − z) ⊙ n + z ⊙ h
pub fn step<T: Float>(
    kind: CellKind,
    w: &CellWeights<T>,
    x: &Variable<T>,
    h: &Variable<T>,
    c: Option<&Variable<T>>,
) -> (Variable<T>, Option<Variable<T>>) {
    let from_input = affine(x, &w.weight_ih, w.bias_ih.as_ref());
    let from_state = affine(h, &w.weight_hh, w.bias_hh.as_ref());
    match kind {
        CellKind::RnnTanh => ((&from_input + &from_state).tanh(), None),
        CellKind::RnnRelu => ((&from_input + &from_state).relu(), None),
        CellKind::Lstm => {
            let c = c.expect("an LSTM step needs the cell state");
            let sum = &from_input + &from_state;
            let gates = sum.chunk(4, 1);
            let (i, f, g, o) = (gates[0].sigmoid(), gates[1].sigmoid(), gates[2].tanh(), gates[3].sigmoid());
            let c_new = &(&f * c) + &(&i * &g);
            let mut h_new = &o * &c_new.tanh();
            if let Some(w_hr) = &w.weight_hr {
                h_new = h_new.matmul(&w_hr.t());
            }
            (h_new, Some(c_new))
        }
        CellKind::Gru => {
            let xs = from_input.chunk(3, 1);
            let hs = from_state.chunk(3, 1);
            let r = (&xs[0] + &hs[0]).sigmoid();
            let z = (&xs[1] + &hs[1]).sigmoid();
            let n = (&xs[2] + &(&r * &hs[2])).tanh();
            // (1 − z) ⊙ n + z ⊙ h, written as n + z ⊙ (h − n).
            let h_new = &n + &(&z * &(h - &n));
            (h_new, None)
        }
    }
}

fn check_step_input<T: Float>(name: &str, w: &CellWeights<T>, x: &Variable<T>) {
    let shape = x.shape();
    if shape.len() != 2 || shape[1] != w.input() {
        panic!("{name}: input of shape {} must be [batch, {}]", dims_str(&shape), w.input());
    }
}

fn zeros_like_state<T: Float>(batch: usize, width: usize) -> Variable<T> {
    Variable::constant(Tensor::zeros([batch, width]))
}

/// A tanh or ReLU recurrent cell (PyTorch's `nn.RNNCell`): h' = f(x W_ihᵀ + b_ih + h W_hhᵀ + b_hh).
pub struct RnnCell<T: Float = f32> {
    pub weights: CellWeights<T>,
    kind: CellKind,
}

impl<T: Float> RnnCell<T> {
    /// A tanh cell.
    pub fn new(input: usize, hidden: usize, rng: &mut Rng) -> Self {
        RnnCell { weights: CellWeights::new(CellKind::RnnTanh, input, hidden, 0, true, rng), kind: CellKind::RnnTanh }
    }

    /// A ReLU cell.
    pub fn relu(input: usize, hidden: usize, rng: &mut Rng) -> Self {
        RnnCell { weights: CellWeights::new(CellKind::RnnRelu, input, hidden, 0, true, rng), kind: CellKind::RnnRelu }
    }

    /// The new state from `x` `[B, I]` and `h` `[B, H]` (zeros when `None`).
    pub fn forward(&self, x: &Variable<T>, h: Option<&Variable<T>>) -> Variable<T> {
        check_step_input("RnnCell", &self.weights, x);
        let zero = zeros_like_state(x.shape()[0], self.weights.state_width());
        step(self.kind, &self.weights, x, h.unwrap_or(&zero), None).0
    }
}

/// A long short-term memory cell (PyTorch's `nn.LSTMCell`).
pub struct LstmCell<T: Float = f32> {
    pub weights: CellWeights<T>,
}

impl<T: Float> LstmCell<T> {
    pub fn new(input: usize, hidden: usize, rng: &mut Rng) -> Self {
        LstmCell { weights: CellWeights::new(CellKind::Lstm, input, hidden, 0, true, rng) }
    }

    /// The new `(h, c)` from `x` `[B, I]` and the state `(h, c)` (zeros when `None`).
    pub fn forward(&self, x: &Variable<T>, state: Option<(&Variable<T>, &Variable<T>)>) -> (Variable<T>, Variable<T>) {
        check_step_input("LstmCell", &self.weights, x);
        let batch = x.shape()[0];
        let hidden = self.weights.hidden(CellKind::Lstm);
        let (zh, zc) = (zeros_like_state(batch, hidden), zeros_like_state(batch, hidden));
        let (h, c) = state.unwrap_or((&zh, &zc));
        let (h, c) = step(CellKind::Lstm, &self.weights, x, h, Some(c));
        (h, c.expect("an LSTM step returns its cell"))
    }
}

/// A gated recurrent unit (PyTorch's `nn.GRUCell`).
pub struct GruCell<T: Float = f32> {
    pub weights: CellWeights<T>,
}

impl<T: Float> GruCell<T> {
    pub fn new(input: usize, hidden: usize, rng: &mut Rng) -> Self {
        GruCell { weights: CellWeights::new(CellKind::Gru, input, hidden, 0, true, rng) }
    }

    /// The new state from `x` `[B, I]` and `h` `[B, H]` (zeros when `None`).
    pub fn forward(&self, x: &Variable<T>, h: Option<&Variable<T>>) -> Variable<T> {
        check_step_input("GruCell", &self.weights, x);
        let zero = zeros_like_state(x.shape()[0], self.weights.state_width());
        step(CellKind::Gru, &self.weights, x, h.unwrap_or(&zero), None).0
    }
}

macro_rules! cell_module {
    ($($cell:ident),*) => {$(
        impl<T: Float> Module<T> for $cell<T> {
            fn visit(&self, v: &mut Visitor<'_, T>) {
                self.weights.visit(v, "");
            }
        }
    )*};
}
cell_module!(RnnCell, LstmCell, GruCell);
