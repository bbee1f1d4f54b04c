//! Dense linear algebra on small matrices.
