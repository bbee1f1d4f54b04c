//! Kernel families. Each folder mirrors the same split: `mod.rs` (the tensor-level API and its
//! docs), `naive.rs` (obviously right, strided, single-threaded: the test oracle) and `fast.rs`
//! (contiguous SIMD paths and threads: what training uses). `simd` (vector math and CPU-feature
//! dispatch) and `walk` (strided iteration) serve the families and are not families themselves.
//!
//! # Index
//!
//! Where each family lives, from the API down to the book. Paths are relative to the
//! repository root; a test (`kernel_index` in the tensor crate's tests) fails when one of them
//! no longer exists, so the table cannot drift from the tree. A dash means there is none yet.
//!
//! | family | API | naive | fast | autograd | gradient check | differential test | CUDA kernel | book |
//! |---|---|---|---|---|---|---|---|---|
//! | elementwise | `crates/tensor/src/ops/elementwise/mod.rs` | `crates/tensor/src/ops/elementwise/naive.rs` | `crates/tensor/src/ops/elementwise/fast.rs` | `crates/autograd/src/ops/arith.rs`, `crates/autograd/src/ops/unary.rs` | `crates/autograd/tests/all/gradcheck_ops.rs` | `crates/tensor/tests/all/naive_vs_fast.rs` | `cuda/kernels/elementwise.cu` | `book/src/01-tensors.md#elementwise-operations-and-broadcasting` |
//! | reduce | `crates/tensor/src/ops/reduce/mod.rs` | `crates/tensor/src/ops/reduce/naive.rs` | `crates/tensor/src/ops/reduce/fast.rs` | `crates/autograd/src/ops/reduce.rs` | `crates/autograd/tests/all/gradcheck_ops.rs` | `crates/tensor/tests/all/naive_vs_fast.rs` | `cuda/kernels/reduce.cu` | `book/src/01-tensors.md#reductions` |
//! | softmax | `crates/tensor/src/ops/softmax/mod.rs` | `crates/tensor/src/ops/softmax/naive.rs` | `crates/tensor/src/ops/softmax/fast.rs` | `crates/autograd/src/ops/reduce.rs` | `crates/autograd/tests/all/gradcheck_ops.rs` | `crates/tensor/tests/all/naive_vs_fast.rs` | `cuda/kernels/softmax.cu` | `book/src/02-autograd.md#the-softmax-jacobian` |
//! | matmul | `crates/tensor/src/ops/matmul/mod.rs` | `crates/tensor/src/ops/matmul/naive.rs` | `crates/tensor/src/ops/matmul/fast.rs`, `crates/tensor/src/ops/matmul/fast/kernels.rs` | `crates/autograd/src/ops/linalg.rs` | `crates/autograd/tests/all/gradcheck_ops.rs` | `crates/tensor/tests/all/naive_vs_fast.rs` | `cuda/kernels/sgemm.cu` | `book/src/01-tensors.md#from-three-loops-to-the-peak-of-the-processor` |
//! | conv | `crates/tensor/src/ops/conv/mod.rs` | `crates/tensor/src/ops/conv/naive.rs` | `crates/tensor/src/ops/conv/fast.rs`, `crates/tensor/src/ops/conv/direct.rs` | `crates/autograd/src/ops/conv.rs` | `crates/nn/tests/all/conv.rs`, `crates/nn/tests/all/conv1d.rs` | `crates/nn/tests/all/conv.rs`, `crates/nn/tests/all/conv1d.rs` | `cuda/kernels/conv.cu` | `book/src/07-vision.md#under-the-hood-from-seven-loops-to-a-matrix-product` |
//! | linalg | `crates/tensor/src/ops/linalg/mod.rs` | `crates/tensor/src/ops/linalg/qr.rs`, `crates/tensor/src/ops/linalg/cholesky/naive.rs`, `crates/tensor/src/ops/linalg/lu/naive.rs`, `crates/tensor/src/ops/linalg/triangular/naive.rs`, `crates/tensor/src/ops/linalg/lstsq/naive.rs`, `crates/tensor/src/ops/linalg/spectral/naive.rs` | `crates/tensor/src/ops/linalg/cholesky/fast.rs`, `crates/tensor/src/ops/linalg/lu/fast.rs`, `crates/tensor/src/ops/linalg/triangular/fast.rs`, `crates/tensor/src/ops/linalg/lstsq/fast.rs`, `crates/tensor/src/ops/linalg/spectral/fast.rs`, `crates/tensor/src/ops/linalg/spectral/tridiagonal.rs` | – | – | `crates/tensor/tests/all/linalg_fast.rs`, `crates/tensor/tests/all/linalg_numpy.rs`, `crates/tensor/tests/all/linalg_spectral.rs` | – | – |
//! | pool | `crates/tensor/src/ops/pool/mod.rs` | `crates/tensor/src/ops/pool/naive.rs` | `crates/tensor/src/ops/pool/fast.rs` | `crates/autograd/src/ops/pool.rs` | `crates/nn/tests/all/conv_layers.rs`, `crates/nn/tests/all/conv1d.rs` | `crates/nn/tests/all/conv_layers.rs` | – | `book/src/07-vision.md#pooling` |
//! | attention | `crates/tensor/src/ops/attention/mod.rs` | `crates/tensor/src/ops/attention/naive.rs` | `crates/tensor/src/ops/attention/fast.rs`, `crates/tensor/src/ops/attention/tile.rs` | `crates/autograd/src/ops/attention.rs` | `crates/autograd/tests/all/attention.rs` | `crates/tensor/tests/all/attention.rs` | `cuda/kernels/attention.cu` | `book/src/13-attention.md#under-the-hood-the-attention-kernel` |
//! | norm | `crates/tensor/src/ops/norm/mod.rs` | `crates/tensor/src/ops/norm/naive.rs` | `crates/tensor/src/ops/norm/fast.rs` | `crates/autograd/src/ops/norm.rs` | `crates/autograd/tests/all/layer_norm.rs` | `crates/tensor/src/ops/norm/fast/tests.rs` | – | – |
//! | recurrent | `crates/tensor/src/ops/recurrent/mod.rs` | `crates/sequence/src/cell.rs` | `crates/tensor/src/ops/recurrent/fast.rs` | `crates/autograd/src/ops/recurrent.rs` | `crates/sequence/tests/all/fast_vs_naive.rs` | `crates/sequence/tests/all/fast_vs_naive.rs` | – | `book/src/10-recurrent.md#under-the-hood-the-fused-recurrent-kernel` |
//!
//! Checked against PyTorch as well: conv and pool in `crates/nn/tests/all/torch_conv.rs`, the
//! layers built on every family in `crates/nn/tests/all/torch_layers.rs`, the recurrent layers
//! in `crates/sequence/tests/all/torch.rs`, attention in
//! `crates/autograd/tests/all/attention_torch.rs`. The recurrent family's naive twin is the cell
//! composed from differentiable ops, one call per time step (in `kindling-sequence`). Version
//! catalogues head each `fast.rs`; the experiments behind them are in `crates/tensor/NOTES.md`.

pub mod attention;
pub mod conv;
pub mod elementwise;
pub mod linalg;
pub mod matmul;
pub mod norm;
pub mod pool;
pub mod recurrent;
pub mod reduce;
pub mod simd;
pub mod softmax;
pub mod walk;
