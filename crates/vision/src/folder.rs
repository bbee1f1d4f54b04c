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

use crate::image::{self, ColorMode, DecodeLimits, ImageError};
use crate::transforms::{sample_rng, ImageTransform};
use kindling_data::{Dataset, Stack};
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
    /// A class folder holds no images: left out, it would shift the label of every class after
    /// it, so it is refused.
    EmptyClass { folder: PathBuf },
    /// Two images differ in size (from [`ImageFolder::check_one_size`]).
    MixedSizes {
        /// A file and its `(height, width)`.
        first: (PathBuf, (usize, usize)),
        /// A file of another size.
        other: (PathBuf, (usize, usize)),
    },
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
            FolderError::EmptyClass { folder } => write!(
                f,
                "class folder {} has no .png/.jpg/.jpeg files; add images to it or remove the folder (an empty \
                 class would shift the label of every class after it)",
                folder.display()
            ),
            FolderError::MixedSizes { first, other } => {
                write!(f, "{}", mixed_sizes("images of different sizes", first, other))
            }
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

/// Two files of different sizes, and the fix.
fn mixed_sizes(what: &str, first: &(PathBuf, (usize, usize)), other: &(PathBuf, (usize, usize))) -> String {
    let ((a, (ah, aw)), (b, (bh, bw))) = (first, other);
    format!(
        "{what}: {} is {ah}×{aw} and {} is {bh}×{bw} (height×width); a batch needs one size: add a Resize \
         transform, e.g. Augmented::new(folder, Compose::new().then(Resize::new((64, 64))), seed)",
        a.display(),
        b.display()
    )
}

/// Whether a folder is hidden (`.git`, `.ipynb_checkpoints`): not a class.
fn is_hidden(path: &Path) -> bool {
    path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with('.'))
}

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
/// `.jpeg` files inside (any case), also in sorted order. Hidden folders (a name starting with
/// `.`) are not classes; a class folder without images is an error, since leaving it out would
/// shift every later label. Items are `(image, label)` with the image a `[C, H, W]` f32 tensor
/// in [0, 1] at its own size: resize in a transform pipeline ([`Augmented`]) before batching.
/// Batching images of different sizes panics naming two of the files; call
/// [`ImageFolder::check_one_size`] to find out at opening instead.
///
/// Every file is decoded within [`DecodeLimits`] (the defaults, or those given to
/// [`ImageFolder::open_with`]), so a damaged or hostile header is an error, not an abort.
pub struct ImageFolder {
    root: PathBuf,
    classes: Vec<String>,
    samples: Vec<(PathBuf, i64)>,
    /// Each sample's `(height, width)` as decoded (EXIF orientation applied), from its header.
    sizes: Vec<(usize, usize)>,
    limits: DecodeLimits,
    skipped: Mutex<Vec<ImageError>>,
    on_error: OnError,
    color: ColorMode,
}

impl ImageFolder {
    /// Lists the folder and reads only every image's header (cheap), with the default
    /// [`DecodeLimits`]. That catches files that are not images at all and headers claiming an
    /// impossible size, but not a body that is truncated or corrupt: such a file is found only
    /// when it is read (see [`OnError`]). Use [`ImageFolder::open_verified`] to find those now.
    pub fn open(root: impl AsRef<Path>, on_error: OnError) -> Result<Self, FolderError> {
        Self::open_with(root, on_error, DecodeLimits::new())
    }

    /// Like [`ImageFolder::open`], but decodes every image completely (in parallel), so that
    /// truncated (a JPEG without its end marker, a PNG without `IEND`) or corrupt files are
    /// caught up front too. Slower: every image is read once.
    pub fn open_verified(root: impl AsRef<Path>, on_error: OnError) -> Result<Self, FolderError> {
        Self::open_verified_with(root, on_error, DecodeLimits::new())
    }

    /// [`ImageFolder::open`] with `limits` for this folder's images, at opening and when read.
    pub fn open_with(root: impl AsRef<Path>, on_error: OnError, limits: DecodeLimits) -> Result<Self, FolderError> {
        Self::scan(root.as_ref(), on_error, false, limits)
    }

    /// [`ImageFolder::open_verified`] with `limits` for this folder's images, at opening and
    /// when read.
    pub fn open_verified_with(
        root: impl AsRef<Path>,
        on_error: OnError,
        limits: DecodeLimits,
    ) -> Result<Self, FolderError> {
        Self::scan(root.as_ref(), on_error, true, limits)
    }

    fn scan(root: &Path, on_error: OnError, decode: bool, limits: DecodeLimits) -> Result<Self, FolderError> {
        use rayon::prelude::*;
        let mut classes = Vec::new();
        let mut candidates = Vec::new();
        for dir in sorted_entries(root)?.into_iter().filter(|p| p.is_dir() && !is_hidden(p)) {
            let files: Vec<PathBuf> =
                sorted_entries(&dir)?.into_iter().filter(|p| p.is_file() && is_image(p)).collect();
            if files.is_empty() {
                return Err(FolderError::EmptyClass { folder: dir });
            }
            let label = classes.len() as i64;
            classes.push(dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default());
            candidates.extend(files.into_iter().map(|f| (f, label)));
        }
        if candidates.is_empty() {
            return Err(FolderError::Empty { root: root.to_path_buf() });
        }
        let checks: Vec<Result<(usize, usize), ImageError>> = candidates
            .par_iter()
            .map(|(path, _)| {
                if decode {
                    image::load_with(path, ColorMode::Gray, limits).map(|t| (t.shape()[1], t.shape()[2]))
                } else {
                    image::header(path, limits).map(|h| h.oriented)
                }
            })
            .collect();
        let (mut samples, mut sizes, mut bad) = (Vec::new(), Vec::new(), Vec::new());
        for (sample, check) in candidates.into_iter().zip(checks) {
            match check {
                Ok(size) => {
                    samples.push(sample);
                    sizes.push(size);
                }
                Err(e) => bad.push(e),
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
            sizes,
            limits,
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

    /// Sample `index`'s `(height, width)` once decoded (EXIF orientation applied), known since
    /// opening.
    pub fn image_size(&self, index: usize) -> (usize, usize) {
        self.sizes[index]
    }

    /// The one `(height, width)` every image has, or [`FolderError::MixedSizes`] naming two
    /// files of different sizes: call it after opening when the images will be batched without
    /// a `Resize`.
    pub fn check_one_size(&self) -> Result<(usize, usize), FolderError> {
        let first = self.sizes[0];
        match self.sizes.iter().position(|&s| s != first) {
            None => Ok(first),
            Some(i) => Err(FolderError::MixedSizes {
                first: (self.samples[0].0.clone(), first),
                other: (self.samples[i].0.clone(), self.sizes[i]),
            }),
        }
    }

    /// The decoding limits this folder's images are read with.
    pub fn limits(&self) -> DecodeLimits {
        self.limits
    }

    /// Files left out so far (at opening, and corrupt ones met while reading), with reasons.
    pub fn skipped(&self) -> Vec<ImageError> {
        self.skipped.lock().expect("skipped list").clone()
    }

    /// Reads sample `index`, reporting a failure instead of acting on it.
    pub fn try_get(&self, index: usize) -> Result<(Tensor<f32>, i64), ImageError> {
        let (path, label) = &self.samples[index];
        Ok((image::load_with(path, self.color, self.limits)?, *label))
    }

    /// Reads sample `index`, or under [`OnError::Skip`] the next readable one; also returns the
    /// position actually read.
    fn read(&self, index: usize) -> (Tensor<f32>, i64, usize) {
        assert!(index < self.len(), "ImageFolder: index {index} is out of range for {} images", self.len());
        for k in 0..self.len() {
            let i = (index + k) % self.len();
            match self.try_get(i) {
                Ok((img, label)) => return (img, label, i),
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

    /// Panics, naming two files and the fix, unless all `(sample, (height, width))` pairs have
    /// one size.
    fn assert_one_size(&self, sized: &[(usize, (usize, usize))]) {
        let Some(&(first, size)) = sized.first() else { return };
        if let Some(&(other, other_size)) = sized.iter().find(|(_, s)| *s != size) {
            let (a, b) = ((self.samples[first].0.clone(), size), (self.samples[other].0.clone(), other_size));
            panic!("ImageFolder: {}", mixed_sizes("cannot batch images of different sizes", &a, &b));
        }
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
        let (img, label, _) = self.read(index);
        (img, label)
    }

    /// The images at `indices` as one `[B, C, H, W]` batch. Panics, naming two files, when they
    /// differ in size: checked on the headers' sizes before decoding, then on the decoded
    /// images (a skipped file's stand-in may differ).
    fn get_batch(&self, indices: &[usize]) -> <Self::Item as Stack>::Batch {
        self.assert_one_size(&indices.iter().map(|&i| (i, self.sizes[i])).collect::<Vec<_>>());
        let items: Vec<(Tensor<f32>, i64, usize)> = indices.iter().map(|&i| self.read(i)).collect();
        self.assert_one_size(&items.iter().map(|(t, _, i)| (*i, (t.shape()[1], t.shape()[2]))).collect::<Vec<_>>());
        Stack::stack(items.into_iter().map(|(img, label, _)| (img, label)).collect())
    }

    /// The sample's file.
    fn describe(&self, index: usize) -> String {
        self.samples[index].0.display().to_string()
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

    /// The transformed samples as one batch. Panics, naming two samples (their files, for an
    /// [`ImageFolder`]), when the pipeline leaves them different sizes.
    fn get_batch(&self, indices: &[usize]) -> <Self::Item as Stack>::Batch
    where
        Self::Item: Stack,
    {
        let items: Vec<(Tensor<f32>, L)> = indices.iter().map(|&i| self.get(i)).collect();
        let size = |k: usize| {
            let shape = items[k].0.shape();
            (shape[shape.len() - 2], shape[shape.len() - 1])
        };
        if let Some(k) = (0..items.len()).find(|&k| size(k) != size(0)) {
            let named = |k: usize| (PathBuf::from(self.inner.describe(indices[k])), size(k));
            panic!(
                "Augmented: {}",
                mixed_sizes("the transform pipeline leaves images of different sizes", &named(0), &named(k))
            );
        }
        Stack::stack(items)
    }

    fn describe(&self, index: usize) -> String {
        self.inner.describe(index)
    }
}
