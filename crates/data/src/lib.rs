//! Kindling's data layer: datasets, the data loader, splits, preprocessing, file readers,
//! synthetic data and dataset downloads.
//!
//! The training loop reads naturally:
//!
//! ```
//! use kindling_data::{synthetic, train_val_test_split, DataLoader, StandardScaler, TensorDataset, Transform};
//!
//! // Two classes in the plane; split first, then fit the scaler on the training part only.
//! let (x, y) = synthetic::moons(200, 0.1, 42);
//! let all = TensorDataset::new(x, y);
//! let split = train_val_test_split(all.len(), [0.8, 0.1, 0.1], 42);
//! let (train, val) = (all.select(&split.train), all.select(&split.validation));
//!
//! let mut scaler = StandardScaler::new();
//! let train = TensorDataset::new(scaler.fit_transform(train.features()), train.targets().clone());
//! let val = TensorDataset::new(scaler.transform(val.features()), val.targets().clone());
//!
//! let loader = DataLoader::new(train, 32).shuffle(true).seed(7).workers(2);
//! for epoch in 0..3 {
//!     for (xb, yb) in loader.iter_epoch(epoch) {
//!         assert_eq!(xb.shape()[1], 2);          // a [B, 2] batch of points
//!         assert_eq!(xb.shape()[0], yb.shape()[0]); // and B labels
//!         // forward, loss, backward, step ...
//!     }
//! }
//! # use kindling_data::Dataset;
//! assert_eq!(val.len(), 20);
//! ```
//!
//! - **Datasets** ([`Dataset`], [`TensorDataset`], [`Subset`]) hand out samples by position;
//!   [`Stack`] joins samples into batches along a new axis 0, and a [`TensorDataset`] gathers a
//!   whole batch with one `index_select`.
//! - **Loading** ([`DataLoader`]): batch size, `drop_last`, a [`Sampler`] (sequential, random,
//!   weighted, stratified), a [`Collate`] step, and background workers that prefetch a bounded
//!   number of batches. Epoch `e` is shuffled with a stream derived from `(seed, e)`
//!   ([`epoch_rng`]): epochs differ, runs repeat, and workers never change the batches.
//! - **Splits** ([`split`]): random splits by counts or fractions, train/validation/test,
//!   k-fold and stratified k-fold, bootstrap samples with out-of-bag positions.
//! - **Preprocessing** ([`preprocess`]): `fit` on the training data, `transform` everything:
//!   min-max and standard scaling, imputation (mean, median, most frequent, constant, k nearest
//!   neighbours; forward/backward fill), polynomial features, label, one-hot and target
//!   encoding.
//! - **Readers**: [`csv`], [`idx`] (MNIST, Fashion-MNIST, plain or gzip), plain text
//!   ([`read_text`], [`CharVocab`]), and the named datasets in [`datasets`]. Anything wrong with
//!   a file is a [`DataError`] naming the file, what was expected and what was found.
//! - **Text** ([`text`]): normalisation ([`normalize()`]), a word tokenizer ([`words`]), stop
//!   words, n-grams, word vocabularies with special tokens and frequency cut-offs ([`Vocab`]),
//!   and subword tokenizers: byte-level BPE in the GPT-2 style ([`ByteBpe`], whose files load
//!   into and from Hugging Face `tokenizers`) and WordPiece ([`WordPiece`]).
//! - **Text features**: bag of words and TF-IDF as scikit-learn computes them
//!   ([`CountVectorizer`], [`TfidfVectorizer`]), with [`cosine_similarity`] and [`nearest`]
//!   rows for retrieval.
//! - **Synthetic data** ([`synthetic`]): lines, circles, moons, blobs, spirals, sine series
//!   and toy sequence tasks, all seeded.
//! - **Downloads** ([`mod@download`], [`download()`]): MNIST, Fashion-MNIST and Tiny Shakespeare, checked against
//!   their published SHA-256 checksums (also `kindling download NAME` on the command line).
//!
//! # Environment
//!
//! - `KINDLING_DATASETS`: the folder holding the real datasets (`mnist/`, `fashion-mnist/`,
//!   `tinyshakespeare/input.txt`, `iris/iris.data`), read by [`datasets_dir`]. Tests that need
//!   real data skip, loudly, when it is unset.
//! - `KINDLING_CACHE`: where downloads go (default `~/.cache/kindling`), read by [`cache_dir`].

pub mod csv;
mod dataset;
pub mod datasets;
pub mod download;
mod error;
pub mod idx;
mod loader;
pub mod preprocess;
mod sampler;
pub mod split;
pub mod synthetic;
mod tabular;
pub mod text;

pub use dataset::{Dataset, Stack, Subset, TensorDataset};
pub use datasets::{
    breast_cancer, cache_dir, datasets_dir, diabetes, digits_small, fashion_mnist, iris, iris_f64, mnist, optdigits,
    tiny_shakespeare, wine, LabeledImages, LabeledTable, RegressionTable, Split, MNIST_CLASSES,
};
pub use download::{download, Downloader, RemoteDataset};
pub use error::DataError;
pub use loader::{epoch_rng, Batches, Collate, CollateFn, DataLoader, StackCollate};
pub use preprocess::{
    backward_fill, forward_fill, one_hot, CategoryOrder, HandleUnknown, ImputeStrategy, KnnImputer, LabelEncoder,
    MinMaxScaler, OneHotEncoder, PolynomialFeatures, SimpleImputer, StandardScaler, TargetEncoder, Transform,
};
pub use sampler::{RandomSampler, Sampler, SequentialSampler, StratifiedSampler, WeightedRandomSampler};
pub use split::{
    bootstrap, k_fold, random_split, random_split_fractions, stratified_k_fold, train_val_test_split, Bootstrap, Fold,
    TrainValTest,
};
pub use text::{
    cosine_similarity, nearest, CountOptions, CountVectorizer, DocFrequency, Norm, TfidfOptions, TfidfVectorizer,
    VocabularyOrder,
};
pub use text::{
    gpt2_pretokenize, is_stop_word, ngram_range, ngrams, normalize, read_text, remove_stop_words, words,
    BpeTrainOptions, ByteBpe, CharVocab, Digits, Normalize, Punctuation, UnicodeForm, Vocab, VocabBuilder, WordPiece,
    WordPieceScore, WordPieceTrainOptions, BOS, EOS, PAD, STOP_WORDS_EN, UNK,
};
