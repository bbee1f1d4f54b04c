//! Kindling's recurrent networks: cells, multi-layer and bidirectional layers, padded batches,
//! truncated backpropagation through time.
//!
//! ```
//! use kindling_autograd::Variable;
//! use kindling_sequence::{Lstm, RecurrentOptions};
//! use kindling_tensor::{Rng, Tensor};
//!
//! let mut rng = Rng::seed(0);
//! // PyTorch: nn.LSTM(10, 20, batch_first=True) on x of shape (5, 3, 10).
//! let lstm = Lstm::<f32>::with_options(10, 20, RecurrentOptions::default().batch_first(true), &mut rng);
//! let x = Variable::constant(Tensor::randn([5, 3, 10], &mut rng));
//! let (output, state) = lstm.forward_with_state(&x, None);
//! assert_eq!(output.shape(), [5, 3, 20]);
//! assert_eq!(state.h.shape(), [1, 5, 20]);
//! assert_eq!(state.c.unwrap().shape(), [1, 5, 20]);
//! ```
//!
//! - [`cell`]: [`RnnCell`], [`LstmCell`], [`GruCell`], and [`cell::step`], one time step
//!   written from differentiable ops: what the fast layer is tested against.
//! - [`Rnn`], [`Lstm`], [`Gru`]: PyTorch's `nn.RNN`, `nn.LSTM`, `nn.GRU` with the same options
//!   ([`RecurrentOptions`]), parameter names (`weight_ih_l0`, `bias_hh_l1_reverse`, …) and
//!   initialisation, so state dicts move both ways. Each layer and direction runs as one fused
//!   op (`kindling_autograd::recurrent`); `KINDLING_KERNELS=naive` unrolls the cells instead.
//! - [`padded`]: padding a batch of sequences, lengths, masks for losses; layers take the
//!   lengths in [`Recurrent::forward_padded`].
//! - [`RecurrentState::detach`]: carry the state across batches, cut the graph (truncated BPTT).
//! - [`lm`]: [`RecurrentLm`], a character- (or token-) level language model with sampling, and
//!   its batches: random windows and contiguous streams ([`StreamBatches`]).
//! - [`forecast`]: time-series forecasting: [`sliding_windows`], [`time_split`], the
//!   [`Forecaster`] (a recurrent encoder and a linear head, direct multi-step, or iterated one
//!   step with [`Forecaster::predict_recursive`]) and the [`last_value_forecast`] baseline.
//! - [`seq2seq`]: encoder–decoder models with attention (Bahdanau, Luong), teacher forcing with
//!   a schedule, greedy and beam-search decoding (book chapter 12).
//! - [`word2vec`]: skip-gram and CBOW word vectors with negative sampling, trained by a
//!   hand-written multithreaded SGD ([`Word2Vec`]), and their queries ([`WordVectors`]).
//!
//! The book explains all of it in chapter 10, "Recurrent networks" (`book/src/10-recurrent.md`,
//! code in `chapters/10-recurrent`).

pub mod cell;
pub mod forecast;
mod layer;
pub mod lm;
pub mod padded;
pub mod seq2seq;
pub mod word2vec;

pub use cell::{CellKind, CellWeights, GruCell, LstmCell, RnnCell};
pub use forecast::{last_value_forecast, sliding_windows, time_split, Forecaster};
pub use layer::{unrolled, Gru, Lstm, Recurrent, RecurrentOptions, RecurrentState, Rnn};
pub use lm::{RecurrentLm, StreamBatches};
pub use padded::{mask_targets, pad_sequences, sequence_mask};
pub use word2vec::{Word2Vec, Word2VecConfig, WordVectors};
