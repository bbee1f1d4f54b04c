//! placeholder
pub struct Perceptron;
