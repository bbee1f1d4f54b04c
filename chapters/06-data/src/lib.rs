//! Chapter 6 of the Kindling book: datasets, loaders, splits and preprocessing.
//!
//! The book includes the code between the `ANCHOR` markers of this file; the demo
//! (`cargo run --release -p ch06-data`) runs it and writes what the chapter shows.
//! Your exercises are in [`exercises`]; check them with
//! `cargo test -p ch06-data --features learner`.

use kindling_autograd::Variable;
use kindling_data::{
    DataLoader, Dataset, StandardScaler, TargetEncoder, TensorDataset, Transform,
};
use kindling_nn::{cross_entropy, Linear, Module, ReLU, Sequential};
use kindling_optim::{Sgd, SgdConfig};
use kindling_tensor::{Rng, Tensor};
use kindling_train::{train_epoch, EpochStats};
use std::collections::BTreeMap;
use std::sync::mpsc::channel;
use std::sync::{Condvar, Mutex};
use std::time::Duration;

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

// ANCHOR: custom_dataset
/// Noisy samples of y = sin(x) for x in [−3, 3], made on demand: sample `i` is
/// computed from its index and a seed, so nothing is stored and any sample can be
/// read from any thread.
pub struct NoisySine {
    pub n: usize,
    pub seed: u64,
}

impl Dataset for NoisySine {
    type Item = (Tensor<f32>, Tensor<f32>); // ([1] input, [1] target)

    fn len(&self) -> usize {
        self.n
    }

    fn get(&self, index: usize) -> Self::Item {
        assert!(
            index < self.n,
            "NoisySine: index {index} out of range for {} samples",
            self.n
        );
        let mut rng = Rng::seed(
            self.seed ^ (index as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
        );
        let x = -3.0 + 6.0 * index as f32 / self.n as f32;
        let y = x.sin() + 0.1 * rng.normal_f64() as f32;
        (Tensor::from([x]), Tensor::from([y]))
    }
}
// ANCHOR_END: custom_dataset

// ANCHOR: slow_dataset
/// Any dataset, made slow: every `get` first sleeps for `delay`, the way reading
/// and decoding one image file from disk would keep the thread busy. It has no
/// `get_batch` of its own, so a batch is `batch_size` slow reads, stacked.
pub struct Slow<D> {
    pub inner: D,
    pub delay: Duration,
}

impl<D: Dataset> Dataset for Slow<D> {
    type Item = D::Item;

    fn len(&self) -> usize {
        self.inner.len()
    }

    fn get(&self, index: usize) -> D::Item {
        std::thread::sleep(self.delay);
        self.inner.get(index)
    }
}
// ANCHOR_END: slow_dataset

// ANCHOR: loader_plan
/// The positions in each batch of one epoch, for a shuffled loader over `n`
/// samples.
pub fn epoch_plan(
    n: usize,
    batch_size: usize,
    seed: u64,
    epoch: u64,
    drop_last: bool,
) -> Vec<Vec<usize>> {
    let data =
        TensorDataset::new(Tensor::<f32>::zeros([n, 1]), Tensor::<i64>::zeros([n]));
    let loader = DataLoader::new(data, batch_size)
        .shuffle(true)
        .seed(seed)
        .drop_last(drop_last);
    loader.batch_indices(epoch) // the same list that iter_epoch(epoch) fetches
}
// ANCHOR_END: loader_plan

// ANCHOR: keep_fed
/// Blobs of `n` points in `dim` dimensions, one class per blob (a stand-in for
/// decoded images).
pub fn blob_data(n: usize, dim: usize, classes: usize, seed: u64) -> TensorDataset {
    let mut rng = Rng::seed(seed);
    let centers = Tensor::<f32>::randn([classes, dim], &mut rng) * 2.0;
    let labels: Vec<i64> =
        (0..n).map(|_| rng.below(classes as u64) as i64).collect();
    let labels = Tensor::from_vec(labels, [n]);
    let x = &centers.index_select(0, &labels)
        + &Tensor::<f32>::randn([n, dim], &mut rng);
    TensorDataset::new(x, labels)
}

/// One epoch of an MLP on `data`, read through a loader with `workers` background
/// threads. The returned statistics include how long the loop waited for batches.
pub fn one_epoch<D>(
    data: D,
    batch_size: usize,
    workers: usize,
    hidden: usize,
) -> EpochStats
where
    D: Dataset<Item = (Tensor<f32>, Tensor<i64>)> + 'static,
{
    let loader =
        DataLoader::new(data, batch_size).shuffle(true).seed(1).workers(workers);
    let (dim, classes) = {
        let (x, _) = loader.dataset().get(0);
        (x.shape()[0], 10)
    };
    let mut rng = Rng::seed(0);
    let model = Sequential::new()
        .add(Linear::new(dim, hidden, &mut rng))
        .add(ReLU)
        .add(Linear::new(hidden, hidden, &mut rng))
        .add(ReLU)
        .add(Linear::new(hidden, classes, &mut rng));
    let mut opt = Sgd::new(
        model.parameters(),
        SgdConfig { lr: 0.05, momentum: 0.9, ..Default::default() },
    );
    train_epoch(&model, loader.iter_epoch(0), &cross_entropy, &mut opt)
}
// ANCHOR_END: keep_fed

// ANCHOR: leakage
/// Accuracy of the rule "predict 1 when the encoded category is above the training
/// mean" on the training rows and on fresh test rows, for a category that carries
/// **no** information about the target: once with the training rows encoded
/// in-sample, once out of fold.
pub fn target_encoding_leak(
    train_rows: usize,
    categories: usize,
    seed: u64,
) -> [[f64; 2]; 2] {
    let mut rng = Rng::seed(seed);
    let mut draw = |n: usize| -> (Vec<String>, Vec<f64>) {
        let cats =
            (0..n).map(|_| format!("c{}", rng.below(categories as u64))).collect();
        // a coin flip
        let ys = (0..n).map(|_| (rng.uniform_f64() < 0.5) as u8 as f64).collect();
        (cats, ys)
    };
    let (train_c, train_y) = draw(train_rows);
    let (test_c, test_y) = draw(train_rows);
    let accuracy = |enc: &Tensor<f64>, ys: &[f64], cut: f64| {
        let hits = enc
            .to_vec()
            .iter()
            .zip(ys)
            .filter(|(e, y)| ((**e > cut) as u8 as f64) == **y)
            .count();
        hits as f64 / ys.len() as f64
    };
    let mut results = [[0.0; 2]; 2];
    for (row, out_of_fold) in [false, true].into_iter().enumerate() {
        let mut encoder = TargetEncoder::new(1.0);
        let train_enc = if out_of_fold {
            // each row encoded without itself
            encoder.fit_transform_out_of_fold(&train_c, &train_y, 5, seed)
        } else {
            // each row's own target is in its code
            encoder.fit(&train_c, &train_y).transform(&train_c)
        };
        let cut = encoder.global_mean();
        results[row] = [
            accuracy(&train_enc, &train_y, cut),
            accuracy(&encoder.transform(&test_c), &test_y, cut),
        ];
    }
    results
}
// ANCHOR_END: leakage

// ANCHOR: scaling_and_gd
/// Full-batch gradient descent for least squares on `x` `[n, d]` (a bias column is
/// added): returns the mean squared error after every step.
pub fn least_squares_gd(
    x: &Tensor<f64>,
    y: &Tensor<f64>,
    lr: f64,
    steps: usize,
) -> Vec<f64> {
    let n = x.shape()[0];
    let x = Tensor::cat(&[x, &Tensor::ones([n, 1])], 1);
    let mut w = Tensor::<f64>::zeros([x.shape()[1], 1]);
    let mut losses = Vec::with_capacity(steps + 1);
    for _ in 0..=steps {
        let residual = &x.matmul(&w) - y; // [n, 1]
        losses.push(residual.square().mean_all());
        // ∇ of the mean squared error
        let grad = x.t().matmul(&residual) * (2.0 / n as f64);
        w = &w - &(grad * lr);
    }
    losses
}

/// House-price-like data: price = 3·rooms + 0.002·area + noise, with rooms in 1..6
/// and area in square metres (20 to 2000): two features whose scales differ a
/// thousandfold.
pub fn rooms_and_area(n: usize, seed: u64) -> (Tensor<f64>, Tensor<f64>) {
    let mut rng = Rng::seed(seed);
    let mut x = Vec::with_capacity(2 * n);
    let mut y = Vec::with_capacity(n);
    for _ in 0..n {
        let rooms = 1.0 + rng.below(6) as f64;
        let area = 20.0 + 1980.0 * rng.uniform_f64();
        x.extend([rooms, area]);
        y.push(3.0 * rooms + 0.002 * area + 0.5 * rng.normal_f64());
    }
    (Tensor::from_vec(x, [n, 2]), Tensor::from_vec(y, [n, 1]))
}

/// The same gradient descent on raw and on standardized features (the scaler fitted
/// on the training rows). Returns the losses of both runs, each with its own
/// learning rate.
pub fn scaling_comparison(steps: usize) -> (Vec<f64>, Vec<f64>) {
    let (x, y) = rooms_and_area(400, 3);
    // about half the largest rate that does not diverge
    let raw = least_squares_gd(&x, &y, 4e-7, steps);
    let mut scaler = StandardScaler::new();
    let scaled = least_squares_gd(&scaler.fit_transform(&x), &y, 0.3, steps);
    (raw, scaled)
}
// ANCHOR_END: scaling_and_gd

/// A softmax regression (one linear layer) trained full-batch with plain gradient
/// descent; returns the accuracy on `(test_x, test_y)`.
pub fn softmax_regression(
    train_x: &Tensor<f32>,
    train_y: &Tensor<i64>,
    test_x: &Tensor<f32>,
    test_y: &Tensor<i64>,
    epochs: usize,
) -> f64 {
    let classes = 1 + train_y.to_vec().into_iter().max().unwrap_or(0) as usize;
    let model = Linear::new(train_x.shape()[1], classes, &mut Rng::seed(0));
    let mut opt =
        Sgd::new(model.parameters(), SgdConfig { lr: 0.5, ..Default::default() });
    let batches = [(train_x.clone(), train_y.clone())];
    for _ in 0..epochs {
        train_epoch(&model, batches.iter().cloned(), &cross_entropy, &mut opt);
    }
    let logits =
        kindling_nn::Forward::forward(&model, &Variable::constant(test_x.clone()))
            .value();
    let predicted = logits.argmax(-1, false).to_vec();
    let actual = test_y.to_vec();
    predicted.iter().zip(&actual).filter(|(p, a)| p == a).count() as f64
        / actual.len() as f64
}

// ANCHOR: reorder_buffer
/// What [`prefetch_in_order`] observed: the most batches ever claimed but not yet
/// consumed, and the most that ever waited in the reorder buffer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PrefetchStats {
    pub max_in_flight: usize,
    pub max_buffered: usize,
}

/// Builds batches `0..jobs` with `build` on `workers` threads, at most `capacity`
/// batches ahead of the consumer, and hands them to `consume` in order 0, 1, 2, ...
/// whatever order the workers finish in.
pub fn prefetch_in_order<B: Send>(
    jobs: usize,
    workers: usize,
    capacity: usize,
    build: impl Fn(usize) -> B + Sync,
    mut consume: impl FnMut(usize, B),
) -> PrefetchStats {
    // (next batch to claim, batches consumed so far), guarded, and a bell to ring
    // on change.
    let progress = Mutex::new((0usize, 0usize));
    let bell = Condvar::new();
    let (tx, rx) = channel::<(usize, B)>();
    let mut stats = PrefetchStats::default();
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let (tx, progress, bell, build) =
                (tx.clone(), &progress, &bell, &build);
            scope.spawn(move || loop {
                let i = {
                    let mut p = progress.lock().unwrap();
                    while p.0 < jobs && p.0 >= p.1 + capacity {
                        // far enough ahead: wait for the consumer
                        p = bell.wait(p).unwrap();
                    }
                    if p.0 >= jobs {
                        return;
                    }
                    p.0 += 1;
                    p.0 - 1
                };
                if tx.send((i, build(i))).is_err() {
                    return;
                }
            });
        }
        drop(tx);
        let mut waiting: BTreeMap<usize, B> = BTreeMap::new(); // the reorder buffer
        for next in 0..jobs {
            let batch = loop {
                if let Some(b) = waiting.remove(&next) {
                    break b;
                }
                let (i, b) = rx.recv().expect("a worker stopped early");
                waiting.insert(i, b);
                stats.max_buffered = stats.max_buffered.max(waiting.len());
            };
            {
                let mut p = progress.lock().unwrap();
                stats.max_in_flight = stats.max_in_flight.max(p.0 - p.1);
                p.1 = next + 1;
            }
            bell.notify_all();
            consume(next, batch);
        }
    });
    stats
}
// ANCHOR_END: reorder_buffer

// ANCHOR: gather_vs_stack
/// One epoch of batches read two ways from the same in-memory dataset: the default
/// of the `Dataset` trait (one `get` per sample, then a stack) and
/// `TensorDataset`'s own `get_batch` (one `index_select` per tensor). Returns the
/// sum of the batches' first elements, so the work cannot be optimized away.
pub fn read_epoch(
    data: &TensorDataset,
    batch_size: usize,
    one_gather: bool,
) -> f32 {
    let order = Rng::seed(0).permutation(data.len());
    let mut checksum = 0.0;
    for batch in order.chunks(batch_size) {
        let (x, _y) = if one_gather {
            data.get_batch(batch) // [B, ...] in one gather
        } else {
            kindling_data::Stack::stack(
                batch.iter().map(|&i| data.get(i)).collect::<Vec<_>>(),
            )
        };
        checksum += x.get(&[0, 0]);
    }
    checksum
}
// ANCHOR_END: gather_vs_stack

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sine_dataset_batches_and_repeats() {
        let d = NoisySine { n: 100, seed: 3 };
        assert_eq!(d.get(7).1.to_vec(), d.get(7).1.to_vec());
        let loader = DataLoader::new(d, 32);
        let sizes: Vec<usize> =
            loader.iter_epoch(0).map(|(x, _)| x.shape()[0]).collect();
        assert_eq!(sizes, [32, 32, 32, 4]);
    }

    #[test]
    fn epoch_plans_differ_by_epoch_and_repeat_by_seed() {
        let a = epoch_plan(10, 4, 7, 0, false);
        assert_eq!(a, epoch_plan(10, 4, 7, 0, false));
        assert_ne!(a, epoch_plan(10, 4, 7, 1, false));
        assert_eq!(a.len(), 3);
        assert_eq!(epoch_plan(10, 4, 7, 0, true).len(), 2);
    }

    #[test]
    fn workers_do_not_change_the_batches() {
        let data = blob_data(300, 5, 3, 1);
        let plain = DataLoader::new(data.clone(), 32).shuffle(true).seed(4);
        let busy = DataLoader::new(data, 32).shuffle(true).seed(4).workers(3);
        for (a, b) in plain.iter_epoch(2).zip(busy.iter_epoch(2)) {
            assert_eq!(a.0.to_vec(), b.0.to_vec());
            assert_eq!(a.1.to_vec(), b.1.to_vec());
        }
    }

    #[test]
    fn a_slow_loader_is_waited_for() {
        let data = Slow {
            inner: blob_data(256, 8, 10, 2),
            delay: Duration::from_micros(300),
        };
        let stats = one_epoch(data, 64, 0, 16);
        assert_eq!(stats.samples, 256);
        // Without workers every sleep happens inside the loop's wait for the next
        // batch.
        assert!(stats.wait_seconds >= 256.0 * 300e-6, "{}", stats.wait_seconds);
    }

    #[test]
    fn in_sample_target_encoding_leaks() {
        let [[naive_train, naive_test], [oof_train, oof_test]] =
            target_encoding_leak(2000, 400, 1);
        assert!(naive_train > 0.6, "{naive_train}");
        assert!((naive_test - 0.5).abs() < 0.06, "{naive_test}");
        assert!(
            (oof_train - 0.5).abs() < 0.06 && (oof_test - 0.5).abs() < 0.06,
            "{oof_train} {oof_test}"
        );
    }

    #[test]
    fn standardizing_makes_gradient_descent_fast() {
        let (raw, scaled) = scaling_comparison(200);
        assert!(raw.iter().all(|l| l.is_finite()));
        assert!(
            scaled[200] < 0.3 && raw[200] > 1.0,
            "raw {} scaled {}",
            raw[200],
            scaled[200]
        );
    }

    #[test]
    fn the_reorder_buffer_keeps_order_and_its_bound() {
        let mut seen = Vec::new();
        let stats = prefetch_in_order(
            40,
            4,
            3,
            |i| {
                std::thread::sleep(Duration::from_micros(
                    ((i * 7919) % 13) as u64 * 50,
                ));
                i * 10
            },
            |i, b| {
                assert_eq!(b, i * 10);
                seen.push(i);
            },
        );
        assert_eq!(seen, (0..40).collect::<Vec<_>>());
        assert!(stats.max_in_flight <= 3, "{stats:?}");
    }

    #[test]
    fn gather_and_stack_read_the_same_batches() {
        let data = blob_data(100, 4, 3, 5);
        assert_eq!(read_epoch(&data, 16, true), read_epoch(&data, 16, false));
    }
}
