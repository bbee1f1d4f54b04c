//! Pooling on `[N, C, H, W]` tensors, differentiable: max pooling, average pooling and
//! adaptive (target-size) average pooling, of which global average pooling is the 1×1 case.
//!
//! Each output element summarises one window of its own channel plane: the largest value
//! (max pooling; the gradient goes to that one position) or the mean (average pooling; the
//! gradient is shared equally). Windows follow PyTorch: `⌊(H + 2p − k)/s⌋ + 1` outputs per
//! axis, padding counts as −∞ for max and, by default, as zeros in the average
//! (`count_include_pad`); adaptive pooling uses windows `[⌊iH/Ho⌋, ⌈(i + 1)H/Ho⌉)`.
//!
//! [`naive`] loops over every plane on one thread; [`fast`] runs planes on rayon threads with
//! a special case for the common 2×2, stride-2 max pooling. The tensor crate's kernel switch
//! picks one.

pub mod fast;
pub mod naive;

use kindling_autograd::Variable;
use kindling_tensor::shape::dims_str;
use kindling_tensor::{kernel_mode, Float, KernelMode, Tensor};

/// Window size, stride and padding of a max or average pooling.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pool2dOptions {
    pub kernel: (usize, usize),
    /// Defaults to the kernel size (non-overlapping windows).
    pub stride: (usize, usize),
    pub padding: (usize, usize),
    /// Average pooling only: whether padded zeros count in the divisor (PyTorch's default).
    pub count_include_pad: bool,
}

impl Pool2dOptions {
    /// A `k × k` window with stride `k` and no padding.
    pub fn new(k: usize) -> Self {
        Pool2dOptions { kernel: (k, k), stride: (k, k), padding: (0, 0), count_include_pad: true }
    }

    pub fn kernel2(kh: usize, kw: usize) -> Self {
        Pool2dOptions { kernel: (kh, kw), stride: (kh, kw), padding: (0, 0), count_include_pad: true }
    }

    pub fn stride(mut self, s: usize) -> Self {
        self.stride = (s, s);
        self
    }

    pub fn stride2(mut self, sh: usize, sw: usize) -> Self {
        self.stride = (sh, sw);
        self
    }

    pub fn padding(mut self, p: usize) -> Self {
        self.padding = (p, p);
        self
    }

    pub fn padding2(mut self, ph: usize, pw: usize) -> Self {
        self.padding = (ph, pw);
        self
    }

    pub fn count_include_pad(mut self, on: bool) -> Self {
        self.count_include_pad = on;
        self
    }
}

/// Every size of one pooling: input `[n, c, h, w]`, windows `kh × kw` every `sh`, `sw` with
/// padding `ph`, `pw`, output `[n, c, ho, wo]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolGeometry {
    pub n: usize,
    pub c: usize,
    pub h: usize,
    pub w: usize,
    pub kh: usize,
    pub kw: usize,
    pub sh: usize,
    pub sw: usize,
    pub ph: usize,
    pub pw: usize,
    pub ho: usize,
    pub wo: usize,
    pub count_include_pad: bool,
}

impl PoolGeometry {
    /// Resolves and checks a pooling of `input`, panicking with the op name and the shape.
    pub fn new(op: &str, input: &[usize], opts: &Pool2dOptions) -> PoolGeometry {
        let bad = |why: String| -> ! { panic!("{op}: input {}: {why}", dims_str(input)) };
        if input.len() != 4 {
            bad("the input must be [N, C, H, W]".into());
        }
        let ((kh, kw), (sh, sw), (ph, pw)) = (opts.kernel, opts.stride, opts.padding);
        if kh == 0 || kw == 0 || sh == 0 || sw == 0 {
            bad(format!("kernel {:?} and stride {:?} must be positive", opts.kernel, opts.stride));
        }
        if 2 * ph > kh || 2 * pw > kw {
            bad(format!("padding {:?} must be at most half the kernel {:?}", opts.padding, opts.kernel));
        }
        let (h, w) = (input[2], input[3]);
        if h + 2 * ph < kh || w + 2 * pw < kw {
            bad(format!("the padded input ({}×{}) is smaller than the kernel {kh}×{kw}", h + 2 * ph, w + 2 * pw));
        }
        PoolGeometry {
            n: input[0],
            c: input[1],
            h,
            w,
            kh,
            kw,
            sh,
            sw,
            ph,
            pw,
            ho: (h + 2 * ph - kh) / sh + 1,
            wo: (w + 2 * pw - kw) / sw + 1,
            count_include_pad: opts.count_include_pad,
        }
    }

    pub fn output_shape(&self) -> [usize; 4] {
        [self.n, self.c, self.ho, self.wo]
    }

    pub fn input_shape(&self) -> [usize; 4] {
        [self.n, self.c, self.h, self.w]
    }

    /// The rows (or columns) `[start, end)` of window `i` clipped to the image, and the
    /// unclipped count (for `count_include_pad`).
    #[inline]
    pub fn window(i: usize, stride: usize, pad: usize, k: usize, size: usize) -> (usize, usize) {
        let start = (i * stride).saturating_sub(pad);
        let end = (i * stride + k).saturating_sub(pad).min(size);
        (start, end)
    }
}

fn use_fast() -> bool {
    kernel_mode() == KernelMode::Fast
}

fn dense_slice<T: Float>(t: &Tensor<T>) -> Tensor<T> {
    t.contiguous()
}

/// Max pooling on plain tensors: the pooled values and, for each, the position of the maximum
/// inside its channel plane (`row · W + col`).
pub fn max_pool2d_tensor<T: Float>(x: &Tensor<T>, opts: &Pool2dOptions) -> (Tensor<T>, Vec<u32>) {
    let g = PoolGeometry::new("max_pool2d", x.shape(), opts);
    let xd = dense_slice(x);
    let xs = xd.as_slice().expect("dense");
    let (y, idx) = if use_fast() { fast::max_forward(&g, xs) } else { naive::max_forward(&g, xs) };
    (Tensor::from_vec(y, g.output_shape()), idx)
}

/// Differentiable max pooling (PyTorch's `F.max_pool2d`).
///
/// ```
/// use kindling_autograd::Variable;
/// use kindling_tensor::Tensor;
/// use kindling_vision::ops::pool::{max_pool2d, Pool2dOptions};
///
/// let x = Variable::param(Tensor::<f32>::arange(16.0).reshape([1, 1, 4, 4]));
/// let y = max_pool2d(&x, &Pool2dOptions::new(2));
/// assert_eq!(y.value().to_vec(), vec![5.0, 7.0, 13.0, 15.0]);
/// ```
pub fn max_pool2d<T: Float>(x: &Variable<T>, opts: &Pool2dOptions) -> Variable<T> {
    let g = PoolGeometry::new("max_pool2d", &x.shape(), opts);
    let (y, idx) = max_pool2d_tensor(&x.value(), opts);
    Variable::from_op("max_pool2d", y, vec![x.clone()], move |dy, _| {
        let dy = dense_slice(dy);
        let d = dy.as_slice().expect("dense");
        let dx = if use_fast() { fast::max_backward(&g, d, &idx) } else { naive::max_backward(&g, d, &idx) };
        vec![Some(Tensor::from_vec(dx, g.input_shape()))]
    })
}

/// Average pooling on plain tensors.
pub fn avg_pool2d_tensor<T: Float>(x: &Tensor<T>, opts: &Pool2dOptions) -> Tensor<T> {
    let g = PoolGeometry::new("avg_pool2d", x.shape(), opts);
    let xd = dense_slice(x);
    let xs = xd.as_slice().expect("dense");
    let y = if use_fast() { fast::avg_forward(&g, xs) } else { naive::avg_forward(&g, xs) };
    Tensor::from_vec(y, g.output_shape())
}

/// Differentiable average pooling (PyTorch's `F.avg_pool2d`).
pub fn avg_pool2d<T: Float>(x: &Variable<T>, opts: &Pool2dOptions) -> Variable<T> {
    let g = PoolGeometry::new("avg_pool2d", &x.shape(), opts);
    let y = avg_pool2d_tensor(&x.value(), opts);
    Variable::from_op("avg_pool2d", y, vec![x.clone()], move |dy, _| {
        let dy = dense_slice(dy);
        let d = dy.as_slice().expect("dense");
        let dx = if use_fast() { fast::avg_backward(&g, d) } else { naive::avg_backward(&g, d) };
        vec![Some(Tensor::from_vec(dx, g.input_shape()))]
    })
}

/// The geometry of an adaptive pooling: input `[n, c, h, w]` to output `[n, c, ho, wo]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AdaptiveGeometry {
    pub n: usize,
    pub c: usize,
    pub h: usize,
    pub w: usize,
    pub ho: usize,
    pub wo: usize,
}

impl AdaptiveGeometry {
    pub fn new(op: &str, input: &[usize], out: (usize, usize)) -> Self {
        if input.len() != 4 || out.0 == 0 || out.1 == 0 || input[2] == 0 || input[3] == 0 {
            panic!(
                "{op}: input {} to output size {out:?}: expected a non-empty [N, C, H, W] and a positive size",
                dims_str(input)
            );
        }
        AdaptiveGeometry { n: input[0], c: input[1], h: input[2], w: input[3], ho: out.0, wo: out.1 }
    }

    /// Window `[⌊i·size/out⌋, ⌈(i + 1)·size/out⌉)`.
    #[inline]
    pub fn window(i: usize, out: usize, size: usize) -> (usize, usize) {
        (i * size / out, ((i + 1) * size).div_ceil(out))
    }
}

/// Adaptive average pooling on plain tensors.
pub fn adaptive_avg_pool2d_tensor<T: Float>(x: &Tensor<T>, out: (usize, usize)) -> Tensor<T> {
    let g = AdaptiveGeometry::new("adaptive_avg_pool2d", x.shape(), out);
    let xd = dense_slice(x);
    let y = naive::adaptive_avg_forward(&g, xd.as_slice().expect("dense"));
    Tensor::from_vec(y, [g.n, g.c, g.ho, g.wo])
}

/// Differentiable adaptive average pooling (PyTorch's `F.adaptive_avg_pool2d`): every channel
/// plane is averaged down to `out` = (rows, columns), whatever the input size. `(1, 1)` is
/// global average pooling.
pub fn adaptive_avg_pool2d<T: Float>(x: &Variable<T>, out: (usize, usize)) -> Variable<T> {
    let g = AdaptiveGeometry::new("adaptive_avg_pool2d", &x.shape(), out);
    let y = adaptive_avg_pool2d_tensor(&x.value(), out);
    Variable::from_op("adaptive_avg_pool2d", y, vec![x.clone()], move |dy, _| {
        let dy = dense_slice(dy);
        let dx = naive::adaptive_avg_backward(&g, dy.as_slice().expect("dense"));
        vec![Some(Tensor::from_vec(dx, [g.n, g.c, g.h, g.w]))]
    })
}
