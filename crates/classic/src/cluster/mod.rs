//! Clustering: k-means, mini-batch k-means, Gaussian mixtures and agglomerative clustering.

// k-means, mini-batch k-means and Gaussian mixtures (owner: clustering).

// Agglomerative clustering and the dendrogram (owner: agglomerative).
