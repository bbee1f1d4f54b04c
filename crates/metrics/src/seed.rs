//! Reproducibility in one call. Kindling has no hidden global generator: every random draw
//! takes an [`Rng`]. [`seed_everything`] gives a [`Seed`] that hands out one independent,
//! named stream per purpose (weight initialisation, dropout, data order, data generation), so
//! the same seed reproduces the same run, and adding a draw for one purpose does not shift
//! the numbers of another.
//!
//! ```
//! use kindling_metrics::seed_everything;
//!
//! let seed = seed_everything(42);
//! let (mut a, mut b) = (seed.init(), seed_everything(42).init());
//! assert_eq!(a.next_u64(), b.next_u64()); // same seed, same stream
//! assert_ne!(seed.init().next_u64(), seed.dropout().next_u64()); // purposes differ
//! ```

use kindling_tensor::Rng;
use std::sync::{Arc, Mutex};

/// A random generator shared between the code that draws from it and a trainer that saves
/// its state in checkpoints (`kindling_train::Trainer::track_rng`).
pub type SharedRng = Arc<Mutex<Rng>>;

/// The root of a run's randomness.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Seed(u64);

/// Starts a reproducible run: the [`Seed`] from which every generator is derived.
pub fn seed_everything(seed: u64) -> Seed {
    Seed(seed)
}

/// FNV-1a: a fixed, platform-independent hash of a purpose name.
fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xCBF2_9CE4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01B3))
}

impl Seed {
    /// The seed value.
    pub fn value(self) -> u64 {
        self.0
    }

    /// The stream for `purpose`: a function of (seed, purpose) only.
    pub fn rng(self, purpose: &str) -> Rng {
        let mut mix = Rng::seed(self.0 ^ fnv1a(purpose).rotate_left(17));
        Rng::seed(mix.next_u64() ^ fnv1a(purpose))
    }

    /// A 64-bit seed for `purpose` (for APIs that take a `u64`, such as
    /// `kindling_data::DataLoader::seed` and the synthetic generators).
    pub fn seed_for(self, purpose: &str) -> u64 {
        self.rng(purpose).next_u64()
    }

    /// The stream for weight initialisation.
    pub fn init(self) -> Rng {
        self.rng("init")
    }

    /// The stream for dropout layers.
    pub fn dropout(self) -> Rng {
        self.rng("dropout")
    }

    /// The seed of the data loader's per-epoch shuffling.
    pub fn loader(self) -> u64 {
        self.seed_for("loader")
    }

    /// The seed for generating or splitting data.
    pub fn data(self) -> u64 {
        self.seed_for("data")
    }

    /// A shared generator for `purpose`, to hand to layers and to
    /// `kindling_train::Trainer::track_rng`.
    pub fn shared(self, purpose: &str) -> SharedRng {
        Arc::new(Mutex::new(self.rng(purpose)))
    }
}
