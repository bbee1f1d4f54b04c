//! Chapter 8 of the Kindling book: custom image datasets and data augmentation.
//!
//! The book includes the code between the `ANCHOR` markers of this file; the demo
//! (`cargo run --release -p ch08-custom-data`, with `KINDLING_DATASETS` set) runs
//! it and writes what the chapter shows. Your exercises are in [`exercises`]; check
//! them with `cargo test -p ch08-custom-data --features learner`.

use kindling_data::{DataLoader, Dataset};
use kindling_nn::{cross_entropy, Forward};
use kindling_optim::{Adam, AdamConfig};
use kindling_tensor::{Rng, Tensor};
use kindling_train::metrics::Accuracy;
use kindling_train::{BatchSource, History, Progress, Trainer};
use kindling_vision::folder::{Augmented, FolderError, ImageFolder, OnError};
use kindling_vision::image::resize;
use kindling_vision::transforms::{
    ColorJitter, Compose, HorizontalFlip, ImageTransform, Normalize,
    RandomResizedCrop, Rotation, TrivialAugmentWide,
};
use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

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

// ANCHOR: load
/// An image folder decoded once and kept in memory, every image resized to `size ×
/// size`.
pub struct Cached {
    pub classes: Vec<String>,
    /// `([3, size, size]` in [0, 1], label) per image, in the folder's order.
    pub samples: Vec<(Tensor<f32>, i64)>,
    /// How often each original (width, height) occurred.
    pub original_sizes: BTreeMap<(u32, u32), usize>,
}

/// Reads every image of the folder `root` (one sub-folder per class) and resizes
/// it. Decoding JPEGs is the slow part, so it is done once here instead of in every
/// epoch.
pub fn load_folder(root: &Path, size: usize) -> Result<Cached, FolderError> {
    let folder = ImageFolder::open(root, OnError::Fail)?;
    let mut original_sizes = BTreeMap::new();
    let mut samples = Vec::with_capacity(folder.len());
    for i in 0..folder.len() {
        let (image, label) = folder.get(i); // [3, H, W], values in [0, 1]
        let (h, w) = (image.shape()[1], image.shape()[2]);
        *original_sizes.entry((w as u32, h as u32)).or_insert(0) += 1;
        samples.push((resize(&image, (size, size)), label));
    }
    Ok(Cached { classes: folder.classes().to_vec(), samples, original_sizes })
}
// ANCHOR_END: load

// ANCHOR: split
/// A stratified split: from every class, a `test_fraction` share of its images
/// (rounded) goes to the test set, chosen by a seeded shuffle; the rest is for
/// training. Returns the (train, test) indices, each sorted.
pub fn split_per_class(
    labels: &[i64],
    test_fraction: f64,
    seed: u64,
) -> (Vec<usize>, Vec<usize>) {
    let mut by_class: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
    for (i, &y) in labels.iter().enumerate() {
        by_class.entry(y).or_default().push(i);
    }
    let mut rng = Rng::seed(seed);
    let (mut train, mut test) = (Vec::new(), Vec::new());
    for (_, mut members) in by_class {
        rng.shuffle(&mut members);
        let n_test = (members.len() as f64 * test_fraction).round() as usize;
        test.extend_from_slice(&members[..n_test]);
        train.extend_from_slice(&members[n_test..]);
    }
    train.sort_unstable();
    test.sort_unstable();
    (train, test)
}
// ANCHOR_END: split

// ANCHOR: pipelines
/// The augmentation pipelines compared in the demo, for `size × size` images. Each
/// ends by normalising every channel with the training set's `stats` (mean, std)
/// when given.
pub fn pipeline(
    name: &str,
    size: usize,
    stats: Option<&(Vec<f32>, Vec<f32>)>,
) -> Option<Compose> {
    let augment = match name {
        "none" => Compose::new(),
        // Hand-picked: a crop of 70-100% of the area resized back, a small
        // rotation, a mirror image half the time, and some change of brightness,
        // contrast and saturation.
        "hand-picked" => Compose::new()
            .then(RandomResizedCrop::new((size, size)).scale(0.7, 1.0))
            .then(Rotation::new(15.0))
            .then(HorizontalFlip::new(0.5))
            .then(ColorJitter::new(0.3, 0.3, 0.3, 0.0)),
        // TrivialAugmentWide: one operation at one random strength per image,
        // nothing to tune.
        "TrivialAugmentWide" => Compose::new().then(TrivialAugmentWide::new()),
        _ => return None,
    };
    Some(match stats {
        Some((mean, std)) => augment.then(Normalize::new(mean, std)),
        None => augment,
    })
}

/// The mean and standard deviation of every channel over all pixels of `samples`.
pub fn channel_stats(samples: &[(Tensor<f32>, i64)]) -> (Vec<f32>, Vec<f32>) {
    let c = samples[0].0.shape()[0];
    let (mut sum, mut sq, mut count) = (vec![0.0f64; c], vec![0.0f64; c], 0usize);
    for (img, _) in samples {
        let plane = img.shape()[1] * img.shape()[2];
        for (ch, values) in img.contiguous().to_vec().chunks(plane).enumerate() {
            sum[ch] += values.iter().map(|&x| x as f64).sum::<f64>();
            sq[ch] += values.iter().map(|&x| (x as f64) * (x as f64)).sum::<f64>();
        }
        count += plane;
    }
    let mean: Vec<f64> = sum.iter().map(|s| s / count as f64).collect();
    let std = sq
        .iter()
        .zip(&mean)
        .map(|(q, m)| (q / count as f64 - m * m).max(0.0).sqrt() as f32)
        .collect();
    (mean.into_iter().map(|m| m as f32).collect(), std)
}
// ANCHOR_END: pipelines

// ANCHOR: augmented_source
/// Batches of an [`Augmented`] dataset for `Trainer::fit`: before handing out epoch
/// `e`, it tells the dataset the epoch, so every image is transformed with a
/// generator seeded from (seed, e, index): a new variant every epoch, and the same
/// ones when the run is repeated.
pub struct AugmentedSource<D: Dataset<Item = (Tensor<f32>, i64)> + 'static> {
    data: Arc<Augmented<D>>,
    loader: DataLoader<Augmented<D>>,
}

impl<D: Dataset<Item = (Tensor<f32>, i64)> + 'static> AugmentedSource<D> {
    pub fn new(
        inner: D,
        transform: impl ImageTransform + 'static,
        batch: usize,
        seed: u64,
    ) -> Self {
        let data = Arc::new(Augmented::new(inner, transform, seed));
        let loader =
            DataLoader::shared(data.clone(), batch).shuffle(true).seed(seed);
        AugmentedSource { data, loader }
    }

    /// Sample `index` as the network sees it in `epoch`.
    pub fn sample(&self, epoch: u64, index: usize) -> (Tensor<f32>, i64) {
        self.data.set_epoch(epoch);
        self.data.get(index)
    }
}

impl<D: Dataset<Item = (Tensor<f32>, i64)> + 'static> BatchSource<Tensor<i64>>
    for AugmentedSource<D>
{
    fn num_batches(&self) -> usize {
        self.loader.len()
    }
    fn epoch_batches(
        &self,
        epoch: u64,
    ) -> Box<dyn Iterator<Item = (Tensor<f32>, Tensor<i64>)> + '_> {
        self.data.set_epoch(epoch);
        Box::new(self.loader.iter_epoch(epoch))
    }
}
// ANCHOR_END: augmented_source

// ANCHOR: train
/// Adam at a constant learning rate, `epochs` passes, accuracy on the training
/// batches (as augmented) and on the untouched test images after every epoch.
pub fn train(
    model: &dyn Forward,
    train: &dyn BatchSource<Tensor<i64>>,
    test: &[(Tensor<f32>, Tensor<i64>)],
    lr: f64,
    epochs: usize,
) -> (History, Duration) {
    let mut optimizer =
        Adam::new(model.parameters(), AdamConfig { lr, ..Default::default() });
    let mut trainer = Trainer::new(model, &mut optimizer, cross_entropy)
        .metric(Accuracy::new())
        .progress(Progress::Auto);
    let test = test.to_vec();
    let start = Instant::now();
    let history = trainer
        .fit(train, Some(&test), epochs)
        .expect("no checkpoints are written")
        .clone();
    (history, start.elapsed())
}
// ANCHOR_END: train

/// Stacks samples into batches of `size` (the test set, the same every epoch).
pub fn batches(
    samples: &[(Tensor<f32>, i64)],
    size: usize,
) -> Vec<(Tensor<f32>, Tensor<i64>)> {
    samples
        .chunks(size)
        .map(|chunk| {
            let xs: Vec<&Tensor<f32>> = chunk.iter().map(|(x, _)| x).collect();
            let ys: Vec<i64> = chunk.iter().map(|(_, y)| *y).collect();
            (Tensor::stack(&xs, 0), Tensor::from_vec(ys, [chunk.len()]))
        })
        .collect()
}

/// Lays `[3, h, w]` images out in a grid with `columns` per row and a white gap of
/// `gap` pixels, as one `[3, H, W]` image (to save as PNG).
pub fn mosaic(images: &[Tensor<f32>], columns: usize, gap: usize) -> Tensor<f32> {
    let (h, w) = (images[0].shape()[1], images[0].shape()[2]);
    let rows = images.len().div_ceil(columns);
    let (ht, wt) = (rows * h + (rows + 1) * gap, columns * w + (columns + 1) * gap);
    let mut out = vec![1.0f32; 3 * ht * wt];
    for (k, img) in images.iter().enumerate() {
        let (r0, c0) =
            (gap + (k / columns) * (h + gap), gap + (k % columns) * (w + gap));
        let v = img.contiguous().to_vec();
        for c in 0..3 {
            for i in 0..h {
                for j in 0..w {
                    out[(c * ht + r0 + i) * wt + c0 + j] =
                        v[(c * h + i) * w + j].clamp(0.0, 1.0);
                }
            }
        }
    }
    Tensor::from_vec(out, [3, ht, wt])
}
