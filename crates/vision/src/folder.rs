//! Image datasets on disk: [`ImageFolder`] (one folder per class, like torchvision's
//! `ImageFolder`) and [`Augmented`], which runs a seeded transform pipeline on any dataset of
//! `(image, label)` pairs with a fresh random variant every epoch.
//!
//! ```no_run
//! use kindling_data::{DataLoader, Dataset};
//! use kindling_vision::folder::{Augmented, ImageFolder, OnError};
//! use kindling_vision::transforms::{Compose, HorizontalFlip, Resize};
//!
//! let folder = ImageFolder::open("data/sign-language-digits/Dataset", OnError::Skip)?;
//! println!("{} images of {} classes, {} skipped", folder.len(), folder.classes().len(), folder.skipped().len());
//! let train = Augmented::new(folder, Compose::new().then(Resize::new((64, 64))).then(HorizontalFlip::new(0.5)), 42);
//! let loader = DataLoader::new(train, 32).shuffle(true).seed(42);
//! for epoch in 0..3 {
//!     loader.dataset().set_epoch(epoch);
//!     for (images, labels) in loader.iter_epoch(epoch) {
//!         // images: [32, 3, 64, 64], labels: [32]
//!     }
//! }
//! # Ok::<(), kindling_vision::folder::FolderError>(())
//! ```

use crate::image::{self, ColorMode, ImageError};
use crate::transforms::{sample_rng, ImageTransform};
use kindling_data::Dataset;
use kindling_tensor::Tensor;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// What to do with a file that cannot be read or decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OnError {
    /// Refuse: opening fails listing every bad file, and a file found corrupt later panics with
    /// its path when it is read.
    Fail,
    /// Leave it out and report it: [`ImageFolder::skipped`] lists it with the reason, and a file
    /// found corrupt only when read is replaced by the next readable image.
    Skip,
}

/// Opening an image folder failed.
#[derive(Debug)]
pub enum FolderError {
    /// The root cannot be listed (missing, not a directory, no permission).
    Io { path: PathBuf, reason: String },
    /// No class folder with images was found.
    Empty { root: PathBuf },
    /// Unreadable or corrupt images, under [`OnError::Fail`].
    BadImages(Vec<ImageError>),
}

impl fmt::Display for FolderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FolderError::Io { path, reason } => write!(f, "cannot list image folder {}: {reason}", path.display()),
            FolderError::Empty { root } => write!(
                f,
                "image folder {} has no class folders with .png/.jpg/.jpeg files (expected root/<class>/<image>)",
                root.display()
            ),
            FolderError::BadImages(errors) => {
                writeln!(
                    f,
                    "{} unreadable or corrupt images (open with OnError::Skip to leave them out):",
                    errors.len()
                )?;
                for e in errors {
                    writeln!(f, "  {e}")?;
                }
                Ok(())
            }
        }
    }
}

impl std::error::Error for FolderError {}

fn is_image(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "png" | "jpg" | "jpeg"))
}

fn sorted_entries(dir: &Path) -> Result<Vec<PathBuf>, FolderError> {
    let io = |e: std::io::Error| FolderError::Io { path: dir.to_path_buf(), reason: e.to_string() };
    let mut entries: Vec<PathBuf> =
        std::fs::read_dir(dir).map_err(io)?.map(|e| e.map(|e| e.path())).collect::<Result<_, _>>().map_err(io)?;
    entries.sort();
    Ok(entries)
}

/// A labelled image dataset laid out as `root/<class>/<image>`: classes are the sub-folder
/// names in sorted order (label `i` is `classes()[i]`), images are the `.png`, `.jpg` and
/// `.jpeg` files inside (any case), also in sorted order. Items are `(image, label)` with the
/// image a `[C, H, W]` f32 tensor in [0, 1] at its own size: resize in a transform pipeline
/// ([`Augmented`]) before batching.
pub struct ImageFolder {
    root: PathBuf,
    classes: Vec<String>,
    samples: Vec<(PathBuf, i64)>,
    skipped: Mutex<Vec<ImageError>>,
    on_error: OnError,
    color: ColorMode,
}

impl ImageFolder {
    /// Lists the folder and reads every image's header (cheap), so files that are not images at
    /// all are caught now; a corrupt body is caught when the image is read.
    pub fn open(root: impl AsRef<Path>, on_error: OnError) -> Result<Self, FolderError> {
        Self::scan(root.as_ref(), on_error, false)
    }

    /// Like [`ImageFolder::open`], but decodes every image completely (in parallel), so that
    /// truncated or corrupt files are caught up front too. Slower: every image is read once.
    pub fn open_verified(root: impl AsRef<Path>, on_error: OnError) -> Result<Self, FolderError> {
        Self::scan(root.as_ref(), on_error, true)
    }

    fn scan(root: &Path, on_error: OnError, decode: bool) -> Result<Self, FolderError> {
        use rayon::prelude::*;
        let mut classes = Vec::new();
        let mut candidates = Vec::new();
        for dir in sorted_entries(root)?.into_iter().filter(|p| p.is_dir()) {
            let files: Vec<PathBuf> =
                sorted_entries(&dir)?.into_iter().filter(|p| p.is_file() && is_image(p)).collect();
            if files.is_empty() {
                continue;
            }
            let label = classes.len() as i64;
            classes.push(dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default());
            candidates.extend(files.into_iter().map(|f| (f, label)));
        }
        if candidates.is_empty() {
            return Err(FolderError::Empty { root: root.to_path_buf() });
        }
        let checks: Vec<Option<ImageError>> = candidates
            .par_iter()
            .map(
                |(path, _)| {
                    if decode {
                        image::load(path, ColorMode::Rgb).err()
                    } else {
                        image::dimensions(path).err()
                    }
                },
            )
            .collect();
        let mut samples = Vec::new();
        let mut bad = Vec::new();
        for (sample, check) in candidates.into_iter().zip(checks) {
            match check {
                None => samples.push(sample),
                Some(e) => bad.push(e),
            }
        }
        if !bad.is_empty() {
            if on_error == OnError::Fail {
                return Err(FolderError::BadImages(bad));
            }
            for e in &bad {
                eprintln!("ImageFolder: skipping {e}");
            }
        }
        if samples.is_empty() {
            return Err(FolderError::Empty { root: root.to_path_buf() });
        }
        Ok(ImageFolder {
            root: root.to_path_buf(),
            classes,
            samples,
            skipped: Mutex::new(bad),
            on_error,
            color: ColorMode::Rgb,
        })
    }

    /// Decode to one channel (luma) instead of three.
    pub fn color_mode(mut self, color: ColorMode) -> Self {
        self.color = color;
        self
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Class names; label `i` is `classes()[i]`.
    pub fn classes(&self) -> &[String] {
        &self.classes
    }

    /// Every `(path, label)`, in dataset order.
    pub fn samples(&self) -> &[(PathBuf, i64)] {
        &self.samples
    }

    /// Files left out so far (at opening, and corrupt ones met while reading), with reasons.
    pub fn skipped(&self) -> Vec<ImageError> {
        self.skipped.lock().expect("skipped list").clone()
    }

    /// Reads sample `index`, reporting a failure instead of acting on it.
    pub fn try_get(&self, index: usize) -> Result<(Tensor<f32>, i64), ImageError> {
        let (path, label) = &self.samples[index];
        Ok((image::load(path, self.color)?, *label))
    }
}

impl Dataset for ImageFolder {
    type Item = (Tensor<f32>, i64);

    fn len(&self) -> usize {
        self.samples.len()
    }

    /// The image and its label. Under [`OnError::Fail`] a corrupt file panics with its path;
    /// under [`OnError::Skip`] it is recorded in [`ImageFolder::skipped`] and the next readable
    /// sample (cyclically) is returned instead.
    fn get(&self, index: usize) -> (Tensor<f32>, i64) {
        assert!(index < self.len(), "ImageFolder: index {index} is out of range for {} images", self.len());
        for k in 0..self.len() {
            let i = (index + k) % self.len();
            match self.try_get(i) {
                Ok(item) => return item,
                Err(e) if self.on_error == OnError::Fail => panic!("ImageFolder: {e}"),
                Err(e) => {
                    eprintln!("ImageFolder: skipping {e}");
                    let mut skipped = self.skipped.lock().expect("skipped list");
                    if !skipped.contains(&e) {
                        skipped.push(e);
                    }
                }
            }
        }
        panic!("ImageFolder: no readable image left in {}", self.root.display());
    }
}

/// A dataset of `(image, label)` pairs whose images go through a transform pipeline, with the
/// generator of each image seeded from `(seed, epoch, index)`: call
/// [`Augmented::set_epoch`] at the start of each epoch to get new variants that a rerun
/// reproduces.
pub struct Augmented<D> {
    inner: D,
    transform: Box<dyn ImageTransform>,
    seed: u64,
    epoch: AtomicU64,
}

impl<D> Augmented<D> {
    pub fn new(inner: D, transform: impl ImageTransform + 'static, seed: u64) -> Self {
        Augmented { inner, transform: Box::new(transform), seed, epoch: AtomicU64::new(0) }
    }

    pub fn set_epoch(&self, epoch: u64) {
        self.epoch.store(epoch, Ordering::Relaxed);
    }

    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Relaxed)
    }

    pub fn inner(&self) -> &D {
        &self.inner
    }
}

impl<D, L> Dataset for Augmented<D>
where
    D: Dataset<Item = (Tensor<f32>, L)>,
{
    type Item = (Tensor<f32>, L);

    fn len(&self) -> usize {
        self.inner.len()
    }

    fn get(&self, index: usize) -> (Tensor<f32>, L) {
        let (img, label) = self.inner.get(index);
        let mut rng = sample_rng(self.seed, self.epoch(), index as u64);
        (self.transform.apply(&img, &mut rng), label)
    }
}
