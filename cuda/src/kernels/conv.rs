//! 2-D convolution, NCHW: direct, and im2col + SGEMM (`kernels/conv.cu`).

use super::check_len;
use super::sgemm::{sgemm_raw, Sgemm};
use crate::device::{addr, arg, Gpu};
use crate::launch::{to_i32, LaunchConfig};
use crate::ptx::Family;
use crate::Result;
use cust::memory::DeviceBuffer;
use std::fmt;

/// Sizes of a convolution `x [n, c, h, w] * w [oc, c, kh, kw] -> y [n, oc, oh, ow]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvShape {
    /// Batch.
    pub n: usize,
    /// Input channels.
    pub c: usize,
    /// Input height.
    pub h: usize,
    /// Input width.
    pub w: usize,
    /// Output channels.
    pub oc: usize,
    /// Kernel height.
    pub kh: usize,
    /// Kernel width.
    pub kw: usize,
    /// Stride (both axes).
    pub stride: usize,
    /// Zero padding (both axes, both sides).
    pub pad: usize,
    /// Output height.
    pub oh: usize,
    /// Output width.
    pub ow: usize,
}

impl ConvShape {
    /// Derives the output size. Panics when the kernel does not fit the padded input.
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        n: usize,
        c: usize,
        h: usize,
        w: usize,
        oc: usize,
        kh: usize,
        kw: usize,
        stride: usize,
        pad: usize,
    ) -> Self {
        assert!(stride > 0, "conv2d: stride must be positive");
        assert!(
            h + 2 * pad >= kh && w + 2 * pad >= kw,
            "conv2d: kernel {kh}x{kw} is larger than the padded input {}x{}",
            h + 2 * pad,
            w + 2 * pad
        );
        let oh = (h + 2 * pad - kh) / stride + 1;
        let ow = (w + 2 * pad - kw) / stride + 1;
        ConvShape { n, c, h, w, oc, kh, kw, stride, pad, oh, ow }
    }

    /// Values in `x`.
    pub fn input_len(&self) -> usize {
        self.n * self.c * self.h * self.w
    }

    /// Values in the weights.
    pub fn weight_len(&self) -> usize {
        self.oc * self.c * self.kh * self.kw
    }

    /// Values in `y`.
    pub fn output_len(&self) -> usize {
        self.n * self.oc * self.oh * self.ow
    }

    /// Values in the im2col matrix of one image, `[c*kh*kw, oh*ow]`.
    pub fn cols_len(&self) -> usize {
        self.c * self.kh * self.kw * self.oh * self.ow
    }

    /// Multiply-adds times two.
    pub fn flops(&self) -> f64 {
        2.0 * (self.output_len() * self.c * self.kh * self.kw) as f64
    }

    fn to_kernel(self) -> ConvShapeC {
        let i = |what, v| to_i32(what, v);
        ConvShapeC {
            n: i("n", self.n),
            c: i("c", self.c),
            h: i("h", self.h),
            w: i("w", self.w),
            oc: i("oc", self.oc),
            kh: i("kh", self.kh),
            kw: i("kw", self.kw),
            stride: i("stride", self.stride),
            pad: i("pad", self.pad),
            oh: i("oh", self.oh),
            ow: i("ow", self.ow),
        }
    }
}

/// Mirrors `struct ConvShape` in `conv.cu`.
#[repr(C)]
#[derive(Clone, Copy)]
struct ConvShapeC {
    n: i32,
    c: i32,
    h: i32,
    w: i32,
    oc: i32,
    kh: i32,
    kw: i32,
    stride: i32,
    pad: i32,
    oh: i32,
    ow: i32,
}

/// Versions of the convolution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Conv {
    /// A thread per output value.
    V1Direct {
        /// Threads per block.
        block: u32,
    },
    /// Per image: im2col, then the given SGEMM version.
    V2Im2colGemm {
        /// The GEMM that multiplies weights by the column matrix.
        gemm: Sgemm,
    },
}

impl Conv {
    /// Every version validated: direct at two block sizes, im2col with each SGEMM version.
    pub fn all() -> Vec<Conv> {
        let mut v = vec![Conv::V1Direct { block: 128 }, Conv::V1Direct { block: 256 }];
        v.extend(Sgemm::all().into_iter().map(|gemm| Conv::V2Im2colGemm { gemm }));
        v
    }
}

impl fmt::Display for Conv {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Conv::V1Direct { block } => write!(f, "conv v1 direct (block {block})"),
            Conv::V2Im2colGemm { gemm } => write!(f, "conv v2 im2col + {gemm}"),
        }
    }
}

/// Block size of the im2col kernel.
pub const IM2COL_BLOCK: u32 = 256;

/// `y = conv2d(x, w)`. `workspace` must hold [`ConvShape::cols_len`] values for v2 (v1 ignores
/// it).
pub fn conv2d(
    gpu: &Gpu,
    version: Conv,
    shape: &ConvShape,
    x: &DeviceBuffer<f32>,
    w: &DeviceBuffer<f32>,
    y: &mut DeviceBuffer<f32>,
    workspace: &mut DeviceBuffer<f32>,
) -> Result<()> {
    check_len("conv2d", "x", x, shape.input_len());
    check_len("conv2d", "w", w, shape.weight_len());
    check_len("conv2d", "y", y, shape.output_len());
    let s = shape.to_kernel();
    let (px, pw, py) = (addr(x), addr(w), addr(y));
    match version {
        Conv::V1Direct { block } => unsafe {
            gpu.launch(
                Family::Conv,
                "conv2d_v1_direct",
                LaunchConfig::one_d(shape.output_len(), block),
                &[arg(&px), arg(&pw), arg(&py), arg(&s)],
            )
        },
        Conv::V2Im2colGemm { gemm } => {
            check_len("conv2d", "workspace", workspace, shape.cols_len());
            let pc = addr(workspace);
            let spatial = shape.oh * shape.ow;
            let ckk = shape.c * shape.kh * shape.kw;
            for img in 0..shape.n {
                let xi = px + (img * shape.c * shape.h * shape.w * 4) as u64;
                let yi = py + (img * shape.oc * spatial * 4) as u64;
                unsafe {
                    gpu.launch(
                        Family::Conv,
                        "im2col",
                        LaunchConfig::one_d(shape.cols_len(), IM2COL_BLOCK),
                        &[arg(&xi), arg(&pc), arg(&s)],
                    )?;
                    sgemm_raw(gpu, gemm, pw, pc, yi, shape.oc, spatial, ckk)?;
                }
            }
            Ok(())
        }
    }
}
