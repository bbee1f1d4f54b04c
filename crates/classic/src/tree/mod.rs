//! Decision trees (CART) for classification and regression.
