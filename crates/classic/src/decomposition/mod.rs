//! Matrix decompositions as transformers: principal component analysis.
