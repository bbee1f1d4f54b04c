mod perceptron;
pub use perceptron::Perceptron;
