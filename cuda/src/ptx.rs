//! The PTX that `build.rs` compiled from `kernels/*.cu`, embedded in the binary, one module per
//! kernel file.

/// A kernel file (`kernels/<name>.cu`), loaded as one PTX module.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Family {
    /// `kernels/elementwise.cu`
    Elementwise,
    /// `kernels/reduce.cu`
    Reduce,
    /// `kernels/softmax.cu`
    Softmax,
    /// `kernels/layernorm.cu`
    LayerNorm,
    /// `kernels/cross_entropy.cu`
    CrossEntropy,
    /// `kernels/sgemm.cu`
    Sgemm,
    /// `kernels/conv.cu`
    Conv,
    /// `kernels/attention.cu`
    Attention,
}

macro_rules! ptx_of {
    ($file:literal) => {
        include_str!(concat!(env!("OUT_DIR"), "/", $file, ".ptx"))
    };
}

impl Family {
    /// Every kernel file.
    pub const ALL: [Family; 8] = [
        Family::Elementwise,
        Family::Reduce,
        Family::Softmax,
        Family::LayerNorm,
        Family::CrossEntropy,
        Family::Sgemm,
        Family::Conv,
        Family::Attention,
    ];

    /// Position in [`Family::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// The file stem, e.g. `"sgemm"`.
    pub fn name(self) -> &'static str {
        match self {
            Family::Elementwise => "elementwise",
            Family::Reduce => "reduce",
            Family::Softmax => "softmax",
            Family::LayerNorm => "layernorm",
            Family::CrossEntropy => "cross_entropy",
            Family::Sgemm => "sgemm",
            Family::Conv => "conv",
            Family::Attention => "attention",
        }
    }

    /// The PTX text nvcc produced for this file.
    pub fn ptx(self) -> &'static str {
        match self {
            Family::Elementwise => ptx_of!("elementwise"),
            Family::Reduce => ptx_of!("reduce"),
            Family::Softmax => ptx_of!("softmax"),
            Family::LayerNorm => ptx_of!("layernorm"),
            Family::CrossEntropy => ptx_of!("cross_entropy"),
            Family::Sgemm => ptx_of!("sgemm"),
            Family::Conv => ptx_of!("conv"),
            Family::Attention => ptx_of!("attention"),
        }
    }

    /// The kernel entry points the Rust side launches from this file.
    pub fn entries(self) -> &'static [&'static str] {
        match self {
            Family::Elementwise => {
                &["binary_v1_naive", "binary_v2_float4", "broadcast_v1_naive", "broadcast_v2_rows_float4"]
            }
            Family::Reduce => &["fill_f32", "sum_v1_atomic", "sum_v2_shared_tree", "sum_v3_warp_shuffle"],
            Family::Softmax => {
                &["softmax_v1_naive", "log_softmax_v1_naive", "softmax_v2_online_warp", "log_softmax_v2_online_warp"]
            }
            Family::LayerNorm => &["layernorm_v1_naive", "layernorm_v2_warp"],
            Family::CrossEntropy => &[
                "cross_entropy_fwd_v1_naive",
                "cross_entropy_bwd_v1_naive",
                "cross_entropy_fwd_v2_warp",
                "cross_entropy_bwd_v2_warp",
            ],
            Family::Sgemm => &[
                "sgemm_v1_naive",
                "sgemm_v2_smem_tile16",
                "sgemm_v2_smem_tile32",
                "sgemm_v3_reg_tile64",
                "sgemm_v3_reg_tile128",
                "sgemm_v4_vec_dbuf",
                "sgemm_v5_tf32_mma",
            ],
            Family::Conv => &["conv2d_v1_direct", "im2col"],
            Family::Attention => {
                &["attn_v1_scores", "attn_v1_softmax", "attn_v1_pv", "attn_v2_flash_w4", "attn_v2_flash_w8"]
            }
        }
    }
}

/// The `.entry` names declared in a PTX text, in order.
pub fn entry_points(ptx: &str) -> Vec<&str> {
    ptx.lines()
        .filter_map(|line| {
            let rest = line.trim_start().strip_prefix(".visible .entry ")?;
            Some(rest.split('(').next().unwrap_or(rest).trim())
        })
        .collect()
}

/// The `.version` line of a PTX text (e.g. `"9.0"`).
pub fn ptx_isa_version(ptx: &str) -> Option<&str> {
    ptx.lines().find_map(|l| l.trim().strip_prefix(".version ")).map(str::trim)
}

/// The `.target` line of a PTX text (e.g. `"sm_80"`).
pub fn ptx_target(ptx: &str) -> Option<&str> {
    ptx.lines().find_map(|l| l.trim().strip_prefix(".target ")).map(str::trim)
}

/// Size and alignment in bytes of each parameter of the `.entry` named `entry` in a PTX text,
/// in order; `None` when there is no such entry. A scalar `.param .u64 name` is (8, 8); a
/// struct passed by value, `.param .align 4 .b8 name[48]`, is (48, 4).
pub fn entry_params(ptx: &str, entry: &str) -> Option<Vec<(usize, usize)>> {
    let header = format!(".visible .entry {entry}(");
    let mut lines = ptx.lines().skip_while(|l| l.trim() != header);
    lines.next()?;
    let params = lines.map(str::trim).take_while(|l| l.starts_with(".param")).map(|line| {
        let words: Vec<&str> = line.trim_end_matches(',').split_whitespace().collect();
        // The type is `.u32`, `.f32`, `.b8`, ...: its bits per element.
        let bits: usize = words
            .iter()
            .find_map(|w| {
                let bits = [".u", ".s", ".f", ".b"].iter().find_map(|p| w.strip_prefix(p))?;
                bits.parse().ok()
            })
            .unwrap_or_else(|| panic!("PTX parameter without a type: {line}"));
        let name = words.last().copied().unwrap_or_default();
        let count = match name.split_once('[') {
            Some((_, n)) => n.trim_end_matches(']').parse().unwrap_or_else(|_| panic!("PTX array size: {line}")),
            None => 1,
        };
        let align = match words.iter().position(|&w| w == ".align") {
            Some(i) => words[i + 1].parse().unwrap_or_else(|_| panic!("PTX alignment: {line}")),
            None => bits / 8,
        };
        (bits / 8 * count, align)
    });
    Some(params.collect())
}
