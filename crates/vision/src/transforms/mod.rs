//! Transforms and augmentation: functions on `[C, H, W]` f32 images with values in [0, 1]
//! ([`functional`]), and [`ImageTransform`]s that draw their random parameters from a generator,
//! chained into a [`Compose`] pipeline.
//!
//! Augmentation shows the network a new random variant of every image in every epoch. To keep
//! runs reproducible, the generator for one image is seeded from `(seed, epoch, index)`
//! ([`sample_rng`]): the same run draws the same variants, whichever worker thread loads the
//! image and in whatever order.
//!
//! ```
//! use kindling_tensor::{Rng, Tensor};
//! use kindling_vision::transforms::{Compose, HorizontalFlip, Normalize, RandomResizedCrop};
//!
//! let pipeline = Compose::new()
//!     .then(RandomResizedCrop::new((32, 32)))
//!     .then(HorizontalFlip::new(0.5))
//!     .then(Normalize::new(&[0.5, 0.5, 0.5], &[0.5, 0.5, 0.5]));
//! let img = Tensor::<f32>::rand([3, 48, 64], &mut Rng::seed(0));
//! let a = pipeline.apply_seeded(&img, 7, 0, 12);
//! assert_eq!(a.shape(), [3, 32, 32]);
//! assert_eq!(a.to_vec(), pipeline.apply_seeded(&img, 7, 0, 12).to_vec()); // same (seed, epoch, index)
//! ```
//!
//! The steps live in one file per kind: [`functional`] holds the plain image functions,
//! `geometric.rs` the steps that move pixels (crops, flips, rotations, warps), `photometric.rs`
//! the steps that change values (colour, noise, erasing, normalising), and `trivial_augment.rs`
//! TrivialAugmentWide. This file holds what they share: the [`ImageTransform`] trait, the
//! [`Compose`] pipeline and the per-image generator.

use kindling_tensor::{Rng, Tensor};

pub mod functional;
mod geometric;
mod photometric;
mod trivial_augment;

pub use geometric::{
    CenterCrop, HorizontalFlip, RandomAffine, RandomCrop, RandomResizedCrop, Resize, Rotation, VerticalFlip,
};
pub use photometric::{ColorJitter, GaussianNoise, Grayscale, Normalize, RandomErasing};
pub use trivial_augment::{AugmentOp, TrivialAugmentWide};

/// The generator for image `index` in `epoch` of a run seeded with `seed`: the three numbers
/// are mixed (SplitMix64 steps), so neighbouring indices or epochs get unrelated streams.
pub fn sample_rng(seed: u64, epoch: u64, index: u64) -> Rng {
    fn mix(mut z: u64) -> u64 {
        z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    Rng::seed(mix(mix(mix(seed) ^ epoch) ^ index))
}

/// One step of a pipeline: maps an image to an image, drawing any randomness from `rng`.
///
/// Not `Transform`: that is `kindling_data`'s scikit-learn-style fit/transform step.
pub trait ImageTransform: Send + Sync {
    fn apply(&self, img: &Tensor<f32>, rng: &mut Rng) -> Tensor<f32>;
}

/// Transforms applied in order.
#[derive(Default)]
pub struct Compose {
    steps: Vec<Box<dyn ImageTransform>>,
}

impl Compose {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a step (builder style).
    pub fn then(mut self, t: impl ImageTransform + 'static) -> Self {
        self.steps.push(Box::new(t));
        self
    }

    pub fn len(&self) -> usize {
        self.steps.len()
    }

    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// Runs the pipeline with the generator of `(seed, epoch, index)` (see [`sample_rng`]).
    pub fn apply_seeded(&self, img: &Tensor<f32>, seed: u64, epoch: u64, index: u64) -> Tensor<f32> {
        self.apply(img, &mut sample_rng(seed, epoch, index))
    }
}

impl ImageTransform for Compose {
    fn apply(&self, img: &Tensor<f32>, rng: &mut Rng) -> Tensor<f32> {
        self.steps.iter().fold(img.clone(), |x, t| t.apply(&x, rng))
    }
}

/// Any closure `Fn(&Tensor<f32>, &mut Rng) -> Tensor<f32>` is a transform.
impl<F: Fn(&Tensor<f32>, &mut Rng) -> Tensor<f32> + Send + Sync> ImageTransform for F {
    fn apply(&self, img: &Tensor<f32>, rng: &mut Rng) -> Tensor<f32> {
        self(img, rng)
    }
}

/// How geometric transforms read between pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interpolation {
    Nearest,
    Bilinear,
}

fn uniform(rng: &mut Rng, lo: f64, hi: f64) -> f64 {
    lo + (hi - lo) * rng.uniform_f64()
}

fn coin(rng: &mut Rng, p: f64) -> bool {
    rng.uniform_f64() < p
}
