//! k-nearest neighbours.
