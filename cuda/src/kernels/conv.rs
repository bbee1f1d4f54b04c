//! 2-D convolution, NCHW: direct, and im2col + SGEMM (`kernels/conv.cu`).

use super::check_len;
use super::sgemm::{sgemm_raw, Sgemm};
use crate::device::Gpu;
use crate::kernel::{declare_kernels, DevicePtr, DevicePtrMut, KernelParam};
use crate::launch::{to_i32, LaunchConfig};
use crate::Result;
use cust::memory::DeviceBuffer;
use std::fmt;

declare_kernels! {
    family: Conv;
    /// v1: a thread per output value.
    pub const CONV2D_V1_DIRECT =
        conv2d_v1_direct(x: DevicePtr<f32>, wt: DevicePtr<f32>, y: DevicePtrMut<f32>, s: ConvShapeC);
    /// v2's first step, for one image: its column matrix `[c*kh*kw, oh*ow]`.
    pub const IM2COL = im2col(x: DevicePtr<f32>, cols: DevicePtrMut<f32>, s: ConvShapeC);
}

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

/// Mirrors `struct ConvShape` in `conv.cu`: the sizes as the kernels take them (made by
/// [`conv2d`] from a [`ConvShape`], each size checked to fit an `int`).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct ConvShapeC {
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

// SAFETY: `#[repr(C)]` with the eleven `int` fields of `struct ConvShape` in conv.cu in the
// same order: 44 bytes aligned to 4 (the PTX's `.align 4 .b8 [44]`, which a test compares),
// and every bit pattern is a valid set of ints.
unsafe impl KernelParam for ConvShapeC {
    fn c_type() -> String {
        "ConvShape".into()
    }
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
    match version {
        Conv::V1Direct { block } => {
            let args = (DevicePtr::of(x), DevicePtr::of(w), DevicePtrMut::of(y), s);
            // SAFETY: thread idx < n * oc * oh * ow (its `if (idx >= total) return`) writes
            // y[idx] and reads, for its image and output channel, x[img, c, ih, iw] only for
            // 0 <= ih < h, 0 <= iw < w (padding taps are skipped) and w[oc, c, i, j] for
            // i < kh, j < kw; check_len above made sure x, w and y hold the input, weight and
            // output lengths of `shape`, from which `s` was made.
            unsafe { gpu.launch(CONV2D_V1_DIRECT, LaunchConfig::one_d(shape.output_len(), block), args) }
        }
        Conv::V2Im2colGemm { gemm } => {
            check_len("conv2d", "workspace", workspace, shape.cols_len());
            let cols = DevicePtrMut::of(workspace);
            let (spatial, ckk) = (shape.oh * shape.ow, shape.c * shape.kh * shape.kw);
            let (image_len, out_image_len) = (shape.c * shape.h * shape.w, shape.oc * spatial);
            let (x0, w0, y0) = (DevicePtr::of(x), DevicePtr::of(w), DevicePtrMut::of(y));
            for img in 0..shape.n {
                let (xi, yi) = (x0.offset(img * image_len), y0.offset(img * out_image_len));
                // SAFETY: thread idx < c * kh * kw * oh * ow = cols_len (its `if (idx >=
                // total) return`) writes cols[idx], inside the workspace (check_len above),
                // and reads image img of x at [c, ih, iw] only for 0 <= ih < h, 0 <= iw < w:
                // inside x's n * c * h * w floats (check_len above) since img < n.
                unsafe { gpu.launch(IM2COL, LaunchConfig::one_d(shape.cols_len(), IM2COL_BLOCK), (xi, cols, s))? };
                // SAFETY: A = w is [oc, ckk] (the weight length, checked), B = the workspace is
                // [ckk, spatial] (cols_len, checked) and C = image img of y is [oc, spatial],
                // inside y's n * oc * spatial floats (checked) since img < n. w and the
                // workspace are allocation starts (256-byte aligned); image img of y starts
                // img * oc * spatial floats in, a multiple of 4 floats (16 bytes) whenever
                // spatial % 4 == 0, the only case where sgemm writes C rows as float4.
                unsafe { sgemm_raw(gpu, gemm, w0, cols.as_const(), yi, shape.oc, spatial, ckk)? };
            }
            Ok(())
        }
    }
}
