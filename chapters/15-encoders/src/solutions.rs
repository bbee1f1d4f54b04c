//! Reference answers to chapter 15's exercises (`exercises.rs` has the same signatures).
