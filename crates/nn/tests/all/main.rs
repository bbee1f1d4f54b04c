//! Every integration test of this crate in one binary (one link instead of one per file, which
//! is most of a test build on a small machine). Each module is one of the former test files.

mod conv;
mod conv1d;
mod conv_layers;
mod init;
mod layers;
mod losses;
mod losses_parity;
mod module;
mod strided;
mod support;
mod torch_conv;
mod torch_layers;
