//! The data loader: determinism, coverage, epochs, workers, samplers and collation.

use kindling_data::{
    DataLoader, Dataset, RandomSampler, Sampler, Stack, StratifiedSampler, Subset, TensorDataset, WeightedRandomSampler,
};
use kindling_tensor::{Rng, Tensor};
use proptest::prelude::*;
use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// `n` samples whose feature row is `[i, 10 i]` and whose label is `i`, so a batch tells which
/// samples it holds.
fn numbered(n: usize) -> TensorDataset<f32, i64> {
    let x: Vec<f32> = (0..n).flat_map(|i| [i as f32, 10.0 * i as f32]).collect();
    TensorDataset::new(Tensor::from_vec(x, [n, 2]), Tensor::from_vec((0..n as i64).collect(), [n]))
}

fn labels_of<D: Dataset + 'static>(loader: &DataLoader<D>, epoch: u64) -> Vec<Vec<i64>>
where
    D::Item: Stack<Batch = (Tensor<f32>, Tensor<i64>)>,
{
    loader.iter_epoch(epoch).map(|(_, y)| y.to_vec()).collect()
}

#[test]
fn sequential_batches_with_a_short_last_batch() {
    let loader = DataLoader::new(numbered(10), 4);
    assert_eq!(loader.len(), 3);
    assert_eq!(labels_of(&loader, 0), vec![vec![0, 1, 2, 3], vec![4, 5, 6, 7], vec![8, 9]]);
    let (x, y) = loader.iter_epoch(0).last().unwrap();
    assert_eq!(x.shape(), &[2, 2]);
    assert_eq!(x.to_vec(), vec![8.0, 80.0, 9.0, 90.0]);
    assert_eq!(y.shape(), &[2]);
}

#[test]
fn drop_last_skips_the_short_batch() {
    let loader = DataLoader::new(numbered(10), 4).drop_last(true);
    assert_eq!(loader.len(), 2);
    assert_eq!(labels_of(&loader, 0), vec![vec![0, 1, 2, 3], vec![4, 5, 6, 7]]);
    // Exactly divisible: nothing to drop.
    assert_eq!(DataLoader::new(numbered(8), 4).drop_last(true).len(), 2);
}

#[test]
fn same_seed_same_batches_different_seed_different_batches() {
    let a = DataLoader::new(numbered(100), 16).shuffle(true).seed(42);
    let b = DataLoader::new(numbered(100), 16).shuffle(true).seed(42);
    let c = DataLoader::new(numbered(100), 16).shuffle(true).seed(43);
    for epoch in 0..3 {
        assert_eq!(labels_of(&a, epoch), labels_of(&b, epoch));
        assert_ne!(labels_of(&a, epoch), labels_of(&c, epoch));
    }
    // Features travel with their labels.
    for (x, y) in a.iter_epoch(5) {
        let x = x.to_vec();
        for (r, &label) in y.to_vec().iter().enumerate() {
            assert_eq!(x[2 * r], label as f32);
            assert_eq!(x[2 * r + 1], 10.0 * label as f32);
        }
    }
}

#[test]
fn epochs_are_shuffled_differently_and_replayable() {
    let loader = DataLoader::new(numbered(50), 10).shuffle(true).seed(1);
    let epochs: Vec<Vec<Vec<i64>>> = (0..4).map(|e| labels_of(&loader, e)).collect();
    for i in 0..4 {
        for j in i + 1..4 {
            assert_ne!(epochs[i], epochs[j], "epochs {i} and {j} have the same order");
        }
    }
    // `for batch in &loader` walks epochs 0, 1, 2, ... in turn.
    for expected in &epochs[..3] {
        let got: Vec<Vec<i64>> = (&loader).into_iter().map(|(_, y)| y.to_vec()).collect();
        assert_eq!(&got, expected);
    }
}

#[test]
fn unshuffled_loader_ignores_the_epoch() {
    let loader = DataLoader::new(numbered(7), 3);
    assert_eq!(labels_of(&loader, 0), labels_of(&loader, 9));
}

fn check_coverage(n: usize, batch: usize, drop_last: bool, shuffle: bool, seed: u64) {
    let loader = DataLoader::new(numbered(n), batch).drop_last(drop_last).shuffle(shuffle).seed(seed);
    let batches = labels_of(&loader, seed % 5);
    assert_eq!(batches.len(), loader.len());
    let full = n / batch;
    if drop_last {
        assert_eq!(batches.len(), full);
        assert!(batches.iter().all(|b| b.len() == batch));
    } else {
        assert_eq!(batches.len(), n.div_ceil(batch));
        for (i, b) in batches.iter().enumerate() {
            let expected = if i < full { batch } else { n - full * batch };
            assert_eq!(b.len(), expected);
        }
    }
    let seen: Vec<i64> = batches.concat();
    let distinct: HashSet<i64> = seen.iter().copied().collect();
    assert_eq!(distinct.len(), seen.len(), "a sample appeared twice in one epoch");
    assert!(seen.iter().all(|&i| (0..n as i64).contains(&i)));
    if !drop_last {
        assert_eq!(seen.len(), n, "every sample exactly once");
    } else {
        assert_eq!(seen.len(), full * batch);
    }
}

proptest! {
    #[test]
    fn every_sample_once_per_epoch(n in 1usize..120, batch in 1usize..40, drop_last: bool, shuffle: bool, seed in 0u64..1000) {
        check_coverage(n, batch, drop_last, shuffle, seed);
    }
}

#[test]
fn workers_give_identical_batches() {
    let plain = DataLoader::new(numbered(203), 8).shuffle(true).seed(9);
    let reference: Vec<(Vec<f32>, Vec<i64>)> = plain.iter_epoch(3).map(|(x, y)| (x.to_vec(), y.to_vec())).collect();
    for (workers, prefetch) in [(1, 1), (2, 4), (3, 1), (4, 16)] {
        let loader = DataLoader::new(numbered(203), 8).shuffle(true).seed(9).workers(workers).prefetch(prefetch);
        let got: Vec<(Vec<f32>, Vec<i64>)> = loader.iter_epoch(3).map(|(x, y)| (x.to_vec(), y.to_vec())).collect();
        assert_eq!(got, reference, "workers={workers} prefetch={prefetch}");
    }
}

#[test]
fn workers_keep_order_when_batches_finish_out_of_order() {
    // Batches take varying time, so workers finish them out of order; the reorder buffer
    // must still deliver them in plan order.
    let data: Vec<i64> = (0..60).collect();
    let slow = |items: Vec<i64>| {
        std::thread::sleep(Duration::from_millis((items[0] as u64 * 7) % 5));
        items
    };
    let inline = DataLoader::new(data.clone(), 5).shuffle(true).seed(3).collate_fn(slow);
    let threaded = DataLoader::new(data, 5).shuffle(true).seed(3).workers(3).collate_fn(slow);
    let a: Vec<Vec<i64>> = inline.iter_epoch(0).collect();
    let b: Vec<Vec<i64>> = threaded.iter_epoch(0).collect();
    assert_eq!(a, b);
    assert_eq!(a.len(), 12);
}

#[test]
fn workers_prefetch_a_bounded_number_of_batches() {
    let built = Arc::new(AtomicUsize::new(0));
    let counter = Arc::clone(&built);
    let loader = DataLoader::new((0..100i64).collect::<Vec<_>>(), 2).workers(2).prefetch(3).collate_fn(move |items| {
        counter.fetch_add(1, Ordering::SeqCst);
        items
    });
    let mut batches = loader.iter_epoch(0);
    assert_eq!(batches.next().unwrap(), vec![0, 1]);
    // The workers run ahead of the consumer (wait up to 10 s for that on a busy machine) ...
    let start = std::time::Instant::now();
    while built.load(Ordering::SeqCst) < 4 && start.elapsed() < Duration::from_secs(10) {
        std::thread::sleep(Duration::from_millis(5));
    }
    // ... but no further than the prefetch bound: batch 0 taken, batches 1 to 3 ready.
    std::thread::sleep(Duration::from_millis(100));
    let ahead = built.load(Ordering::SeqCst);
    assert_eq!(ahead, 1 + 3, "batches built after consuming 1 with prefetch 3");
    assert_eq!(batches.count(), 49);
}

#[test]
fn dropping_a_threaded_epoch_early_stops_the_workers() {
    let loader = DataLoader::new(numbered(1000), 10).workers(2).shuffle(true);
    let first: Vec<_> = loader.iter_epoch(0).take(2).collect();
    assert_eq!(first.len(), 2);
    // The loader is still usable afterwards.
    assert_eq!(loader.iter_epoch(1).count(), 100);
}

struct Exploding;

impl Dataset for Exploding {
    type Item = f32;
    fn len(&self) -> usize {
        40
    }
    fn get(&self, index: usize) -> f32 {
        assert!(index != 17, "boom at sample 17");
        index as f32
    }
}

#[test]
#[should_panic(expected = "boom at sample 17")]
fn a_panic_in_a_worker_reaches_the_training_loop() {
    let loader = DataLoader::new(Exploding, 4).workers(2);
    for batch in loader.iter_epoch(0) {
        assert_eq!(batch.rank(), 1);
    }
}

#[test]
fn scalar_items_stack_into_vectors_and_closures_collate() {
    let loader = DataLoader::new(vec![1.0f64, 2.0, 3.0, 4.0, 5.0], 2);
    let batches: Vec<Vec<f64>> = loader.iter_epoch(0).map(|t| t.to_vec()).collect();
    assert_eq!(batches, vec![vec![1.0, 2.0], vec![3.0, 4.0], vec![5.0]]);

    let sums =
        DataLoader::new(vec![1.0f64, 2.0, 3.0, 4.0, 5.0], 2).collate_fn(|items: Vec<f64>| items.iter().sum::<f64>());
    assert_eq!(sums.iter_epoch(0).collect::<Vec<_>>(), vec![3.0, 7.0, 5.0]);
}

#[test]
fn tensor_items_stack_along_a_new_axis() {
    let images: Vec<Tensor<f32>> = (0..5).map(|i| Tensor::full([2, 3], i as f32)).collect();
    let loader = DataLoader::new(images, 2);
    let first = loader.iter_epoch(0).next().unwrap();
    assert_eq!(first.shape(), &[2, 2, 3]);
    assert_eq!(first.to_vec()[6..], [1.0; 6]);
}

#[test]
fn subsets_load_their_own_samples_through_the_fast_path() {
    let parent = Arc::new(numbered(20));
    let sub = Subset::new(Arc::clone(&parent), vec![19, 3, 7, 11, 0]);
    let loader = DataLoader::new(sub, 2);
    assert_eq!(labels_of(&loader, 0), vec![vec![19, 3], vec![7, 11], vec![0]]);
    let (x, _) = loader.iter_epoch(0).next().unwrap();
    assert_eq!(x.to_vec(), vec![19.0, 190.0, 3.0, 30.0]);
}

#[test]
fn weighted_sampler_draws_in_proportion_to_the_weights() {
    let weights = [1.0, 2.0, 3.0, 4.0];
    let draws = 20_000;
    let sampler = WeightedRandomSampler::new(&weights, draws);
    let idx = sampler.indices(4, &mut Rng::seed(5));
    assert_eq!(idx.len(), draws);
    for (i, &w) in weights.iter().enumerate() {
        let freq = idx.iter().filter(|&&j| j == i).count() as f64 / draws as f64;
        let p = w / 10.0;
        // Five standard errors: fails by chance far less than once in a million runs.
        let bound = 5.0 * (p * (1.0 - p) / draws as f64).sqrt();
        assert!((freq - p).abs() < bound, "sample {i}: frequency {freq}, expected {p} ± {bound}");
    }
    // Through a loader: the epoch length is the number of draws, not the dataset size.
    let loader = DataLoader::new(numbered(4), 10).sampler(WeightedRandomSampler::new(&weights, 95)).seed(2);
    assert_eq!(loader.len(), 10);
    assert_eq!(labels_of(&loader, 0).concat().len(), 95);
}

#[test]
fn balanced_weights_equalize_rare_classes() {
    let labels: Vec<i64> = (0..1000).map(|i| if i < 900 { 0 } else { 1 }).collect();
    let idx = WeightedRandomSampler::balanced(&labels).indices(1000, &mut Rng::seed(8));
    let rare = idx.iter().filter(|&&i| labels[i] == 1).count();
    assert!((430..570).contains(&rare), "{rare} of 1000 draws from the rare class");
}

#[test]
fn stratified_batches_keep_class_proportions() {
    // 60% / 30% / 10%, interleaved in an arbitrary order.
    let labels: Vec<i64> = (0..1000).map(|i| [0, 1, 0, 2, 0, 1, 0, 1, 0, 0][i % 10]).collect();
    let ds = TensorDataset::new(Tensor::<f32>::zeros([1000, 1]), Tensor::from_vec(labels.clone(), [1000]));
    let loader = DataLoader::new(ds, 50).sampler(StratifiedSampler::new(&labels)).seed(4);
    for epoch in 0..3 {
        let batches = labels_of(&loader, epoch);
        assert_eq!(batches.concat().iter().collect::<HashSet<_>>().len(), 3);
        for b in &batches {
            for (class, expected) in [(0, 30.0), (1, 15.0), (2, 5.0)] {
                let count = b.iter().filter(|&&l| l == class).count() as f64;
                assert!(
                    (count - expected).abs() <= 2.0,
                    "class {class}: {count} in a batch of 50, expected {expected}"
                );
            }
        }
    }
    // Still a permutation of the dataset.
    let order = StratifiedSampler::new(&labels).indices(1000, &mut Rng::seed(0));
    let mut sorted = order.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, (0..1000).collect::<Vec<_>>());
    // A plain random sampler drifts much further from the proportions in some batch.
    let random = RandomSampler.indices(1000, &mut Rng::seed(0));
    let worst = random
        .chunks(50)
        .map(|b| (b.iter().filter(|&&i| labels[i] == 2).count() as f64 - 5.0).abs())
        .fold(0.0, f64::max);
    assert!(worst > 2.0, "expected some random batch to be unbalanced, worst deviation {worst}");
}

#[test]
#[should_panic(expected = "batch_size must be at least 1")]
fn zero_batch_size_panics() {
    DataLoader::new(numbered(3), 0);
}

#[test]
fn empty_dataset_has_no_batches() {
    let loader = DataLoader::new(Vec::<f32>::new(), 4).workers(2);
    assert!(loader.is_empty());
    assert_eq!(loader.iter_epoch(0).count(), 0);
}
