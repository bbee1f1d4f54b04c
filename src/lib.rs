pub mod bench;
pub use kindling_tensor as tensor;
