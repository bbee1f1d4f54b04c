//! Matrix decompositions as transformers: principal component analysis.

pub mod pca;
pub use pca::{Components, Pca, PcaSolver};
