//! How good is a clustering?
