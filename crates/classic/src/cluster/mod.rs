//! Clustering: k-means, mini-batch k-means, Gaussian mixtures and agglomerative clustering.

// k-means, mini-batch k-means and Gaussian mixtures (owner: clustering).
mod kmeans;
mod kmeans_elkan;
mod kmeans_lloyd;
mod minibatch;
mod mixture;
mod mixture_gaussian;
pub use kmeans::{elbow, Init, KMeans, KMeansAlgorithm};
pub use minibatch::MiniBatchKMeans;
pub use mixture::{Covariance, GaussianMixture, MixtureInit};

// Agglomerative clustering and the dendrogram (owner: agglomerative).
pub mod agglomerative;
pub mod dendrogram;
mod linkage_fast;
mod linkage_naive;
pub use agglomerative::{fcluster, linkage, AgglomerativeClustering, Linkage, Merge};
pub use dendrogram::{dendrogram_svg, dendrogram_svg_lastp};
