//! Host side of each kernel family: the kernels' typed declarations (next to the `.cu`
//! prototypes they mirror; see [`crate::kernel`]), the versions, their launch configurations
//! (pure functions, tested without a GPU) and the launches. Each `.cu` file's header holds the
//! version catalogue.

pub mod attention;
pub mod conv;
pub mod cross_entropy;
pub mod elementwise;
pub mod layernorm;
pub mod reduce;
pub mod sgemm;
pub mod softmax;

/// Every kernel declared on the Rust side, family by family (what the tests compare with the
/// `.cu` prototypes and the PTX entries).
pub fn signatures() -> Vec<crate::kernel::Signature> {
    [
        elementwise::signatures(),
        reduce::signatures(),
        softmax::signatures(),
        layernorm::signatures(),
        cross_entropy::signatures(),
        sgemm::signatures(),
        conv::signatures(),
        attention::signatures(),
    ]
    .concat()
}

/// Block sizes (threads) the 1-D kernels are validated with.
pub const BLOCKS_1D: [u32; 4] = [32, 128, 256, 1024];

/// Block sizes for warp-per-row kernels (multiples of 32).
pub const BLOCKS_WARP: [u32; 3] = [32, 128, 256];

#[track_caller]
pub(crate) fn check_len<T: cust::memory::DeviceCopy>(
    op: &str,
    what: &str,
    buf: &cust::memory::DeviceBuffer<T>,
    need: usize,
) {
    assert!(buf.len() >= need, "{op}: {what} holds {} values, needs {need}", buf.len());
}
