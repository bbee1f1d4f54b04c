//! Multi-layer, optionally bidirectional recurrent layers: [`Rnn`], [`Lstm`] and [`Gru`], with
//! PyTorch's options, parameter names and initialisation.

use crate::cell::{self, CellKind, CellWeights};
use kindling_autograd::recurrent::{recurrent, LayerWeights};
use kindling_autograd::Variable;
use kindling_nn::{Dropout, Forward, Module, Visitor};
use kindling_tensor::shape::dims_str;
use kindling_tensor::{kernel_mode, Float, KernelMode, Rng, Tensor};

/// The options of a recurrent layer, PyTorch's keyword arguments (defaults as there).
#[derive(Clone, Debug, PartialEq)]
pub struct RecurrentOptions {
    pub num_layers: usize,
    /// Whether the layers have biases (both `bias_ih` and `bias_hh`).
    pub bias: bool,
    /// Input and output are `[B, T, F]` instead of `[T, B, F]`. States stay `[L·D, B, H]`.
    pub batch_first: bool,
    /// Dropout on the outputs of every layer but the last, in training mode.
    pub dropout: f64,
    pub bidirectional: bool,
    /// LSTM only: project the state to this width (0 for none).
    pub proj_size: usize,
    /// LSTM only: initial forget-gate bias (`None` keeps PyTorch's uniform draw); see
    /// [`CellWeights::set_forget_bias`].
    pub forget_bias: Option<f64>,
}

impl Default for RecurrentOptions {
    fn default() -> Self {
        RecurrentOptions {
            num_layers: 1,
            bias: true,
            batch_first: false,
            dropout: 0.0,
            bidirectional: false,
            proj_size: 0,
            forget_bias: None,
        }
    }
}

impl RecurrentOptions {
    pub fn num_layers(mut self, n: usize) -> Self {
        self.num_layers = n;
        self
    }
    pub fn bias(mut self, on: bool) -> Self {
        self.bias = on;
        self
    }
    pub fn batch_first(mut self, on: bool) -> Self {
        self.batch_first = on;
        self
    }
    pub fn dropout(mut self, p: f64) -> Self {
        self.dropout = p;
        self
    }
    pub fn bidirectional(mut self, on: bool) -> Self {
        self.bidirectional = on;
        self
    }
    pub fn proj_size(mut self, p: usize) -> Self {
        self.proj_size = p;
        self
    }
    pub fn forget_bias(mut self, value: f64) -> Self {
        self.forget_bias = Some(value);
        self
    }
}

/// The state of a recurrent layer between calls: `h` `[L·D, B, P]` and the LSTM's `c`
/// `[L·D, B, H]`, layer-major with the reverse direction second (PyTorch's order).
#[derive(Clone)]
pub struct RecurrentState<T: Float = f32> {
    pub h: Variable<T>,
    pub c: Option<Variable<T>>,
}

impl<T: Float> RecurrentState<T> {
    /// The same values cut off from the graph that made them: carried into the next batch, the
    /// state keeps its information but backpropagation stops at the batch boundary (truncated
    /// backpropagation through time).
    pub fn detach(&self) -> Self {
        RecurrentState { h: self.h.detach(), c: self.c.as_ref().map(Variable::detach) }
    }
}

/// A stack of recurrent layers of one kind. [`Rnn`], [`Lstm`] and [`Gru`] are this with the
/// kind fixed; the fields are public for reading weights, the methods are shared.
pub struct Recurrent<T: Float = f32> {
    kind: CellKind,
    options: RecurrentOptions,
    /// One entry per layer and direction: layer-major, reverse second.
    layers: Vec<CellWeights<T>>,
    dropout: Dropout,
}

impl<T: Float> Recurrent<T> {
    pub fn new(
        kind: CellKind,
        input_size: usize,
        hidden_size: usize,
        options: RecurrentOptions,
        rng: &mut Rng,
    ) -> Self {
        let name = kind_name(kind);
        assert!(options.num_layers > 0, "{name}: num_layers must be at least 1");
        assert!(
            (0.0..=1.0).contains(&options.dropout),
            "{name}: dropout probability {} is outside [0, 1]",
            options.dropout
        );
        assert!(
            options.proj_size == 0 || kind == CellKind::Lstm,
            "{name}: proj_size is an LSTM option ({} given)",
            options.proj_size
        );
        assert!(
            options.forget_bias.is_none() || kind == CellKind::Lstm,
            "{name}: the forget-gate bias is an LSTM option"
        );
        let directions = if options.bidirectional { 2 } else { 1 };
        let out = if options.proj_size > 0 { options.proj_size } else { hidden_size };
        let mut layers = Vec::new();
        for l in 0..options.num_layers {
            let input = if l == 0 { input_size } else { out * directions };
            for _ in 0..directions {
                let w = CellWeights::new(kind, input, hidden_size, options.proj_size, options.bias, rng);
                if let Some(v) = options.forget_bias {
                    w.set_forget_bias(v);
                }
                layers.push(w);
            }
        }
        let dropout = Dropout::new(options.dropout, rng);
        Recurrent { kind, options, layers, dropout }
    }

    pub fn kind(&self) -> CellKind {
        self.kind
    }

    pub fn options(&self) -> &RecurrentOptions {
        &self.options
    }

    /// The weights of layer `layer` in direction `direction` (0 forward, 1 reverse).
    pub fn weights(&self, layer: usize, direction: usize) -> &CellWeights<T> {
        &self.layers[layer * self.directions() + direction]
    }

    pub fn input_size(&self) -> usize {
        self.layers[0].input()
    }

    pub fn hidden_size(&self) -> usize {
        self.layers[0].hidden(self.kind)
    }

    /// The width of each direction's output and state (the projection size, if any).
    pub fn state_size(&self) -> usize {
        self.layers[0].state_width()
    }

    /// The width of the output's last axis: the state size times the number of directions.
    pub fn output_size(&self) -> usize {
        self.state_size() * self.directions()
    }

    pub fn directions(&self) -> usize {
        if self.options.bidirectional {
            2
        } else {
            1
        }
    }

    /// Runs every layer over `x` (`[T, B, I]`, or `[B, T, I]` with `batch_first`) from `state`
    /// (zeros when `None`). Returns the last layer's output `[T, B, D·P]` (or batch-first) and
    /// the final state of every layer and direction.
    pub fn forward_with_state(
        &self,
        x: &Variable<T>,
        state: Option<&RecurrentState<T>>,
    ) -> (Variable<T>, RecurrentState<T>) {
        self.run(x, None, state)
    }

    /// [`Self::forward_with_state`] over a padded batch: sequence `b` is real for its first
    /// `lengths[b]` steps (each in `1..=T`). Padding never reaches the state or a gradient: the
    /// output there is zero, each direction's final state is the one after the sequence's own
    /// last real step, and the reverse direction starts there (PyTorch's packed sequences).
    pub fn forward_padded(
        &self,
        x: &Variable<T>,
        lengths: &[usize],
        state: Option<&RecurrentState<T>>,
    ) -> (Variable<T>, RecurrentState<T>) {
        self.run(x, Some(lengths), state)
    }

    fn run(
        &self,
        x: &Variable<T>,
        lengths: Option<&[usize]>,
        state: Option<&RecurrentState<T>>,
    ) -> (Variable<T>, RecurrentState<T>) {
        let name = kind_name(self.kind);
        let shape = x.shape();
        if shape.len() != 3 || shape[2] != self.input_size() {
            let layout = if self.options.batch_first { "[batch, steps, features]" } else { "[steps, batch, features]" };
            panic!("{name}: input of shape {} must be {layout} with {} features", dims_str(&shape), self.input_size());
        }
        let mut input = if self.options.batch_first { x.transpose(0, 1) } else { x.clone() };
        let batch = input.shape()[1];
        let slots = self.layers.len();
        let (p, h) = (self.state_size(), self.hidden_size());
        if let Some(s) = state {
            check_state(name, "h", &s.h.shape(), [slots, batch, p]);
            match (&s.c, self.kind) {
                (Some(c), CellKind::Lstm) => check_state(name, "c", &c.shape(), [slots, batch, h]),
                (None, CellKind::Lstm) => panic!("{name}: the state has no cell c"),
                (Some(_), _) => panic!("{name}: only an LSTM's state has a cell c"),
                (None, _) => {}
            }
        }
        let naive = kernel_mode() == KernelMode::Naive;
        let (mut hs, mut cs) = (Vec::with_capacity(slots), Vec::with_capacity(slots));
        for l in 0..self.options.num_layers {
            let mut outputs = Vec::with_capacity(self.directions());
            for d in 0..self.directions() {
                let slot = l * self.directions() + d;
                let h0 = state.map(|s| s.h.select(0, slot));
                let c0 = state.and_then(|s| s.c.as_ref()).map(|c| c.select(0, slot));
                let w = &self.layers[slot];
                let reverse = d == 1;
                let (y, h_n, c_n) = if naive {
                    unrolled(self.kind, w, &input, h0.as_ref(), c0.as_ref(), lengths, reverse)
                } else {
                    let weights = LayerWeights {
                        w_ih: &w.weight_ih,
                        w_hh: &w.weight_hh,
                        b_ih: w.bias_ih.as_ref(),
                        b_hh: w.bias_hh.as_ref(),
                        w_hr: w.weight_hr.as_ref(),
                    };
                    let r = recurrent(self.kind, &input, h0.as_ref(), c0.as_ref(), weights, lengths, reverse);
                    (r.output, r.h_n, r.c_n)
                };
                outputs.push(y);
                hs.push(h_n);
                cs.extend(c_n);
            }
            input = if outputs.len() == 1 {
                outputs.pop().expect("one direction")
            } else {
                Variable::cat(&[&outputs[0], &outputs[1]], 2)
            };
            if l + 1 < self.options.num_layers {
                input = self.dropout.apply(&input, &input.shape());
            }
        }
        let output = if self.options.batch_first { input.transpose(0, 1) } else { input };
        let stack = |v: &[Variable<T>]| Variable::stack(&v.iter().collect::<Vec<_>>(), 0);
        let c = (self.kind == CellKind::Lstm).then(|| stack(&cs));
        (output, RecurrentState { h: stack(&hs), c })
    }
}

fn check_state(name: &str, what: &str, shape: &[usize], expected: [usize; 3]) {
    if shape != expected {
        panic!(
            "{name}: the initial state {what} has shape {}, expected {} (layers × directions, batch, width)",
            dims_str(shape),
            dims_str(&expected)
        );
    }
}

fn kind_name(kind: CellKind) -> &'static str {
    match kind {
        CellKind::RnnTanh | CellKind::RnnRelu => "Rnn",
        CellKind::Lstm => "Lstm",
        CellKind::Gru => "Gru",
    }
}

/// One layer in one direction as a loop over [`cell::step`]: the naive twin of the fused op,
/// with the same treatment of padding (at a padded step the state is carried over and the
/// output is zero).
pub fn unrolled<T: Float>(
    kind: CellKind,
    w: &CellWeights<T>,
    x: &Variable<T>,
    h0: Option<&Variable<T>>,
    c0: Option<&Variable<T>>,
    lengths: Option<&[usize]>,
    reverse: bool,
) -> (Variable<T>, Variable<T>, Option<Variable<T>>) {
    let (steps, batch) = (x.shape()[0], x.shape()[1]);
    let zeros = |width: usize| Variable::constant(Tensor::zeros([batch, width]));
    let mut h = h0.cloned().unwrap_or_else(|| zeros(w.state_width()));
    let mut c = (kind == CellKind::Lstm).then(|| c0.cloned().unwrap_or_else(|| zeros(w.hidden(kind))));
    let mut outputs: Vec<Option<Variable<T>>> = vec![None; steps];
    let order: Vec<usize> = if reverse { (0..steps).rev().collect() } else { (0..steps).collect() };
    for t in order {
        let (h_new, c_new) = cell::step(kind, w, &x.select(0, t), &h, c.as_ref());
        match lengths {
            None => {
                outputs[t] = Some(h_new.clone());
                h = h_new;
                c = c_new;
            }
            Some(lengths) => {
                // 1 where step t is real, 0 where it is padding: blend the new state in.
                let real: Vec<T> = lengths.iter().map(|&len| if t < len { T::ONE } else { T::ZERO }).collect();
                let keep = Variable::constant(Tensor::from_vec(real, [batch, 1]));
                let carry = keep.rsub_scalar(T::ONE);
                let blend = |new: &Variable<T>, old: &Variable<T>| &(new * &keep) + &(old * &carry);
                outputs[t] = Some(&h_new * &keep);
                h = blend(&h_new, &h);
                c = c.as_ref().zip(c_new.as_ref()).map(|(old, new)| blend(new, old));
            }
        }
    }
    let outputs: Vec<Variable<T>> = outputs.into_iter().map(|o| o.expect("every step ran")).collect();
    (Variable::stack(&outputs.iter().collect::<Vec<_>>(), 0), h, c)
}

impl<T: Float> Module<T> for Recurrent<T> {
    fn visit(&self, v: &mut Visitor<'_, T>) {
        for (slot, w) in self.layers.iter().enumerate() {
            let (l, d) = (slot / self.directions(), slot % self.directions());
            w.visit(v, &format!("_l{l}{}", if d == 1 { "_reverse" } else { "" }));
        }
        self.dropout.visit(v);
    }
}

impl<T: Float> Forward<T> for Recurrent<T> {
    /// The output sequence from a zero state.
    fn forward(&self, x: &Variable<T>) -> Variable<T> {
        self.forward_with_state(x, None).0
    }
}

macro_rules! recurrent_layer {
    ($(#[$doc:meta])* $name:ident, $kind:expr) => {
        $(#[$doc])*
        pub struct $name<T: Float = f32>(pub Recurrent<T>);

        impl<T: Float> $name<T> {
            /// One layer with PyTorch's defaults.
            pub fn new(input_size: usize, hidden_size: usize, rng: &mut Rng) -> Self {
                Self::with_options(input_size, hidden_size, RecurrentOptions::default(), rng)
            }

            pub fn with_options(input_size: usize, hidden_size: usize, options: RecurrentOptions, rng: &mut Rng) -> Self {
                $name(Recurrent::new($kind, input_size, hidden_size, options, rng))
            }
        }

        impl<T: Float> std::ops::Deref for $name<T> {
            type Target = Recurrent<T>;
            fn deref(&self) -> &Recurrent<T> {
                &self.0
            }
        }

        impl<T: Float> Module<T> for $name<T> {
            fn visit(&self, v: &mut Visitor<'_, T>) {
                self.0.visit(v);
            }
        }

        impl<T: Float> Forward<T> for $name<T> {
            fn forward(&self, x: &Variable<T>) -> Variable<T> {
                self.0.forward(x)
            }
        }
    };
}

recurrent_layer!(
    /// Long short-term memory layers (PyTorch's `nn.LSTM`).
    Lstm,
    CellKind::Lstm
);
recurrent_layer!(
    /// Gated recurrent unit layers (PyTorch's `nn.GRU`).
    Gru,
    CellKind::Gru
);
recurrent_layer!(
    /// Elman recurrent layers with tanh (PyTorch's `nn.RNN`); [`Rnn::relu`] for ReLU.
    Rnn,
    CellKind::RnnTanh
);

impl<T: Float> Rnn<T> {
    /// Layers with the ReLU nonlinearity (`nonlinearity='relu'`).
    pub fn relu(input_size: usize, hidden_size: usize, options: RecurrentOptions, rng: &mut Rng) -> Self {
        Rnn(Recurrent::new(CellKind::RnnRelu, input_size, hidden_size, options, rng))
    }
}
