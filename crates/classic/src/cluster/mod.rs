//! Clustering: k-means, mini-batch k-means, Gaussian mixtures and agglomerative clustering.

// k-means, mini-batch k-means and Gaussian mixtures (owner: clustering).
mod kmeans;
mod kmeans_lloyd;
mod minibatch;
pub use kmeans::{elbow, Init, KMeans};
pub use minibatch::MiniBatchKMeans;

// Agglomerative clustering and the dendrogram (owner: agglomerative).
