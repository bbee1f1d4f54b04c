//! Chapter 10 of the Kindling book: recurrent networks.
//!
//! The book includes the code between the `ANCHOR` markers of this file; the demo
//! (`cargo run --release -p ch10-recurrent`, with `KINDLING_DATASETS` set for the
//! language model) runs it and writes what the chapter shows. Your exercises are in
//! [`exercises`]; check them with `cargo test -p ch10-recurrent --features
//! learner`.

use kindling_autograd::{no_grad, Variable};
use kindling_data::CharVocab;
use kindling_nn::Module;
use kindling_optim::{clip_grad_norm, Adam, AdamConfig, Optimizer};
use kindling_sequence::forecast::Forecaster;
use kindling_sequence::lm::random_windows;
use kindling_sequence::{
    CellKind, CellWeights, Lstm, Recurrent, RecurrentLm, RecurrentOptions,
    RecurrentState, Rnn, StreamBatches,
};
use kindling_tensor::{Float, Rng, Tensor};
use std::time::Instant;

pub mod exercises;
pub mod solutions;

/// What the tests check: your code with `--features learner`, the solutions
/// without.
#[cfg(feature = "learner")]
pub use exercises as checked;
/// What the tests check: your code with `--features learner`, the solutions
/// without.
#[cfg(not(feature = "learner"))]
pub use solutions as checked;

// ANCHOR: shapes
/// PyTorch's `nn.LSTM(10, 20, batch_first=True)` on a batch of 5 sequences of 3
/// steps with 10 features: returns the shapes of the output, of h_n and of c_n.
pub fn lstm_shapes() -> [Vec<usize>; 3] {
    let mut rng = Rng::seed(0);
    let lstm = Lstm::<f32>::with_options(
        10,
        20,
        RecurrentOptions::default().batch_first(true),
        &mut rng,
    );
    let x = Variable::constant(Tensor::randn([5, 3, 10], &mut rng));
    let (output, state) = lstm.forward_with_state(&x, None);
    let c = state.c.expect("an LSTM has a cell state");
    [output.shape(), state.h.shape(), c.shape()]
}
// ANCHOR_END: shapes

// ANCHOR: hand_rnn
/// A tanh recurrent network written by hand: h_t = tanh(W_xh x_t + W_hh h_{t−1} +
/// b).
pub struct HandRnn<T: Float = f32> {
    /// `[H, I]`: how the input enters the state.
    pub w_xh: Variable<T>,
    /// `[H, H]`: how the previous state enters the new one (the recurrence).
    pub w_hh: Variable<T>,
    /// `[H]`.
    pub b: Variable<T>,
}

impl<T: Float> HandRnn<T> {
    /// Weights uniform in ±1/√H, as PyTorch draws them; the bias starts at zero.
    pub fn new(input: usize, hidden: usize, rng: &mut Rng) -> Self {
        let k = T::from_f64(1.0 / (hidden as f64).sqrt());
        HandRnn {
            w_xh: Variable::param(Tensor::uniform([hidden, input], -k, k, rng)),
            w_hh: Variable::param(Tensor::uniform([hidden, hidden], -k, k, rng)),
            b: Variable::param(Tensor::zeros([hidden])),
        }
    }

    /// One time step for a batch: `x_t` `[B, I]` and `h` `[B, H]` give the new
    /// state `[B, H]` (row vectors, so the products are x W_xhᵀ and h W_hhᵀ).
    pub fn step(&self, x_t: &Variable<T>, h: &Variable<T>) -> Variable<T> {
        let pre =
            &(&x_t.matmul(&self.w_xh.t()) + &h.matmul(&self.w_hh.t())) + &self.b;
        pre.tanh()
    }

    /// Unrolls the cell over `x` `[T, B, I]` from a zero state: the outputs `[T, B,
    /// H]` (the state after every step) and the last state.
    pub fn forward(&self, x: &Variable<T>) -> (Variable<T>, Variable<T>) {
        let (steps, batch) = (x.shape()[0], x.shape()[1]);
        let mut h =
            Variable::constant(Tensor::zeros([batch, self.w_hh.shape()[0]]));
        let mut outputs = Vec::with_capacity(steps);
        for t in 0..steps {
            h = self.step(&x.select(0, t), &h);
            outputs.push(h.clone());
        }
        (Variable::stack(&outputs.iter().collect::<Vec<_>>(), 0), h)
    }
}
// ANCHOR_END: hand_rnn

impl<T: Float> HandRnn<T> {
    /// Kindling's fused `Rnn` layer holding the same weights (its second bias,
    /// `bias_hh`, is 0).
    pub fn to_layer(&self) -> Rnn<T> {
        let (hidden, input) = (self.w_xh.shape()[0], self.w_xh.shape()[1]);
        let layer = Rnn::<T>::new(input, hidden, &mut Rng::seed(0));
        let w = layer.weights(0, 0);
        w.weight_ih.set_value(self.w_xh.value());
        w.weight_hh.set_value(self.w_hh.value());
        w.bias_ih.as_ref().expect("bias").set_value(self.b.value());
        w.bias_hh.as_ref().expect("bias").set_value(Tensor::zeros([hidden]));
        layer
    }
}

// ANCHOR: raw_weights
/// The weights of one cell as plain variables in PyTorch's layout: `w_ih` `[G·H,
/// I]`, `w_hh` `[G·H, H]`, `b_ih` and `b_hh` `[G·H]`, with the gates stacked in
/// PyTorch's order (LSTM: i, f, g, o; GRU: r, z, n). The exercises compute cells
/// from these.
pub struct RawWeights {
    pub w_ih: Variable<f64>,
    pub w_hh: Variable<f64>,
    pub b_ih: Variable<f64>,
    pub b_hh: Variable<f64>,
}
// ANCHOR_END: raw_weights

impl RawWeights {
    /// The same variables as a library cell's (gradients land in the cell's
    /// parameters).
    pub fn of(w: &CellWeights<f64>) -> Self {
        RawWeights {
            w_ih: w.weight_ih.clone(),
            w_hh: w.weight_hh.clone(),
            b_ih: w.bias_ih.clone().expect("a cell with biases"),
            b_hh: w.bias_hh.clone().expect("a cell with biases"),
        }
    }
}

/// The sizes of the vanishing-gradient experiment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BpttSetup {
    pub input: usize,
    pub hidden: usize,
    pub steps: usize,
    pub batch: usize,
    pub seed: u64,
}

impl Default for BpttSetup {
    /// The demo's setup: 100 steps of 8 features, 64 hidden units, a batch of 8.
    fn default() -> Self {
        BpttSetup { input: 8, hidden: 64, steps: 100, batch: 8, seed: 0 }
    }
}

// ANCHOR: grad_through_time
/// ‖∂L/∂x_t‖ for every step t of one layer at initialisation, where the loss L
/// reads only the last output: L = Σ r ⊙ y_T with a fixed random readout r. In f64,
/// since the norms span dozens of powers of ten. Every kind sees the same inputs
/// and the same readout.
pub fn input_gradient_norms(
    kind: CellKind,
    options: RecurrentOptions,
    setup: &BpttSetup,
) -> Vec<f64> {
    let BpttSetup { input, hidden, steps, batch, seed } = *setup;
    let mut data = Rng::seed(seed);
    let x = Variable::param(Tensor::<f64>::randn([steps, batch, input], &mut data));
    let readout =
        Variable::constant(Tensor::<f64>::randn([batch, hidden], &mut data));
    let layer = Recurrent::<f64>::new(
        kind,
        input,
        hidden,
        options,
        &mut Rng::seed(seed + 1),
    );
    let (y, _) = layer.forward_with_state(&x, None);
    let loss = (&y.select(0, steps - 1) * &readout).sum_all();
    loss.backward();
    let grad = x.grad().expect("x is a parameter").to_vec();
    grad.chunks(batch * input)
        .map(|g| g.iter().map(|v| v * v).sum::<f64>().sqrt())
        .collect()
}
// ANCHOR_END: grad_through_time

// ANCHOR: padded
/// Runs a GRU over three sequences of lengths 5, 3 and 1, once each alone and once
/// as one padded batch `[5, 3, I]` (zeros after each sequence's end), with and
/// without telling the layer the lengths. Returns, per sequence, (length, ‖h_n(with
/// lengths) − h_n(alone)‖, ‖h_n(without lengths) − h_n(alone)‖).
pub fn padding_effect(seed: u64) -> Vec<(usize, f64, f64)> {
    let (input, hidden, lengths) = (4, 8, [5usize, 3, 1]);
    let mut rng = Rng::seed(seed);
    let gru = kindling_sequence::Gru::<f32>::new(input, hidden, &mut rng);
    let seqs: Vec<Tensor<f32>> =
        lengths.iter().map(|&l| Tensor::randn([l, 1, input], &mut rng)).collect();
    let steps = lengths[0];
    // The padded batch, time-major: step t of sequence b, or zeros once it has
    // ended.
    let mut padded = vec![0.0f32; steps * lengths.len() * input];
    for (b, s) in seqs.iter().enumerate() {
        for (t, row) in s.to_vec().chunks(input).enumerate() {
            let at = (t * lengths.len() + b) * input;
            padded[at..at + input].copy_from_slice(row);
        }
    }
    let padded =
        Variable::constant(Tensor::from_vec(padded, [steps, lengths.len(), input]));
    let (_, with_lengths) = gru.forward_padded(&padded, &lengths, None);
    let (_, without) = gru.forward_with_state(&padded, None);
    let final_h = |state: &RecurrentState<f32>, b: usize| {
        state.h.value().select(0, 0).select(0, b).to_vec()
    };
    let dist = |a: &[f32], b: &[f32]| {
        a.iter().zip(b).map(|(x, y)| ((x - y) as f64).powi(2)).sum::<f64>().sqrt()
    };
    seqs.iter()
        .enumerate()
        .map(|(b, s)| {
            let (_, alone) =
                gru.forward_with_state(&Variable::constant(s.clone()), None);
            let alone = alone.h.value().select(0, 0).select(0, 0).to_vec();
            (
                lengths[b],
                dist(&final_h(&with_lengths, b), &alone),
                dist(&final_h(&without, b), &alone),
            )
        })
        .collect()
}
// ANCHOR_END: padded

/// A corpus cut in time order into training and validation characters, and its
/// vocabulary.
pub struct CorpusSplit {
    pub vocab: CharVocab,
    pub train: Vec<i64>,
    pub val: Vec<i64>,
}

/// The first `train_fraction` of the characters for training, the rest for
/// validation (in order: a random split of overlapping windows would validate on
/// text the model trained on).
pub fn split_corpus(text: &str, train_fraction: f64) -> CorpusSplit {
    let vocab = CharVocab::new(text);
    let ids = vocab
        .encode(text)
        .expect("every character is in its own vocabulary")
        .to_vec();
    let cut = (ids.len() as f64 * train_fraction).round() as usize;
    CorpusSplit { vocab, train: ids[..cut].to_vec(), val: ids[cut..].to_vec() }
}

// ANCHOR: lm_config
/// Everything that defines a character-level language-model run.
#[derive(Clone, Debug, PartialEq)]
pub struct LmConfig {
    pub kind: CellKind,
    pub embed: usize,
    pub hidden: usize,
    pub layers: usize,
    /// Dropout between recurrent layers (only with two or more).
    pub dropout: f64,
    /// Windows per batch and characters per window.
    pub batch: usize,
    pub seq_len: usize,
    /// Peak learning rate of Adam, reached after `warmup` steps, then a cosine
    /// decay to `min_lr` at the last step (with `warmup` 0 and `min_lr == lr`, a
    /// constant rate).
    pub lr: f64,
    pub min_lr: f64,
    pub warmup: usize,
    pub steps: usize,
    /// Clip the global gradient norm at this value.
    pub clip: f64,
    /// Evaluate every this many steps, on `eval_windows` fixed validation windows
    /// of `eval_len` characters.
    pub eval_every: usize,
    pub eval_windows: usize,
    pub eval_len: usize,
    pub seed: u64,
    /// Stop (after one last evaluation) once this many seconds have passed.
    pub max_seconds: Option<f64>,
}

impl LmConfig {
    /// The demo's default: one LSTM layer of 128 units, about 40 seconds of
    /// training.
    pub fn short() -> Self {
        LmConfig {
            kind: CellKind::Lstm,
            embed: 32,
            hidden: 128,
            layers: 1,
            dropout: 0.0,
            batch: 32,
            seq_len: 64,
            lr: 2e-3,
            min_lr: 2e-3,
            warmup: 0,
            steps: 1500,
            clip: 1.0,
            eval_every: 150,
            eval_windows: 64,
            eval_len: 128,
            seed: 1,
            max_seconds: None,
        }
    }

    /// The real recipe (`--full`): one GRU layer of 512 units, a short warm-up and
    /// a cosine decay of the learning rate over 3,000 steps of 32 × 64 characters
    /// (about six passes over the training text; about five minutes on two cores).
    /// A GRU has three gate blocks to the LSTM's four, so a step of the same width
    /// costs about three quarters as much.
    pub fn full() -> Self {
        LmConfig {
            kind: CellKind::Gru,
            embed: 64,
            hidden: 512,
            layers: 1,
            dropout: 0.0,
            batch: 32,
            seq_len: 64,
            lr: 2e-3,
            min_lr: 1e-4,
            warmup: 200,
            steps: 3_000,
            clip: 1.0,
            eval_every: 250,
            eval_windows: 256,
            eval_len: 256,
            seed: 1,
            max_seconds: None,
        }
    }

    /// The model this configuration describes, for a vocabulary of `vocab`
    /// characters.
    pub fn model(&self, vocab: usize) -> RecurrentLm<f32> {
        let options = RecurrentOptions::default()
            .num_layers(self.layers)
            .dropout(self.dropout);
        RecurrentLm::new(
            self.kind,
            vocab,
            self.embed,
            self.hidden,
            options,
            &mut Rng::seed(self.seed),
        )
    }

    /// The learning rate at `step` (counted from 0): linear warm-up, then cosine
    /// decay.
    pub fn lr_at(&self, step: usize) -> f64 {
        if step < self.warmup {
            return self.lr * (step + 1) as f64 / self.warmup as f64;
        }
        let span = self.steps.saturating_sub(self.warmup).max(1) as f64;
        let progress = ((step - self.warmup) as f64 / span).min(1.0);
        self.min_lr
            + (self.lr - self.min_lr)
                * 0.5
                * (1.0 + (std::f64::consts::PI * progress).cos())
    }
}
// ANCHOR_END: lm_config

// ANCHOR: train_step
/// One optimisation step on one batch: forward, mean cross-entropy, backward
/// through time, clip the global gradient norm, update. Returns (loss, gradient
/// norm before clipping).
pub fn lm_train_step(
    model: &RecurrentLm<f32>,
    optimizer: &mut dyn Optimizer,
    inputs: &Tensor<i64>,
    targets: &Tensor<i64>,
    clip: f64,
) -> (f64, f64) {
    optimizer.zero_grad();
    let (loss, _) = model.loss(inputs, targets, None);
    loss.backward();
    let norm = clip_grad_norm(&model.parameters(), clip);
    optimizer.step();
    (loss.value().item() as f64, norm)
}
// ANCHOR_END: train_step

// ANCHOR: validation
/// `count` fixed windows of `len + 1` characters spread evenly over `tokens`, in
/// batches of at most 32: (inputs, targets), both `[batch, len]`. The same windows
/// at every evaluation, so the validation curve moves only because the model does.
pub fn validation_batches(
    tokens: &[i64],
    count: usize,
    len: usize,
) -> Vec<(Tensor<i64>, Tensor<i64>)> {
    assert!(
        tokens.len() > len + 1,
        "validation_batches: {} tokens cannot hold a window of {len}",
        tokens.len()
    );
    let count = count.clamp(1, tokens.len() - len);
    let last_start = tokens.len() - len - 1;
    let starts: Vec<usize> = (0..count)
        .map(|k| if count == 1 { 0 } else { k * last_start / (count - 1) })
        .collect();
    starts
        .chunks(32)
        .map(|group| {
            let x: Vec<i64> = group
                .iter()
                .flat_map(|&s| tokens[s..s + len].iter().copied())
                .collect();
            let y: Vec<i64> = group
                .iter()
                .flat_map(|&s| tokens[s + 1..s + len + 1].iter().copied())
                .collect();
            (
                Tensor::from_vec(x, [group.len(), len]),
                Tensor::from_vec(y, [group.len(), len]),
            )
        })
        .collect()
}

/// The mean cross-entropy in nats per character over the validation batches, in
/// evaluation mode (no dropout) and without a graph. Each window starts from a zero
/// state.
pub fn evaluate_lm(
    model: &RecurrentLm<f32>,
    batches: &[(Tensor<i64>, Tensor<i64>)],
) -> f64 {
    model.eval();
    let (mut total, mut count) = (0.0, 0usize);
    no_grad(|| {
        for (x, y) in batches {
            let (loss, _) = model.loss(x, y, None);
            total += loss.value().item() as f64 * y.numel() as f64;
            count += y.numel();
        }
    });
    model.train();
    total / count as f64
}
// ANCHOR_END: validation

/// One evaluation during training.
#[derive(Clone, Debug, PartialEq)]
pub struct EvalRecord {
    pub step: usize,
    /// Wall time since training started, evaluations included.
    pub seconds: f64,
    /// The part of it spent in training steps.
    pub train_seconds: f64,
    /// The mean training loss since the previous evaluation (NaN at step 0).
    pub train_loss: f64,
    pub val_loss: f64,
    pub lr: f64,
}

// ANCHOR: train_lm
/// Trains `model` on random windows of the training characters with Adam and
/// gradient clipping, evaluating every `eval_every` steps (and at the end);
/// `on_eval` sees every evaluation as it happens (to print it, or to sample from
/// the model).
pub fn train_char_lm(
    model: &RecurrentLm<f32>,
    data: &CorpusSplit,
    config: &LmConfig,
    mut on_eval: impl FnMut(&EvalRecord, &RecurrentLm<f32>),
) -> Vec<EvalRecord> {
    let mut rng = Rng::seed(config.seed + 100);
    let val = validation_batches(&data.val, config.eval_windows, config.eval_len);
    let mut opt = Adam::new(
        model.parameters(),
        AdamConfig { lr: config.lr_at(0), ..Default::default() },
    );
    let start = Instant::now();
    let mut training = 0.0; // seconds spent in training steps
    let mut records = Vec::new();
    let (mut sum, mut n) = (0.0, 0usize);
    let mut evaluate = |step: usize,
                        training: f64,
                        sum: &mut f64,
                        n: &mut usize,
                        records: &mut Vec<EvalRecord>| {
        let train_loss = if *n > 0 { *sum / *n as f64 } else { f64::NAN };
        let val_loss = evaluate_lm(model, &val);
        let seconds = start.elapsed().as_secs_f64();
        let record = EvalRecord {
            step,
            seconds,
            train_seconds: training,
            train_loss,
            val_loss,
            lr: config.lr_at(step),
        };
        on_eval(&record, model);
        records.push(record);
        (*sum, *n) = (0.0, 0);
    };
    evaluate(0, training, &mut sum, &mut n, &mut records);
    for step in 0..config.steps {
        let began = Instant::now();
        opt.set_learning_rate(config.lr_at(step));
        let (x, y) =
            random_windows(&data.train, config.batch, config.seq_len, &mut rng);
        let (loss, _) = lm_train_step(model, &mut opt, &x, &y, config.clip);
        training += began.elapsed().as_secs_f64();
        (sum, n) = (sum + loss, n + 1);
        let out_of_time =
            config.max_seconds.is_some_and(|s| start.elapsed().as_secs_f64() >= s);
        if (step + 1) % config.eval_every == 0
            || step + 1 == config.steps
            || out_of_time
        {
            evaluate(step + 1, training, &mut sum, &mut n, &mut records);
        }
        if out_of_time {
            break;
        }
    }
    records
}
// ANCHOR_END: train_lm

// ANCHOR: tbptt
/// Truncated backpropagation through time over contiguous streams: the state after
/// one batch starts the next, detached, so the model reads an unbroken text but
/// every backward pass stops after `steps` characters. Returns the loss of every
/// batch.
pub fn train_tbptt(
    model: &RecurrentLm<f32>,
    optimizer: &mut dyn Optimizer,
    tokens: &[i64],
    batch: usize,
    steps: usize,
    clip: f64,
) -> Vec<f64> {
    let mut state: Option<RecurrentState<f32>> = None;
    let mut losses = Vec::new();
    for (x, y) in StreamBatches::new(tokens, batch, steps) {
        optimizer.zero_grad();
        let (loss, next) = model.loss(&x, &y, state.as_ref());
        loss.backward();
        clip_grad_norm(&model.parameters(), clip);
        optimizer.step();
        losses.push(loss.value().item() as f64);
        state = Some(next.detach()); // keep the values, cut the graph
    }
    losses
}
// ANCHOR_END: tbptt

/// A noisy sum of two sines, sin(2πt/24) + 0.5·sin(2πt/10 + 1) + noise, as a `[len,
/// 1]` series.
pub fn sum_of_sines(len: usize, noise: f64, seed: u64) -> Tensor<f32> {
    use std::f64::consts::PI;
    let mut rng = Rng::seed(seed);
    let v: Vec<f32> = (0..len)
        .map(|t| {
            let t = t as f64;
            ((2.0 * PI * t / 24.0).sin()
                + 0.5 * (2.0 * PI * t / 10.0 + 1.0).sin()
                + noise * rng.normal_f64()) as f32
        })
        .collect();
    Tensor::from_vec(v, [len, 1])
}

// ANCHOR: train_forecaster
/// Trains a forecaster on (window, future) pairs with Adam on random minibatches,
/// clipping the gradient norm at 1. Returns the training loss of every step.
pub fn train_forecaster(
    model: &Forecaster<f32>,
    inputs: &Tensor<f32>,
    targets: &Tensor<f32>,
    steps: usize,
    batch: usize,
    lr: f64,
    seed: u64,
) -> Vec<f64> {
    let mut rng = Rng::seed(seed);
    let mut opt =
        Adam::new(model.parameters(), AdamConfig { lr, ..Default::default() });
    let m = inputs.shape()[0] as u64;
    (0..steps)
        .map(|_| {
            let idx: Vec<i64> = (0..batch).map(|_| rng.below(m) as i64).collect();
            let idx = Tensor::from_vec(idx, [batch]);
            opt.zero_grad();
            let loss = model.loss(
                &inputs.index_select(0, &idx),
                &targets.index_select(0, &idx),
            );
            loss.backward();
            clip_grad_norm(&model.parameters(), 1.0);
            opt.step();
            loss.value().item() as f64
        })
        .collect()
}
// ANCHOR_END: train_forecaster
