//! The encoder, the decoder and the model that joins them, with teacher forcing.

use super::attention::{linear_rows, masked_softmax, Attention, AttentionLayer};
use crate::cell::{self, CellKind};
use crate::{pad_sequences, Recurrent, RecurrentOptions, RecurrentState};
use kindling_autograd::Variable;
use kindling_nn::{cross_entropy, Dropout, Embedding, Forward, Linear, Module, Visitor};
use kindling_tensor::shape::dims_str;
use kindling_tensor::{Float, Rng, Tensor};

/// The shape of a [`Seq2Seq`] model. [`Seq2SeqConfig::new`] gives a one-layer bidirectional
/// GRU encoder with Luong (multiplicative) attention; the setters change one field each.
#[derive(Clone, Debug, PartialEq)]
pub struct Seq2SeqConfig {
    /// Token ids are in `0..vocab` for sources and targets alike (one shared vocabulary).
    pub vocab: usize,
    pub cell: CellKind,
    pub embed: usize,
    /// Each encoder direction's width; the decoder is `hidden × directions` wide.
    pub hidden: usize,
    pub layers: usize,
    pub attention: Attention,
    /// The hidden width of the additive score (Bahdanau's v and W's).
    pub attention_dim: usize,
    pub bidirectional: bool,
    /// Dropout on embeddings, between recurrent layers and before the output layer.
    pub dropout: f64,
    pub pad: i64,
    pub bos: i64,
    pub eos: i64,
}

impl Seq2SeqConfig {
    /// GRU, embeddings of 32, hidden 64, one layer, multiplicative attention, bidirectional
    /// encoder, no dropout; PAD, BOS, EOS = 0, 1, 2 (as `kindling_data::synthetic`'s string
    /// tasks).
    pub fn new(vocab: usize) -> Self {
        Seq2SeqConfig {
            vocab,
            cell: CellKind::Gru,
            embed: 32,
            hidden: 64,
            layers: 1,
            attention: Attention::Multiplicative,
            attention_dim: 64,
            bidirectional: true,
            dropout: 0.0,
            pad: 0,
            bos: 1,
            eos: 2,
        }
    }
    pub fn cell(mut self, cell: CellKind) -> Self {
        self.cell = cell;
        self
    }
    pub fn embed(mut self, embed: usize) -> Self {
        self.embed = embed;
        self
    }
    pub fn hidden(mut self, hidden: usize) -> Self {
        self.hidden = hidden;
        self
    }
    pub fn layers(mut self, layers: usize) -> Self {
        self.layers = layers;
        self
    }
    pub fn attention(mut self, attention: Attention) -> Self {
        self.attention = attention;
        self
    }
    pub fn attention_dim(mut self, dim: usize) -> Self {
        self.attention_dim = dim;
        self
    }
    pub fn bidirectional(mut self, on: bool) -> Self {
        self.bidirectional = on;
        self
    }
    pub fn dropout(mut self, p: f64) -> Self {
        self.dropout = p;
        self
    }

    fn directions(&self) -> usize {
        if self.bidirectional {
            2
        } else {
            1
        }
    }

    /// The decoder's width: both encoder directions' final states side by side.
    pub fn decoder_hidden(&self) -> usize {
        self.hidden * self.directions()
    }
}

/// A batch for training: sources `[B, S]` padded with PAD, decoder inputs `[B, T]` (BOS then
/// the target, padded) and targets `[B, T]` (the target then EOS, −100 on padding, which the
/// loss skips), with both lengths.
#[derive(Clone, Debug)]
pub struct Seq2SeqBatch {
    pub sources: Tensor<i64>,
    pub source_lengths: Vec<usize>,
    pub decoder_inputs: Tensor<i64>,
    pub targets: Tensor<i64>,
    /// Target lengths with EOS counted.
    pub target_lengths: Vec<usize>,
}

impl Seq2SeqBatch {
    /// Pads `sources` and `targets` (token lists without BOS or EOS) into a batch.
    pub fn new(sources: &[Vec<i64>], targets: &[Vec<i64>], config: &Seq2SeqConfig) -> Self {
        if sources.len() != targets.len() || sources.is_empty() {
            panic!(
                "Seq2SeqBatch::new: {} sources and {} targets (need the same number, at least one)",
                sources.len(),
                targets.len()
            );
        }
        let (src, source_lengths) = pad_sequences(sources, config.pad, true);
        let inputs: Vec<Vec<i64>> = targets.iter().map(|t| [&[config.bos], &t[..]].concat()).collect();
        let outputs: Vec<Vec<i64>> = targets.iter().map(|t| [&t[..], &[config.eos]].concat()).collect();
        let (decoder_inputs, target_lengths) = pad_sequences(&inputs, config.pad, true);
        let (targets, _) = pad_sequences(&outputs, -100, true);
        Seq2SeqBatch { sources: src, source_lengths, decoder_inputs, targets, target_lengths }
    }

    pub fn len(&self) -> usize {
        self.source_lengths.len()
    }

    pub fn is_empty(&self) -> bool {
        self.source_lengths.is_empty()
    }
}

/// An embedding and recurrent layers over padded sources.
pub struct Encoder<T: Float = f32> {
    pub embedding: Embedding<T>,
    pub rnn: Recurrent<T>,
    dropout: Dropout,
}

impl<T: Float> Encoder<T> {
    pub fn new(config: &Seq2SeqConfig, rng: &mut Rng) -> Self {
        let options = RecurrentOptions::default()
            .num_layers(config.layers)
            .bidirectional(config.bidirectional)
            .dropout(config.dropout);
        Encoder {
            embedding: Embedding::new(config.vocab, config.embed, rng),
            rnn: Recurrent::new(config.cell, config.embed, config.hidden, options, rng),
            dropout: Dropout::new(config.dropout, rng),
        }
    }

    /// Outputs `[B, S, D·H]` (zero on padding) and the final state for sources `[B, S]` with
    /// `lengths`. Padding never reaches the state (the layers' `forward_padded`).
    pub fn forward(&self, sources: &Tensor<i64>, lengths: &[usize]) -> (Variable<T>, RecurrentState<T>) {
        let shape = sources.shape();
        if shape.len() != 2 || shape[0] != lengths.len() {
            panic!(
                "Encoder::forward: sources of shape {} must be [batch, steps] with batch = {} lengths",
                dims_str(shape),
                lengths.len()
            );
        }
        let time_major = sources.transpose(0, 1).contiguous();
        let (y, state) = if self.dropout.p() == 0.0 {
            // The first layer projects the embedding table once instead of every token.
            self.rnn.forward_lookup(&self.embedding.weight, &time_major, Some(lengths), None)
        } else {
            let x = self.embedding.forward(&time_major);
            self.rnn.forward_padded(&self.dropout.apply(&x, &x.shape()), lengths, None)
        };
        (y.transpose(0, 1), state)
    }
}

impl<T: Float> Module<T> for Encoder<T> {
    fn visit(&self, v: &mut Visitor<'_, T>) {
        v.child("embedding", &self.embedding);
        v.child("rnn", &self.rnn);
        self.dropout.visit(v);
    }
}

/// What the decoder attends to: the encoder's outputs `[N, S, K]` (the keys and values), the
/// keys projected for the score, and each row's source length.
#[derive(Clone)]
pub struct Memory<T: Float = f32> {
    pub keys: Variable<T>,
    pub projected: Variable<T>,
    pub lengths: Vec<usize>,
}

impl<T: Float> Memory<T> {
    /// Every row repeated `k` times in a row (row `b` becomes rows `b·k..(b+1)·k`): the memory
    /// of a beam of width `k`.
    pub fn repeat_rows(&self, k: usize) -> Memory<T> {
        let index = repeat_index(self.lengths.len(), k);
        Memory {
            keys: self.keys.index_select(0, &index),
            projected: self.projected.index_select(0, &index),
            lengths: self.lengths.iter().flat_map(|&l| std::iter::repeat_n(l, k)).collect(),
        }
    }
}

pub(crate) fn repeat_index(n: usize, k: usize) -> Tensor<i64> {
    Tensor::from_vec((0..n * k).map(|i| (i / k) as i64).collect(), [n * k])
}

/// The decoder: an embedding, recurrent layers started from the encoder's final state, the
/// attention, and the output layer. With attention, the output layer reads the attentional
/// state h̃ = tanh(W_c [context; state]); without, the state itself.
pub struct Decoder<T: Float = f32> {
    pub embedding: Embedding<T>,
    pub rnn: Recurrent<T>,
    pub attention: AttentionLayer<T>,
    pub combine: Option<Linear<T>>,
    pub out: Linear<T>,
    dropout: Dropout,
    kind: Attention,
}

impl<T: Float> Decoder<T> {
    pub fn new(config: &Seq2SeqConfig, rng: &mut Rng) -> Self {
        let hidden = config.decoder_hidden();
        let key = hidden;
        // Bahdanau feeds the context into the cell beside the token's embedding.
        let input = config.embed + if config.attention == Attention::Additive { key } else { 0 };
        let options = RecurrentOptions::default().num_layers(config.layers).dropout(config.dropout);
        Decoder {
            embedding: Embedding::new(config.vocab, config.embed, rng),
            rnn: Recurrent::new(config.cell, input, hidden, options, rng),
            attention: AttentionLayer::new(config.attention, hidden, key, config.attention_dim, rng),
            combine: (config.attention != Attention::None).then(|| Linear::new(key + hidden, hidden, rng)),
            out: Linear::new(hidden, config.vocab, rng),
            dropout: Dropout::new(config.dropout, rng),
            kind: config.attention,
        }
    }

    /// Logits from the top layer's states `[.., H]` and their contexts.
    fn readout(&self, state: &Variable<T>, context: Option<&Variable<T>>) -> Variable<T> {
        let features = match (&self.combine, context) {
            (Some(w), Some(c)) => {
                let axis = state.rank() as isize - 1;
                linear_rows(w, &Variable::cat(&[c, state], axis)).tanh()
            }
            _ => state.clone(),
        };
        linear_rows(&self.out, &self.dropout.apply(&features, &features.shape()))
    }

    fn embed(&self, tokens: &Tensor<i64>) -> Variable<T> {
        let x = self.embedding.forward(tokens);
        self.dropout.apply(&x, &x.shape())
    }

    /// Attention weights `[N, Tq, S]` and contexts `[N, Tq, K]` for queries `[N, Tq, H]`.
    fn attend(&self, queries: &Variable<T>, memory: &Memory<T>) -> (Variable<T>, Variable<T>) {
        let weights = masked_softmax(&self.attention.scores(queries, &memory.projected), &memory.lengths);
        let context = weights.matmul(&memory.keys);
        (weights, context)
    }

    /// One step for `N` rows: the previous tokens `[N]` and the state (`h` `[L, N, H]`) in;
    /// logits `[N, V]`, attention weights `[N, S]` (`[N, 0]` without attention) and the new
    /// state out. Runs the cells one layer at a time (`cell::step`).
    pub fn step(
        &self,
        tokens: &Tensor<i64>,
        state: &RecurrentState<T>,
        memory: &Memory<T>,
    ) -> (Variable<T>, Variable<T>, RecurrentState<T>) {
        let n = tokens.shape()[0];
        let layers = self.rnn.options().num_layers;
        let mut x = self.embed(tokens);
        let mut weights = None;
        if self.kind == Attention::Additive {
            // Bahdanau: the query is the previous state of the top layer.
            let query = state.h.select(0, layers - 1).unsqueeze(1);
            let (w, context) = self.attend(&query, memory);
            x = Variable::cat(&[&x, &context.squeeze(1)], 1);
            weights = Some((w, context.squeeze(1)));
        }
        let kind = self.rnn.kind();
        let (mut hs, mut cs) = (Vec::with_capacity(layers), Vec::with_capacity(layers));
        for l in 0..layers {
            let c = state.c.as_ref().map(|c| c.select(0, l));
            let (h, c) = cell::step(kind, self.rnn.weights(l, 0), &x, &state.h.select(0, l), c.as_ref());
            x = if l + 1 < layers { self.dropout.apply(&h, &h.shape()) } else { h.clone() };
            hs.push(h);
            cs.extend(c);
        }
        let top = hs.last().expect("at least one layer").clone();
        if matches!(self.kind, Attention::Multiplicative | Attention::Dot) {
            // Luong: the query is the new state.
            let (w, context) = self.attend(&top.unsqueeze(1), memory);
            weights = Some((w, context.squeeze(1)));
        }
        let stack = |v: &[Variable<T>]| Variable::stack(&v.iter().collect::<Vec<_>>(), 0);
        let new_state = RecurrentState { h: stack(&hs), c: (kind == CellKind::Lstm).then(|| stack(&cs)) };
        let logits = self.readout(&top, weights.as_ref().map(|(_, c)| c));
        let weights = match weights {
            Some((w, _)) => w.squeeze(1),
            None => Variable::constant(Tensor::zeros([n, 0])),
        };
        (logits, weights, new_state)
    }

    /// Teacher forcing in one pass (Luong attention or none): the decoder's recurrent layers
    /// run over all of `inputs` `[B, T]` as one fused op each, then the attention of every
    /// step at once as batched matrix products. Logits `[B, T, V]`, weights `[B, T, S]`.
    pub fn forward_parallel(
        &self,
        inputs: &Tensor<i64>,
        state: &RecurrentState<T>,
        memory: &Memory<T>,
    ) -> (Variable<T>, Variable<T>) {
        assert!(
            self.kind != Attention::Additive,
            "Decoder::forward_parallel: additive attention feeds each context into the next step; decode step by step"
        );
        let time_major = inputs.transpose(0, 1).contiguous();
        let (states, _) = if self.dropout.p() == 0.0 {
            self.rnn.forward_lookup(&self.embedding.weight, &time_major, None, Some(state))
        } else {
            self.rnn.forward_with_state(&self.embed(&time_major), Some(state))
        };
        let states = states.transpose(0, 1); // [B, T, H]
        let (b, t) = (inputs.shape()[0], inputs.shape()[1]);
        match self.kind {
            Attention::None => (self.readout(&states, None), Variable::constant(Tensor::zeros([b, t, 0]))),
            _ => {
                let (weights, context) = self.attend(&states, memory);
                (self.readout(&states, Some(&context)), weights)
            }
        }
    }
}

impl<T: Float> Module<T> for Decoder<T> {
    fn visit(&self, v: &mut Visitor<'_, T>) {
        v.child("embedding", &self.embedding);
        v.child("rnn", &self.rnn);
        v.child("attention", &self.attention);
        if let Some(w) = &self.combine {
            v.child("combine", w);
        }
        v.child("out", &self.out);
        self.dropout.visit(v);
    }
}

/// An encoder–decoder over one vocabulary.
pub struct Seq2Seq<T: Float = f32> {
    pub config: Seq2SeqConfig,
    pub encoder: Encoder<T>,
    pub decoder: Decoder<T>,
}

impl<T: Float> Seq2Seq<T> {
    pub fn new(config: Seq2SeqConfig, rng: &mut Rng) -> Self {
        assert!(config.vocab > 2, "Seq2Seq: a vocabulary of {} cannot hold PAD, BOS and EOS", config.vocab);
        for (name, id) in [("pad", config.pad), ("bos", config.bos), ("eos", config.eos)] {
            assert!(
                (0..config.vocab as i64).contains(&id),
                "Seq2Seq: the {name} id {id} is outside the vocabulary 0..{}",
                config.vocab
            );
        }
        let encoder = Encoder::new(&config, rng);
        let decoder = Decoder::new(&config, rng);
        Seq2Seq { config, encoder, decoder }
    }

    /// Encodes sources `[B, S]` with `lengths`: the decoder's memory and its initial state
    /// (each layer's final encoder states of both directions side by side).
    pub fn encode(&self, sources: &Tensor<i64>, lengths: &[usize]) -> (Memory<T>, RecurrentState<T>) {
        let (keys, state) = self.encoder.forward(sources, lengths);
        let projected = self.decoder.attention.project_keys(&keys);
        let bridge = |s: &Variable<T>| {
            let shape = s.shape(); // [L·D, B, H]
            let (l, d) = (self.config.layers as isize, self.config.directions() as isize);
            let (b, h) = (shape[1] as isize, shape[2] as isize);
            s.reshape([l, d, b, h]).permute([0isize, 2, 1, 3]).reshape([l, b, d * h])
        };
        let state = RecurrentState { h: bridge(&state.h), c: state.c.as_ref().map(bridge) };
        (Memory { keys, projected, lengths: lengths.to_vec() }, state)
    }

    /// Logits `[B, T, V]` and attention weights `[B, T, S]` under full teacher forcing. Runs
    /// [`Decoder::forward_parallel`] (the fused recurrent op) for Luong attention or none, and
    /// the step-by-step decoder for Bahdanau's.
    pub fn forward(&self, batch: &Seq2SeqBatch) -> (Variable<T>, Variable<T>) {
        let (memory, state) = self.encode(&batch.sources, &batch.source_lengths);
        match self.config.attention {
            Attention::Additive => self.decode_steps(batch, &memory, state, 1.0, None),
            _ => self.decoder.forward_parallel(&batch.decoder_inputs, &state, &memory),
        }
    }

    /// The same as [`Self::forward`] computed one step at a time, feeding the true previous
    /// token with probability `forcing` and otherwise the model's own arg max (scheduled
    /// sampling; `rng` draws the choice per token). With `forcing` = 1 it equals
    /// [`Self::forward`].
    pub fn forward_stepwise(&self, batch: &Seq2SeqBatch, forcing: f64, rng: &mut Rng) -> (Variable<T>, Variable<T>) {
        let (memory, state) = self.encode(&batch.sources, &batch.source_lengths);
        self.decode_steps(batch, &memory, state, forcing, Some(rng))
    }

    fn decode_steps(
        &self,
        batch: &Seq2SeqBatch,
        memory: &Memory<T>,
        mut state: RecurrentState<T>,
        forcing: f64,
        mut rng: Option<&mut Rng>,
    ) -> (Variable<T>, Variable<T>) {
        let inputs = &batch.decoder_inputs;
        let (b, t) = (inputs.shape()[0], inputs.shape()[1]);
        let gold = inputs.contiguous().to_vec();
        let (mut logits, mut weights) = (Vec::with_capacity(t), Vec::with_capacity(t));
        let mut previous: Option<Vec<i64>> = None;
        for step in 0..t {
            let tokens: Vec<i64> = (0..b)
                .map(|i| {
                    let truth = gold[i * t + step];
                    match (&previous, rng.as_deref_mut()) {
                        (Some(own), Some(r)) if forcing < 1.0 => {
                            if r.uniform_f64() >= forcing {
                                own[i]
                            } else {
                                truth
                            }
                        }
                        _ => truth,
                    }
                })
                .collect();
            let (l, w, s) = self.decoder.step(&Tensor::from_vec(tokens, [b]), &state, memory);
            if forcing < 1.0 {
                previous = Some(l.value().argmax(-1, false).to_vec());
            }
            logits.push(l);
            weights.push(w);
            state = s;
        }
        let stack = |v: &[Variable<T>]| Variable::stack(&v.iter().collect::<Vec<_>>(), 1);
        (stack(&logits), stack(&weights))
    }

    /// The mean cross-entropy per target token (EOS included, padding skipped) of logits
    /// `[B, T, V]` against the batch's targets.
    pub fn masked_loss(&self, logits: &Variable<T>, batch: &Seq2SeqBatch) -> Variable<T> {
        let shape = logits.shape();
        if shape.len() != 3 || shape[..2] != batch.targets.shape()[..] || shape[2] != self.config.vocab {
            panic!(
                "Seq2Seq::masked_loss: logits of shape {} do not match targets {} and vocabulary {}",
                dims_str(&shape),
                dims_str(batch.targets.shape()),
                self.config.vocab
            );
        }
        cross_entropy(&logits.reshape([-1, shape[2] as isize]), &batch.targets.reshape([-1]))
    }

    /// The training loss at teacher-forcing ratio `forcing`: the fast teacher-forced pass when
    /// `forcing` ≥ 1, else scheduled sampling step by step.
    pub fn loss(&self, batch: &Seq2SeqBatch, forcing: f64, rng: &mut Rng) -> Variable<T> {
        let (logits, _) = if forcing >= 1.0 { self.forward(batch) } else { self.forward_stepwise(batch, forcing, rng) };
        self.masked_loss(&logits, batch)
    }
}

impl<T: Float> Module<T> for Seq2Seq<T> {
    fn visit(&self, v: &mut Visitor<'_, T>) {
        v.child("encoder", &self.encoder);
        v.child("decoder", &self.decoder);
    }
}
