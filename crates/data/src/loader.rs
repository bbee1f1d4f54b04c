//! The [`DataLoader`]: batches of a dataset, in a reproducible order, optionally prepared by
//! background workers while the model trains.
//!
//! One epoch goes in three steps:
//!
//! 1. **Plan.** The [`Sampler`] orders the dataset positions using the epoch's own random
//!    stream, derived from `(seed, epoch)` by [`epoch_rng`]; the order is cut into batches of
//!    `batch_size` (the last one shorter, or dropped with `drop_last`).
//! 2. **Fetch and collate.** Each batch's positions go to the [`Collate`] step, which turns them
//!    into one batch value. The default, [`StackCollate`], calls [`Dataset::get_batch`]: for a
//!    [`TensorDataset`](crate::TensorDataset) that is one `index_select` per tensor.
//! 3. **Deliver.** With `workers(0)` (the default) batches are built on the caller's thread
//!    when asked for. With `workers(n)`, `n` threads build them ahead of time, at most
//!    `prefetch` batches ahead of the consumer, and a reorder buffer hands them out in plan
//!    order. Because the plan is made before any worker starts, the batches are identical
//!    with and without workers.

use crate::dataset::{Dataset, Stack};
use crate::sampler::{RandomSampler, Sampler, SequentialSampler};
use kindling_tensor::Rng;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{channel, Receiver};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;

/// Turns the positions of one batch into the batch value the training loop sees.
pub trait Collate<D: Dataset + ?Sized>: Send + Sync {
    /// The batch type.
    type Batch: Send;

    /// Builds the batch for `indices` (positions in `dataset`, at least one).
    fn collate(&self, dataset: &D, indices: &[usize]) -> Self::Batch;
}

/// The default collation: stack samples along a new axis 0 (see [`Stack`]), using the
/// dataset's own [`Dataset::get_batch`] fast path where it has one.
#[derive(Clone, Copy, Debug, Default)]
pub struct StackCollate;

impl<D: Dataset + ?Sized> Collate<D> for StackCollate
where
    D::Item: Stack,
{
    type Batch = <D::Item as Stack>::Batch;

    fn collate(&self, dataset: &D, indices: &[usize]) -> Self::Batch {
        dataset.get_batch(indices)
    }
}

/// Collation by a closure over the batch's samples (padding variable-length sequences,
/// building dictionaries, random augmentation, ...). Made by [`DataLoader::collate_fn`].
#[derive(Clone, Copy, Debug)]
pub struct CollateFn<F>(pub F);

impl<D, B, F> Collate<D> for CollateFn<F>
where
    D: Dataset + ?Sized,
    B: Send,
    F: Fn(Vec<D::Item>) -> B + Send + Sync,
{
    type Batch = B;

    fn collate(&self, dataset: &D, indices: &[usize]) -> B {
        (self.0)(indices.iter().map(|&i| dataset.get(i)).collect())
    }
}

/// The random stream of epoch `epoch` for a loader seeded with `seed`.
///
/// Each epoch gets its own stream, so epochs are shuffled differently, yet any epoch can be
/// replayed on its own (resuming a run at epoch 7 gives the same batches as running through).
pub fn epoch_rng(seed: u64, epoch: u64) -> Rng {
    let mut base = Rng::seed(seed);
    let mut by_epoch = Rng::seed(epoch ^ 0xD1B5_4A32_D192_ED03);
    let state: [u64; 4] = std::array::from_fn(|_| base.next_u64() ^ by_epoch.next_u64());
    if state == [0; 4] {
        Rng::seed(seed)
    } else {
        Rng::from_state(state)
    }
}

/// Batches of a dataset, epoch after epoch.
///
/// ```
/// use kindling_data::{DataLoader, TensorDataset};
/// use kindling_tensor::Tensor;
///
/// let x = Tensor::<f32>::zeros([10, 3]);
/// let y = Tensor::from_vec((0..10i64).collect(), [10]);
/// let loader = DataLoader::new(TensorDataset::new(x, y), 4).shuffle(true).seed(7);
/// assert_eq!(loader.len(), 3); // 4 + 4 + 2
/// for epoch in 0..2 {
///     for (xb, yb) in loader.iter_epoch(epoch) {
///         assert_eq!(xb.shape()[0], yb.shape()[0]);
///     }
/// }
/// ```
pub struct DataLoader<D, C = StackCollate> {
    dataset: Arc<D>,
    collate: Arc<C>,
    sampler: Arc<dyn Sampler>,
    batch_size: usize,
    drop_last: bool,
    seed: u64,
    workers: usize,
    prefetch: Option<usize>,
    next_epoch: AtomicU64,
}

impl<D: Dataset + 'static> DataLoader<D, StackCollate> {
    /// A loader over `dataset` with batches of `batch_size`, in order, no workers, stacking
    /// samples. Panics if `batch_size == 0`.
    pub fn new(dataset: D, batch_size: usize) -> Self {
        Self::shared(Arc::new(dataset), batch_size)
    }

    /// Like [`DataLoader::new`] for a dataset that is shared with other code (a split's
    /// parent, a dataset also used for evaluation).
    pub fn shared(dataset: Arc<D>, batch_size: usize) -> Self {
        assert!(batch_size > 0, "DataLoader: batch_size must be at least 1");
        DataLoader {
            dataset,
            collate: Arc::new(StackCollate),
            sampler: Arc::new(SequentialSampler),
            batch_size,
            drop_last: false,
            seed: 0,
            workers: 0,
            prefetch: None,
            next_epoch: AtomicU64::new(0),
        }
    }
}

impl<D: Dataset + 'static, C: Collate<D> + 'static> DataLoader<D, C> {
    /// Visit the samples in a fresh random order every epoch (`true`), or in order (`false`,
    /// the default). Replaces any sampler set before.
    pub fn shuffle(mut self, on: bool) -> Self {
        self.sampler = if on { Arc::new(RandomSampler) } else { Arc::new(SequentialSampler) };
        self
    }

    /// The seed from which every epoch's random stream is derived (default 0).
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Skip the last batch of an epoch when it is shorter than `batch_size` (default `false`).
    pub fn drop_last(mut self, on: bool) -> Self {
        self.drop_last = on;
        self
    }

    /// Use a custom [`Sampler`] (weighted, stratified, ...) to order each epoch.
    pub fn sampler(mut self, sampler: impl Sampler + 'static) -> Self {
        self.sampler = Arc::new(sampler);
        self
    }

    /// Build batches on `n` background threads (`0`, the default, builds them on the calling
    /// thread). The batches and their order do not depend on `n`.
    pub fn workers(mut self, n: usize) -> Self {
        self.workers = n;
        self
    }

    /// How many batches the workers may prepare ahead of the consumer (default: two per
    /// worker). Bounds the memory the loader holds. Panics if `n == 0`.
    pub fn prefetch(mut self, n: usize) -> Self {
        assert!(n > 0, "DataLoader::prefetch: must allow at least one batch in flight");
        self.prefetch = Some(n);
        self
    }

    /// Replace the collation step.
    pub fn collate<C2: Collate<D> + 'static>(self, collate: C2) -> DataLoader<D, C2> {
        DataLoader {
            dataset: self.dataset,
            collate: Arc::new(collate),
            sampler: self.sampler,
            batch_size: self.batch_size,
            drop_last: self.drop_last,
            seed: self.seed,
            workers: self.workers,
            prefetch: self.prefetch,
            next_epoch: self.next_epoch,
        }
    }

    /// Collate with a closure that receives the batch's samples in order.
    pub fn collate_fn<B, F>(self, f: F) -> DataLoader<D, CollateFn<F>>
    where
        B: Send,
        F: Fn(Vec<D::Item>) -> B + Send + Sync + 'static,
    {
        self.collate(CollateFn(f))
    }

    /// The dataset.
    pub fn dataset(&self) -> &Arc<D> {
        &self.dataset
    }

    /// The batch size.
    pub fn batch_size(&self) -> usize {
        self.batch_size
    }

    /// The number of batches in one epoch.
    pub fn len(&self) -> usize {
        let n = self.sampler.num_samples(self.dataset.len());
        if self.drop_last {
            n / self.batch_size
        } else {
            n.div_ceil(self.batch_size)
        }
    }

    /// Whether an epoch has no batches.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The dataset positions of every batch of epoch `epoch`, in order.
    pub fn batch_indices(&self, epoch: u64) -> Vec<Vec<usize>> {
        let order = self.sampler.indices(self.dataset.len(), &mut epoch_rng(self.seed, epoch));
        let mut batches: Vec<Vec<usize>> = order.chunks(self.batch_size).map(<[usize]>::to_vec).collect();
        if self.drop_last && batches.last().is_some_and(|b| b.len() < self.batch_size) {
            batches.pop();
        }
        batches
    }

    /// The batches of epoch `epoch`.
    pub fn iter_epoch(&self, epoch: u64) -> Batches<D, C> {
        let plan = Arc::new(self.batch_indices(epoch));
        let source = if self.workers == 0 || plan.len() <= 1 {
            Source::Inline { dataset: Arc::clone(&self.dataset), collate: Arc::clone(&self.collate) }
        } else {
            let capacity = self.prefetch.unwrap_or(2 * self.workers);
            Source::Workers(WorkerPool::start(
                Arc::clone(&self.dataset),
                Arc::clone(&self.collate),
                Arc::clone(&plan),
                self.workers,
                capacity,
            ))
        };
        Batches { plan, next: 0, source }
    }
}

impl<D: Dataset + 'static, C: Collate<D> + 'static> std::fmt::Debug for DataLoader<D, C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DataLoader")
            .field("samples", &self.dataset.len())
            .field("batch_size", &self.batch_size)
            .field("drop_last", &self.drop_last)
            .field("seed", &self.seed)
            .field("workers", &self.workers)
            .finish()
    }
}

/// `for batch in &loader` runs the next epoch: the first loop is epoch 0, the second epoch 1,
/// and so on, as with a PyTorch loader. Use [`DataLoader::iter_epoch`] to name the epoch.
impl<D: Dataset + 'static, C: Collate<D> + 'static> IntoIterator for &DataLoader<D, C> {
    type Item = C::Batch;
    type IntoIter = Batches<D, C>;

    fn into_iter(self) -> Batches<D, C> {
        let epoch = self.next_epoch.fetch_add(1, Ordering::Relaxed);
        self.iter_epoch(epoch)
    }
}

/// The batches of one epoch, in plan order. Dropping it early stops the workers.
pub struct Batches<D: Dataset, C: Collate<D>> {
    plan: Arc<Vec<Vec<usize>>>,
    next: usize,
    source: Source<D, C>,
}

enum Source<D: Dataset, C: Collate<D>> {
    Inline { dataset: Arc<D>, collate: Arc<C> },
    Workers(WorkerPool<C::Batch>),
}

impl<D: Dataset, C: Collate<D>> Iterator for Batches<D, C> {
    type Item = C::Batch;

    fn next(&mut self) -> Option<C::Batch> {
        if self.next >= self.plan.len() {
            return None;
        }
        let i = self.next;
        self.next += 1;
        Some(match &mut self.source {
            Source::Inline { dataset, collate } => collate.collate(dataset, &self.plan[i]),
            Source::Workers(pool) => pool.take(i),
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.plan.len() - self.next;
        (left, Some(left))
    }
}

impl<D: Dataset, C: Collate<D>> ExactSizeIterator for Batches<D, C> {}

/// Where the workers stand: the next batch to claim, how many the consumer has taken, and
/// whether to stop.
struct Progress {
    claimed: usize,
    consumed: usize,
    stop: bool,
}

struct Shared {
    progress: Mutex<Progress>,
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Progress> {
        // A worker that panicked while holding the lock leaves plain counters behind; they are
        // still meaningful, so poisoning is ignored.
        self.progress.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn stop(&self) {
        self.lock().stop = true;
        self.changed.notify_all();
    }
}

/// Stops the other workers when one panics, so the consumer sees the panic instead of waiting.
struct StopOnPanic(Arc<Shared>);

impl Drop for StopOnPanic {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.stop();
        }
    }
}

struct WorkerPool<B> {
    shared: Arc<Shared>,
    results: Receiver<(usize, B)>,
    ready: BTreeMap<usize, B>,
    handles: Vec<JoinHandle<()>>,
}

impl<B: Send + 'static> WorkerPool<B> {
    fn start<D, C>(
        dataset: Arc<D>,
        collate: Arc<C>,
        plan: Arc<Vec<Vec<usize>>>,
        workers: usize,
        capacity: usize,
    ) -> Self
    where
        D: Dataset + 'static,
        C: Collate<D, Batch = B> + 'static,
    {
        let shared = Arc::new(Shared {
            progress: Mutex::new(Progress { claimed: 0, consumed: 0, stop: false }),
            changed: Condvar::new(),
        });
        let (tx, results) = channel();
        let handles = (0..workers)
            .map(|w| {
                let (dataset, collate, plan, shared, tx) =
                    (Arc::clone(&dataset), Arc::clone(&collate), Arc::clone(&plan), Arc::clone(&shared), tx.clone());
                std::thread::Builder::new()
                    .name(format!("kindling-loader-{w}"))
                    .spawn(move || {
                        let _guard = StopOnPanic(Arc::clone(&shared));
                        loop {
                            let i = {
                                let mut p = shared.lock();
                                loop {
                                    if p.stop || p.claimed >= plan.len() {
                                        return;
                                    }
                                    if p.claimed < p.consumed + capacity {
                                        break;
                                    }
                                    p = shared.changed.wait(p).unwrap_or_else(|e| e.into_inner());
                                }
                                p.claimed += 1;
                                p.claimed - 1
                            };
                            let batch = collate.collate(&dataset, &plan[i]);
                            if tx.send((i, batch)).is_err() {
                                return;
                            }
                        }
                    })
                    .expect("DataLoader: cannot start a worker thread")
            })
            .collect();
        WorkerPool { shared, results, ready: BTreeMap::new(), handles }
    }
}

impl<B> WorkerPool<B> {
    /// Waits for batch `i` (batches arrive in any order; earlier arrivals wait in `ready`).
    fn take(&mut self, i: usize) -> B {
        let batch = loop {
            if let Some(b) = self.ready.remove(&i) {
                break b;
            }
            match self.results.recv() {
                Ok((j, b)) => {
                    self.ready.insert(j, b);
                }
                Err(_) => self.rethrow(i),
            }
        };
        self.shared.lock().consumed = i + 1;
        self.shared.changed.notify_all();
        batch
    }

    /// Every worker has exited without producing batch `i`: one of them panicked.
    fn rethrow(&mut self, i: usize) -> ! {
        for handle in self.handles.drain(..) {
            if let Err(payload) = handle.join() {
                std::panic::resume_unwind(payload);
            }
        }
        panic!("DataLoader: the workers stopped before producing batch {i}");
    }
}

impl<B> Drop for WorkerPool<B> {
    fn drop(&mut self) {
        self.shared.stop();
        for handle in self.handles.drain(..) {
            // A worker's panic has already reached the consumer (or the consumer stopped
            // early and no longer cares); do not panic again while dropping.
            let _ = handle.join();
        }
    }
}
