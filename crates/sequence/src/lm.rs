//! A recurrent language model over tokens (characters in chapter 10): an embedding, a stack of
//! recurrent layers, a linear head predicting the next token; sampling with a temperature; and
//! the batches that feed it, both random windows and contiguous streams for truncated
//! backpropagation through time.

use crate::{CellKind, Recurrent, RecurrentOptions, RecurrentState};
use kindling_autograd::{no_grad, Variable};
use kindling_nn::{cross_entropy, Embedding, Forward, Linear, Module, Visitor};
use kindling_tensor::shape::dims_str;
use kindling_tensor::{Float, Rng, Tensor};

/// Embedding(vocabulary, embed) → recurrent layers → Linear(state, vocabulary).
pub struct RecurrentLm<T: Float = f32> {
    pub embedding: Embedding<T>,
    pub rnn: Recurrent<T>,
    pub head: Linear<T>,
}

impl<T: Float> RecurrentLm<T> {
    /// `options.batch_first` is ignored: the model takes `[B, T]` tokens and runs time-major
    /// inside.
    pub fn new(
        kind: CellKind,
        vocabulary: usize,
        embed: usize,
        hidden: usize,
        options: RecurrentOptions,
        rng: &mut Rng,
    ) -> Self {
        let embedding = Embedding::new(vocabulary, embed, rng);
        let rnn = Recurrent::new(kind, embed, hidden, options.batch_first(false), rng);
        let head = Linear::new(rnn.output_size(), vocabulary, rng);
        RecurrentLm { embedding, rnn, head }
    }

    pub fn vocabulary(&self) -> usize {
        self.head.out_features()
    }

    /// Next-token logits `[T, B, V]` for tokens `[B, T]`, and the state after the last step.
    pub fn forward_tokens(
        &self,
        tokens: &Tensor<i64>,
        state: Option<&RecurrentState<T>>,
    ) -> (Variable<T>, RecurrentState<T>) {
        if tokens.rank() != 2 {
            panic!("RecurrentLm: tokens must be [batch, steps], got shape {}", dims_str(tokens.shape()));
        }
        let time_major = tokens.transpose(0, 1).contiguous();
        let (y, state) = match self.embedding.padding_idx {
            // The first layer reads the embedding table through the ids (one projection of
            // the table instead of one per token; the same values and gradients).
            None => self.rnn.forward_lookup(&self.embedding.weight, &time_major, None, state),
            Some(_) => self.rnn.forward_with_state(&self.embedding.forward(&time_major), state),
        };
        (self.head.forward(&y), state)
    }

    /// The mean cross-entropy (nats per token) of predicting `targets` `[B, T]` from `inputs`
    /// `[B, T]`, and the state after the batch. Targets of −100 are skipped (padding).
    pub fn loss(
        &self,
        inputs: &Tensor<i64>,
        targets: &Tensor<i64>,
        state: Option<&RecurrentState<T>>,
    ) -> (Variable<T>, RecurrentState<T>) {
        if inputs.shape() != targets.shape() {
            panic!(
                "RecurrentLm::loss: inputs of shape {} and targets of shape {} differ",
                dims_str(inputs.shape()),
                dims_str(targets.shape())
            );
        }
        let (logits, state) = self.forward_tokens(inputs, state);
        let v = self.vocabulary() as isize;
        let targets = targets.transpose(0, 1).contiguous().reshape([-1]);
        (cross_entropy(&logits.reshape([-1, v]), &targets), state)
    }

    /// Continues `prompt` by `n` tokens, drawing each from softmax(logits / temperature)
    /// (`temperature` → 0 approaches greedy decoding; 0 is greedy). Runs without a graph.
    pub fn sample(&self, prompt: &[i64], n: usize, temperature: f64, rng: &mut Rng) -> Vec<i64> {
        assert!(!prompt.is_empty(), "RecurrentLm::sample: the prompt needs at least one token");
        assert!(temperature >= 0.0, "RecurrentLm::sample: temperature {temperature} is negative");
        no_grad(|| {
            let mut out = prompt.to_vec();
            let tokens = Tensor::from_vec(prompt.to_vec(), [1, prompt.len()]);
            let (mut logits, mut state) = self.forward_tokens(&tokens, None);
            for _ in 0..n {
                let steps = logits.shape()[0];
                let last: Vec<f64> = logits.value().select(0, steps - 1).to_vec().iter().map(|v| v.to_f64()).collect();
                let next = draw(&last, temperature, rng);
                out.push(next);
                let (l, s) = self.forward_tokens(&Tensor::from_vec(vec![next], [1, 1]), Some(&state));
                logits = l;
                state = s;
            }
            out
        })
    }
}

/// One token drawn from softmax(logits / temperature), or the arg max at temperature 0.
pub fn draw(logits: &[f64], temperature: f64, rng: &mut Rng) -> i64 {
    let best = logits.iter().enumerate().fold(0, |b, (i, &v)| if v > logits[b] { i } else { b });
    if temperature == 0.0 {
        return best as i64;
    }
    let weights: Vec<f64> = logits.iter().map(|&v| ((v - logits[best]) / temperature).exp()).collect();
    let mut u = rng.uniform_f64() * weights.iter().sum::<f64>();
    for (i, w) in weights.iter().enumerate() {
        if u < *w {
            return i as i64;
        }
        u -= w;
    }
    best as i64
}

impl<T: Float> Module<T> for RecurrentLm<T> {
    fn visit(&self, v: &mut Visitor<'_, T>) {
        v.child("embedding", &self.embedding);
        v.child("rnn", &self.rnn);
        v.child("head", &self.head);
    }
}

/// `batch` random windows of `steps + 1` tokens: inputs are the first `steps`, targets the
/// last `steps` (each input's next token). Both `[batch, steps]`.
pub fn random_windows(tokens: &[i64], batch: usize, steps: usize, rng: &mut Rng) -> (Tensor<i64>, Tensor<i64>) {
    assert!(
        tokens.len() > steps,
        "random_windows: {} tokens cannot hold a window of {} steps plus its target",
        tokens.len(),
        steps
    );
    let (mut inputs, mut targets) = (Vec::with_capacity(batch * steps), Vec::with_capacity(batch * steps));
    for _ in 0..batch {
        let start = rng.below((tokens.len() - steps) as u64) as usize;
        inputs.extend_from_slice(&tokens[start..start + steps]);
        targets.extend_from_slice(&tokens[start + 1..start + steps + 1]);
    }
    (Tensor::from_vec(inputs, [batch, steps]), Tensor::from_vec(targets, [batch, steps]))
}

/// Contiguous batches for truncated backpropagation through time: the tokens are cut into
/// `batch` equal streams side by side, and batch `k` holds steps `k·steps..(k+1)·steps` of
/// every stream. Row `b` of one batch continues row `b` of the previous one, so the state can
/// be carried over ([`RecurrentState::detach`]) while gradients stop at the boundary.
pub struct StreamBatches {
    streams: Vec<Vec<i64>>,
    steps: usize,
    next: usize,
}

impl StreamBatches {
    pub fn new(tokens: &[i64], batch: usize, steps: usize) -> Self {
        assert!(batch > 0 && steps > 0, "StreamBatches: batch and steps must be positive");
        let len = tokens.len() / batch;
        assert!(
            len > steps,
            "StreamBatches: {} tokens make {batch} streams of {len}, too short for {steps} steps",
            tokens.len()
        );
        let streams = (0..batch).map(|b| tokens[b * len..(b + 1) * len].to_vec()).collect();
        StreamBatches { streams, steps, next: 0 }
    }

    /// The number of batches in one pass.
    pub fn len(&self) -> usize {
        (self.streams[0].len() - 1) / self.steps
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Iterator for StreamBatches {
    type Item = (Tensor<i64>, Tensor<i64>);

    fn next(&mut self) -> Option<Self::Item> {
        if self.next >= self.len() {
            return None;
        }
        let start = self.next * self.steps;
        self.next += 1;
        let (mut inputs, mut targets) = (Vec::new(), Vec::new());
        for s in &self.streams {
            inputs.extend_from_slice(&s[start..start + self.steps]);
            targets.extend_from_slice(&s[start + 1..start + self.steps + 1]);
        }
        let shape = [self.streams.len(), self.steps];
        Some((Tensor::from_vec(inputs, shape), Tensor::from_vec(targets, shape)))
    }
}
