//! Real datasets on disk: where they live (`KINDLING_DATASETS`, `KINDLING_CACHE`) and readers
//! for the standard files of MNIST, Fashion-MNIST, Iris and Tiny Shakespeare, and the small
//! tables of classic machine learning (breast cancer, wine, diabetes, digits, optdigits), read
//! in `f64`.
//!
//! The datasets folder has one subfolder per dataset, laid out as the downloader writes them:
//!
//! ```text
//! $KINDLING_DATASETS/
//!   mnist/          train-images-idx3-ubyte.gz  train-labels-idx1-ubyte.gz
//!                   t10k-images-idx3-ubyte.gz   t10k-labels-idx1-ubyte.gz
//!   fashion-mnist/  (the same four file names)
//!   tinyshakespeare/input.txt
//!   iris/iris.data
//!   sklearn-small/  breast_cancer.csv  wine.csv  diabetes.csv  digits.csv
//!   optdigits/      optdigits.tra  optdigits.tes
//! ```

use crate::csv::{parse_csv, ColumnType, CsvOptions};
use crate::dataset::TensorDataset;
use crate::error::DataError;
use crate::idx::read_idx_u8;
use crate::preprocess::LabelEncoder;
use kindling_tensor::{Element, Tensor};
use std::path::{Path, PathBuf};

pub use crate::tabular::{
    breast_cancer, diabetes, digits_small, optdigits, optdigits_file_name, wine, RegressionTable, TARGET_COLUMN,
};

/// The environment variable naming the folder that holds the real datasets.
pub const DATASETS_ENV: &str = "KINDLING_DATASETS";

/// The environment variable naming the download cache (default `~/.cache/kindling`).
pub const CACHE_ENV: &str = "KINDLING_CACHE";

/// The folder named by `KINDLING_DATASETS`, or an error saying what to set.
pub fn datasets_dir() -> Result<PathBuf, DataError> {
    match std::env::var_os(DATASETS_ENV) {
        Some(v) if !v.is_empty() => Ok(PathBuf::from(v)),
        _ => Err(DataError::MissingEnv {
            name: DATASETS_ENV,
            hint: "set it to the folder that holds mnist/, fashion-mnist/, tinyshakespeare/input.txt and \
                   iris/iris.data (in the Kindling workspace: ../shared/datasets), or fetch them with \
                   `kindling download NAME` and point it at the cache folder",
        }),
    }
}

/// The download cache: `KINDLING_CACHE` if set, else `$HOME/.cache/kindling`.
pub fn cache_dir() -> Result<PathBuf, DataError> {
    if let Some(v) = std::env::var_os(CACHE_ENV).filter(|v| !v.is_empty()) {
        return Ok(PathBuf::from(v));
    }
    match std::env::var_os("HOME").filter(|v| !v.is_empty()) {
        Some(home) => Ok(PathBuf::from(home).join(".cache").join("kindling")),
        None => Err(DataError::MissingEnv {
            name: CACHE_ENV,
            hint: "HOME is not set either; set KINDLING_CACHE to a folder where downloads may be kept",
        }),
    }
}

/// Which part of a dataset with a fixed train/test split to read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Split {
    /// The training part (60,000 images for MNIST and Fashion-MNIST).
    Train,
    /// The test part (10,000 images).
    Test,
}

/// Images with one class label each, as stored (bytes).
#[derive(Clone, Debug)]
pub struct LabeledImages {
    /// `[N, H, W]` pixel intensities, 0 (background) to 255.
    pub images: Tensor<u8>,
    /// `[N]` class labels.
    pub labels: Tensor<u8>,
}

impl LabeledImages {
    /// The number of images.
    pub fn len(&self) -> usize {
        self.labels.shape()[0]
    }

    /// Whether there are no images.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A training-ready dataset: images as `f32` in `[0, 1]` with shape `[N, H, W]`, labels as
    /// `i64` class indices.
    pub fn to_dataset(&self) -> TensorDataset<f32, i64> {
        let x: Tensor<f32> = self.images.cast::<f32>() * (1.0 / 255.0);
        TensorDataset::new(x, self.labels.cast::<i64>())
    }
}

/// The number of classes of MNIST and Fashion-MNIST: labels run from 0 to 9.
pub const MNIST_CLASSES: usize = 10;

/// The class names of Fashion-MNIST, by label.
pub const FASHION_MNIST_CLASSES: [&str; 10] =
    ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"];

/// The standard file names of an MNIST-format split: (images, labels).
pub fn mnist_file_names(split: Split) -> (&'static str, &'static str) {
    match split {
        Split::Train => ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
        Split::Test => ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
    }
}

/// Reads one split of an MNIST-format dataset from `dir`, which holds the four standard files
/// (see [`mnist_file_names`]). Checks the magic numbers (2051 for images, 2049 for labels),
/// that images and labels agree in number, and that every label is a class (below
/// [`MNIST_CLASSES`]): a bad label is refused here, naming the file and the label's position,
/// rather than failing later inside the loss.
pub fn mnist(dir: impl AsRef<Path>, split: Split) -> Result<LabeledImages, DataError> {
    let dir = dir.as_ref();
    let (image_file, label_file) = mnist_file_names(split);
    let (image_path, label_path) = (dir.join(image_file), dir.join(label_file));
    let images = read_idx_u8(&image_path)?;
    if images.rank() != 3 {
        return Err(DataError::malformed(
            &image_path,
            "an image file with 3 dimensions [N, rows, cols] (IDX magic 2051)",
            format!("{} dimension(s) {:?}", images.rank(), images.shape()),
        ));
    }
    let labels = read_idx_u8(&label_path)?;
    if labels.rank() != 1 {
        return Err(DataError::malformed(
            &label_path,
            "a label file with 1 dimension [N] (IDX magic 2049)",
            format!("{} dimension(s) {:?}", labels.rank(), labels.shape()),
        ));
    }
    if labels.shape()[0] != images.shape()[0] {
        return Err(DataError::malformed(
            &label_path,
            format!("{} labels, one per image in {}", images.shape()[0], image_path.display()),
            format!("{} labels", labels.shape()[0]),
        ));
    }
    check_labels(&labels, MNIST_CLASSES, &label_path)?;
    Ok(LabeledImages { images, labels })
}

/// Refuses the first label that is not a class index below `classes`.
fn check_labels(labels: &Tensor<u8>, classes: usize, path: &Path) -> Result<(), DataError> {
    let Some((index, label)) = labels.to_vec().into_iter().enumerate().find(|&(_, l)| l as usize >= classes) else {
        return Ok(());
    };
    Err(DataError::malformed_at(
        path,
        format!("label {index} (counting from 0)"),
        format!("a class label in 0..={} (the dataset has {classes} classes)", classes - 1),
        format!(
            "{label}: the file is damaged or is not this dataset's label file; download it again \
             (`kindling download mnist` or `kindling download fashion-mnist`)"
        ),
    ))
}

/// Reads one split of Fashion-MNIST from `dir` (same format and file names as MNIST; class
/// names in [`FASHION_MNIST_CLASSES`]).
pub fn fashion_mnist(dir: impl AsRef<Path>, split: Split) -> Result<LabeledImages, DataError> {
    mnist(dir, split)
}

/// A small table of numeric features with a class label per row. The features are `f32` for
/// the neural chapters ([`iris`]) and `f64` for the classic estimators (the scikit-learn
/// tables: [`breast_cancer`], [`wine`], [`digits_small`], [`optdigits`], which scikit-learn also reads in double precision).
#[derive(Clone, Debug)]
pub struct LabeledTable<F: Element = f32> {
    /// `[N, features]`.
    pub features: Tensor<F>,
    /// `[N]` class indices into `classes`.
    pub labels: Tensor<i64>,
    /// The class names, in label order.
    pub classes: Vec<String>,
    /// The feature names.
    pub feature_names: Vec<String>,
}

/// Reads Fisher's Iris data, `dir/iris.data` (150 rows: four measurements in centimetres and
/// the species, numbered in order of first appearance: setosa 0, versicolor 1, virginica 2).
pub fn iris(dir: impl AsRef<Path>) -> Result<LabeledTable, DataError> {
    let table = iris_f64(dir)?;
    Ok(LabeledTable {
        features: table.features.cast::<f32>(),
        labels: table.labels,
        classes: table.classes,
        feature_names: table.feature_names,
    })
}

/// [`iris`] with `f64` features, as the classic estimators (and scikit-learn) read it.
pub fn iris_f64(dir: impl AsRef<Path>) -> Result<LabeledTable<f64>, DataError> {
    let path = dir.as_ref().join("iris.data");
    let text = crate::text::read_text(&path)?;
    let names = ["sepal_length", "sepal_width", "petal_length", "petal_width"];
    let mut options =
        CsvOptions::new().header(false).deny_missing(true).names(&[names[0], names[1], names[2], names[3], "species"]);
    for n in names {
        options = options.column_type(n, ColumnType::Numeric);
    }
    let table = parse_csv(&text, &path, &options.column_type("species", ColumnType::Categorical))?;
    let features = table.to_tensor(&names)?;
    let species: Vec<String> = table.categorical("species")?.iter().map(|s| s.clone().unwrap_or_default()).collect();
    let mut encoder = LabelEncoder::new();
    let labels = encoder.fit_transform(&species);
    Ok(LabeledTable {
        features,
        labels,
        classes: encoder.categories().to_vec(),
        feature_names: names.iter().map(|s| s.to_string()).collect(),
    })
}

/// Reads the Tiny Shakespeare corpus, `dir/input.txt` (about 1.1 million characters).
pub fn tiny_shakespeare(dir: impl AsRef<Path>) -> Result<String, DataError> {
    crate::text::read_text(dir.as_ref().join("input.txt"))
}
