//! The training loop written out: one step, one epoch, one evaluation pass. [`crate::Trainer`]
//! is built from these functions; the book shows them first.
//!
//! One training step is the five moves of the course: forward, loss, zero the gradients,
//! backward, step. An evaluation pass puts the model in evaluation mode (dropout off, batch
//! norm on running statistics), records no graph ([`no_grad`]) and only measures.
//!
//! # Any kind of input
//!
//! A batch is a pair `(x, y)`. For an image or tabular model `x` is a `Tensor<f32>`, but a
//! language model reads token ids (`Tensor<i64>`), a padded batch brings a mask beside them,
//! and an encoder-decoder reads two sequences. So the loops are generic over what `x` is, and
//! [`ModelInput`] says how it reaches the model: a `Tensor<f32>` becomes a constant
//! [`Variable`] (no gradient flows into the data), and anything a model reads as it is
//! (`Tensor<i64>`, a tuple, your own struct) is handed over by reference.
//!
//! The type parameters, in every function below: `M` the model, `X` a batch's inputs, `I`
//! what the model reads (`M: Forward<f32, I>`, reached from `X` through [`ModelInput`]), `Y`
//! the targets, `L` the loss function, `O` the optimizer, `B` the batches.

use crate::metrics::Metric;
use kindling_autograd::{no_grad, Variable};
use kindling_data::{Collate, DataLoader, Dataset};
use kindling_nn::Forward;
use kindling_optim::Optimizer;
use kindling_tensor::Tensor;
use std::borrow::Cow;
use std::time::{Duration, Instant};

/// How a batch's inputs `X` become the input `I` a model reads.
///
/// Two rules cover the common cases: a `Tensor<f32>` batch becomes a constant
/// `Variable<f32>`, which is what a [`kindling_nn::Sequential`] reads, and any type reaches a
/// model that reads that same type unchanged (token ids, `(tokens, mask)` tuples, a struct of
/// several inputs). For something else, implement it for your batch type.
pub trait ModelInput<I: Clone> {
    /// The model's input: borrowed when the batch already is one, built when it must be.
    fn model_input(&self) -> Cow<'_, I>;
}

/// Features are data, not parameters: wrapped as a constant, they get no gradient.
impl ModelInput<Variable> for Tensor<f32> {
    fn model_input(&self) -> Cow<'_, Variable> {
        Cow::Owned(Variable::constant(self.clone()))
    }
}

/// A model that reads the batch's own type gets the batch itself.
impl<I: Clone> ModelInput<I> for I {
    fn model_input(&self) -> Cow<'_, I> {
        Cow::Borrowed(self)
    }
}

/// What a batch's targets are: class labels (`Tensor<i64>`) or regression values
/// (`Tensor<f32>`), or anything else a loss function takes, as long as it knows how many
/// samples it holds.
pub trait Target: Send + 'static {
    /// The number of samples in the batch (the length of axis 0).
    fn batch_len(&self) -> usize;
}

impl Target for Tensor<i64> {
    fn batch_len(&self) -> usize {
        self.shape().first().copied().unwrap_or(1)
    }
}

impl Target for Tensor<f32> {
    fn batch_len(&self) -> usize {
        self.shape().first().copied().unwrap_or(1)
    }
}

/// Where an epoch's batches `(X, Y)` come from: a [`DataLoader`] (epoch `e` is shuffled from
/// `(seed, e)`, so a resumed run sees the same batches) or a fixed list of batches. The inputs
/// `X` are features (`Tensor<f32>`) unless said otherwise.
pub trait BatchSource<Y, X = Tensor<f32>> {
    /// The number of batches per epoch.
    fn num_batches(&self) -> usize;
    /// The batches of epoch `epoch` (counted from 0).
    fn epoch_batches(&self, epoch: u64) -> Box<dyn Iterator<Item = (X, Y)> + '_>;
}

impl<D, C, X, Y> BatchSource<Y, X> for DataLoader<D, C>
where
    D: Dataset + 'static,
    C: Collate<D, Batch = (X, Y)> + 'static,
{
    fn num_batches(&self) -> usize {
        self.len()
    }
    fn epoch_batches(&self, epoch: u64) -> Box<dyn Iterator<Item = (X, Y)> + '_> {
        Box::new(self.iter_epoch(epoch))
    }
}

/// The same batches every epoch, in order (a whole small dataset as one batch, say).
impl<X: Clone, Y: Clone> BatchSource<Y, X> for Vec<(X, Y)> {
    fn num_batches(&self) -> usize {
        self.len()
    }
    fn epoch_batches(&self, _epoch: u64) -> Box<dyn Iterator<Item = (X, Y)> + '_> {
        Box::new(self.iter().cloned())
    }
}

/// The result of one pass over the data.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EpochStats {
    /// The mean loss per sample (each batch's loss weighted by its size).
    pub loss: f64,
    /// Samples seen.
    pub samples: usize,
    /// Batches seen.
    pub batches: usize,
    /// Wall time of the whole pass, in seconds.
    pub seconds: f64,
    /// Of that, the time spent waiting for the next batch (inside the iterator's `next`).
    pub wait_seconds: f64,
    /// Each metric's value over the pass, by name.
    pub metrics: Vec<(String, f64)>,
}

impl EpochStats {
    /// Throughput in samples per second.
    pub fn samples_per_second(&self) -> f64 {
        if self.seconds > 0.0 {
            self.samples as f64 / self.seconds
        } else {
            0.0
        }
    }

    /// The fraction of the pass spent waiting for data (0 when the loader keeps up).
    pub fn wait_fraction(&self) -> f64 {
        if self.seconds > 0.0 {
            self.wait_seconds / self.seconds
        } else {
            0.0
        }
    }

    /// The value of the metric `name`.
    pub fn metric(&self, name: &str) -> Option<f64> {
        self.metrics.iter().find(|(n, _)| n == name).map(|(_, v)| *v)
    }
}

/// Whether a loop goes on after a hook has run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    /// Go on.
    Continue,
    /// Stop training (after the current batch or epoch).
    Stop,
}

/// Where an epoch stands after a batch, as seen by progress bars and batch hooks.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BatchInfo {
    /// The batch's index in the epoch, from 0.
    pub index: usize,
    /// The number of batches in the epoch.
    pub batches: usize,
    /// This batch's loss.
    pub loss: f64,
    /// The mean loss per sample so far in the epoch.
    pub running_loss: f64,
    /// Samples seen so far in the epoch.
    pub samples: usize,
    /// Seconds since the epoch started.
    pub elapsed: f64,
}

/// One training step on one batch: forward, loss, zero the gradients, backward, update.
/// Returns the loss and the model's outputs (detached, for metrics).
pub fn train_step<M, X, I, Y, L, O>(model: &M, x: &X, y: &Y, loss_fn: &L, optimizer: &mut O) -> (f64, Tensor<f32>)
where
    M: Forward<f32, I> + ?Sized,
    X: ModelInput<I>,
    I: Clone,
    L: Fn(&Variable, &Y) -> Variable + ?Sized,
    O: Optimizer + ?Sized,
{
    let outputs = model.forward(&x.model_input());
    let loss = loss_fn(&outputs, y);
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
    (f64::from(loss.item()), outputs.value())
}

/// One evaluation step: forward and loss without recording a graph. The caller sets
/// evaluation mode (see [`evaluate`]).
pub fn eval_step<M, X, I, Y, L>(model: &M, x: &X, y: &Y, loss_fn: &L) -> (f64, Tensor<f32>)
where
    M: Forward<f32, I> + ?Sized,
    X: ModelInput<I>,
    I: Clone,
    L: Fn(&Variable, &Y) -> Variable + ?Sized,
{
    no_grad(|| {
        let outputs = model.forward(&x.model_input());
        let loss = loss_fn(&outputs, y);
        (f64::from(loss.item()), outputs.value())
    })
}

/// The model's outputs for `x` in evaluation mode, without a graph (the previous mode is
/// restored afterwards).
pub fn predict<M, X, I>(model: &M, x: &X) -> Tensor<f32>
where
    M: Forward<f32, I> + ?Sized,
    X: ModelInput<I>,
    I: Clone,
{
    let was_training = model.is_training();
    model.eval();
    let out = no_grad(|| model.forward(&x.model_input()).value());
    model.set_training(was_training);
    out
}

/// One epoch of training over `batches`: the model in training mode, a [`train_step`] per
/// batch. Returns the mean loss, the sample count and the timing.
///
/// `batches` is anything that yields `(inputs, targets)`: `loader.iter_epoch(epoch)`, or
/// `&loader` for the loader's next epoch.
pub fn train_epoch<M, X, I, Y, L, O, B>(model: &M, batches: B, loss_fn: &L, optimizer: &mut O) -> EpochStats
where
    M: Forward<f32, I> + ?Sized,
    X: ModelInput<I>,
    I: Clone,
    Y: Target,
    L: Fn(&Variable, &Y) -> Variable + ?Sized,
    O: Optimizer + ?Sized,
    B: IntoIterator<Item = (X, Y)>,
{
    train_epoch_with(model, batches, loss_fn, optimizer, &mut [], &mut |_| Control::Continue)
}

/// [`train_epoch`] that also updates `metrics` with every batch's outputs and calls
/// `on_batch` after every batch (a [`Control::Stop`] ends the epoch early).
pub fn train_epoch_with<M, X, I, Y, L, O, B>(
    model: &M,
    batches: B,
    loss_fn: &L,
    optimizer: &mut O,
    metrics: &mut [Box<dyn Metric<Y>>],
    on_batch: &mut dyn FnMut(&BatchInfo) -> Control,
) -> EpochStats
where
    M: Forward<f32, I> + ?Sized,
    X: ModelInput<I>,
    I: Clone,
    Y: Target,
    L: Fn(&Variable, &Y) -> Variable + ?Sized,
    O: Optimizer + ?Sized,
    B: IntoIterator<Item = (X, Y)>,
{
    model.train();
    run_epoch(batches, metrics, on_batch, |x, y| train_step(model, x, y, loss_fn, optimizer))
}

/// Measures the model on `batches`: evaluation mode, no graph, the mean loss and every
/// metric (reset first). The model's previous mode is restored afterwards.
pub fn evaluate<M, X, I, Y, L, B>(model: &M, batches: B, loss_fn: &L, metrics: &mut [Box<dyn Metric<Y>>]) -> EpochStats
where
    M: Forward<f32, I> + ?Sized,
    X: ModelInput<I>,
    I: Clone,
    Y: Target,
    L: Fn(&Variable, &Y) -> Variable + ?Sized,
    B: IntoIterator<Item = (X, Y)>,
{
    evaluate_with(model, batches, loss_fn, metrics, &mut |_| Control::Continue)
}

/// [`evaluate`] with a hook after every batch (progress bars).
pub fn evaluate_with<M, X, I, Y, L, B>(
    model: &M,
    batches: B,
    loss_fn: &L,
    metrics: &mut [Box<dyn Metric<Y>>],
    on_batch: &mut dyn FnMut(&BatchInfo) -> Control,
) -> EpochStats
where
    M: Forward<f32, I> + ?Sized,
    X: ModelInput<I>,
    I: Clone,
    Y: Target,
    L: Fn(&Variable, &Y) -> Variable + ?Sized,
    B: IntoIterator<Item = (X, Y)>,
{
    let was_training = model.is_training();
    model.eval();
    let stats = run_epoch(batches, metrics, on_batch, |x, y| eval_step(model, x, y, loss_fn));
    model.set_training(was_training);
    stats
}

/// The loop shared by training and evaluation: time the wait for each batch, run the step,
/// update the metrics, report.
fn run_epoch<X, Y: Target, B: IntoIterator<Item = (X, Y)>>(
    batches: B,
    metrics: &mut [Box<dyn Metric<Y>>],
    on_batch: &mut dyn FnMut(&BatchInfo) -> Control,
    mut step: impl FnMut(&X, &Y) -> (f64, Tensor<f32>),
) -> EpochStats {
    metrics.iter_mut().for_each(|m| m.reset());
    let mut iter = batches.into_iter();
    let total_batches = iter.size_hint().0;
    let start = Instant::now();
    let mut waited = Duration::ZERO;
    let (mut loss_sum, mut samples, mut index) = (0.0, 0usize, 0usize);
    loop {
        let asked = Instant::now();
        let Some((x, y)) = iter.next() else { break };
        waited += asked.elapsed();
        let n = y.batch_len();
        let (loss, outputs) = step(&x, &y);
        for m in metrics.iter_mut() {
            m.update(&outputs, &y);
        }
        loss_sum += loss * n as f64;
        samples += n;
        let info = BatchInfo {
            index,
            batches: total_batches.max(index + 1),
            loss,
            running_loss: loss_sum / samples.max(1) as f64,
            samples,
            elapsed: start.elapsed().as_secs_f64(),
        };
        index += 1;
        if on_batch(&info) == Control::Stop {
            break;
        }
    }
    EpochStats {
        loss: if samples > 0 { loss_sum / samples as f64 } else { f64::NAN },
        samples,
        batches: index,
        seconds: start.elapsed().as_secs_f64(),
        wait_seconds: waited.as_secs_f64(),
        metrics: metrics.iter().map(|m| (m.name(), m.value())).collect(),
    }
}
