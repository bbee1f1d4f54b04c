//! Pooling on plain tensors: max and average pooling over `[N, C, H, W]` (and over `[N, C, L]`
//! as the case of height 1), and adaptive (target-size) average pooling, of which global
//! average pooling is the 1×1 case. The differentiable ops are `kindling_autograd::pool`.
//!
//! Each output element summarises one window of its own channel plane: the largest value
//! (max pooling; the gradient goes to that one position) or the mean (average pooling; the
//! gradient is shared equally). Windows follow PyTorch: `⌊(H + 2p − k)/s⌋ + 1` outputs per
//! axis (or the rounded-up count with `ceil_mode`, see [`pool_output_len`]), padding counts as
//! −∞ for max and, by default, as zeros in the average (`count_include_pad`); adaptive pooling
//! uses windows `[⌊iH/Ho⌋, ⌈(i + 1)H/Ho⌉)`.
//!
//! [`naive`] loops over every plane on one thread; [`fast`] runs planes on rayon threads with
//! a special case for the common 2×2, stride-2 max pooling. The tensor crate's kernel switch
//! picks one.

pub mod fast;
pub mod naive;

use crate::shape::dims_str;
use crate::{kernel_mode, Float, KernelMode, Tensor};

/// Window size, stride and padding of a max or average pooling.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pool2dOptions {
    pub kernel: (usize, usize),
    /// Defaults to the kernel size (non-overlapping windows).
    pub stride: (usize, usize),
    pub padding: (usize, usize),
    /// Average pooling only: whether padded zeros count in the divisor (PyTorch's default).
    /// On, a window divides by its full size, except that a window hanging past the right
    /// padding (possible only with `ceil_mode`) stops counting there. Off, it divides by the
    /// number of real elements it covers.
    pub count_include_pad: bool,
    /// Whether a last, partial window is kept when the stride does not divide the padded
    /// length (PyTorch's `ceil_mode`; off by default). Off, only windows that fit wholly in the
    /// padded input count. On, the count of windows is rounded up instead, but a window is
    /// kept only if it begins on a real element or on the left padding, never on the right
    /// padding or past it. A partial window pools over what it covers; an average with
    /// `count_include_pad` divides by its width up to the end of the right padding, and one
    /// without divides by the number of real elements in it. See [`pool_output_len`].
    pub ceil_mode: bool,
}

impl Pool2dOptions {
    /// A `k × k` window with stride `k` and no padding.
    pub fn new(k: usize) -> Self {
        Pool2dOptions { kernel: (k, k), stride: (k, k), padding: (0, 0), count_include_pad: true, ceil_mode: false }
    }

    pub fn kernel2(kh: usize, kw: usize) -> Self {
        Pool2dOptions { kernel: (kh, kw), stride: (kh, kw), padding: (0, 0), count_include_pad: true, ceil_mode: false }
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

    /// Keeps a last, partial window (PyTorch's `ceil_mode`); see the field's docs.
    pub fn ceil_mode(mut self, on: bool) -> Self {
        self.ceil_mode = on;
        self
    }
}

/// Window size, stride and padding of a 1-D max or average pooling over `[N, C, L]`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pool1dOptions {
    pub kernel: usize,
    /// Defaults to the kernel size (non-overlapping windows).
    pub stride: usize,
    pub padding: usize,
    /// Average pooling only: whether padded zeros count in the divisor (PyTorch's default).
    /// On, a window divides by its full size, except that a window hanging past the right
    /// padding (possible only with `ceil_mode`) stops counting there. Off, it divides by the
    /// number of real elements it covers.
    pub count_include_pad: bool,
    /// Whether a last, partial window is kept when the stride does not divide the padded
    /// length (PyTorch's `ceil_mode`; off by default). Off, only windows that fit wholly in the
    /// padded input count. On, the count of windows is rounded up instead, but a window is
    /// kept only if it begins on a real element or on the left padding, never on the right
    /// padding or past it. A partial window pools over what it covers; an average with
    /// `count_include_pad` divides by its width up to the end of the right padding, and one
    /// without divides by the number of real elements in it. See [`pool_output_len`].
    pub ceil_mode: bool,
}

impl Pool1dOptions {
    /// A window of `k` with stride `k` and no padding.
    pub fn new(k: usize) -> Self {
        Pool1dOptions { kernel: k, stride: k, padding: 0, count_include_pad: true, ceil_mode: false }
    }

    pub fn stride(mut self, s: usize) -> Self {
        self.stride = s;
        self
    }

    pub fn padding(mut self, p: usize) -> Self {
        self.padding = p;
        self
    }

    pub fn count_include_pad(mut self, on: bool) -> Self {
        self.count_include_pad = on;
        self
    }

    /// Keeps a last, partial window (PyTorch's `ceil_mode`); see the field's docs.
    pub fn ceil_mode(mut self, on: bool) -> Self {
        self.ceil_mode = on;
        self
    }

    /// The same pooling over `[N, C, 1, L]`, which the 2-D kernels run unchanged.
    pub fn as_2d(&self) -> Pool2dOptions {
        Pool2dOptions {
            kernel: (1, self.kernel),
            stride: (1, self.stride),
            padding: (0, self.padding),
            count_include_pad: self.count_include_pad,
            ceil_mode: self.ceil_mode,
        }
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
    /// Whether `ho` and `wo` were rounded up (see [`pool_output_len`]); the kernels read only
    /// the sizes.
    pub ceil_mode: bool,
}

impl PoolGeometry {
    /// Resolves and checks a pooling of `input`, panicking with the op name and the shape.
    pub fn new(op: &str, input: &[usize], opts: &Pool2dOptions) -> PoolGeometry {
        Self::resolve(op, input, opts, input)
    }

    /// Resolves a 1-D pooling of `input` `[N, C, L]` as the 2-D pooling of height 1 that
    /// computes it; messages name the 1-D shape.
    pub fn new_1d(op: &str, input: &[usize], opts: &Pool1dOptions) -> PoolGeometry {
        if input.len() != 3 {
            panic!("{op}: input {}: the input must be [N, C, L]", dims_str(input));
        }
        Self::resolve(op, &[input[0], input[1], 1, input[2]], &opts.as_2d(), input)
    }

    fn resolve(op: &str, input: &[usize], opts: &Pool2dOptions, shown: &[usize]) -> PoolGeometry {
        let bad = |why: String| -> ! { panic!("{op}: input {}: {why}", dims_str(shown)) };
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
            ho: pool_output_len(h, kh, sh, ph, opts.ceil_mode),
            wo: pool_output_len(w, kw, sw, pw, opts.ceil_mode),
            count_include_pad: opts.count_include_pad,
            ceil_mode: opts.ceil_mode,
        }
    }

    pub fn output_shape(&self) -> [usize; 4] {
        [self.n, self.c, self.ho, self.wo]
    }

    pub fn input_shape(&self) -> [usize; 4] {
        [self.n, self.c, self.h, self.w]
    }

    /// The rows (or columns) `[start, end)` of window `i` clipped to the image.
    #[inline]
    pub fn window(i: usize, stride: usize, pad: usize, k: usize, size: usize) -> (usize, usize) {
        let start = (i * stride).saturating_sub(pad);
        let end = (i * stride + k).saturating_sub(pad).min(size);
        (start, end)
    }

    /// How many rows (or columns) of the padded axis window `i` covers: `k`, unless the window
    /// hangs past the right padding (only with `ceil_mode`), where it stops counting. This is
    /// what `count_include_pad` divides by.
    #[inline]
    pub fn padded_extent(i: usize, stride: usize, pad: usize, k: usize, size: usize) -> usize {
        let start = i * stride;
        (start + k).min(size + 2 * pad) - start
    }
}

/// The number of pooling windows along an axis of `size` elements, `pad` on each side, for
/// windows of `k` every `stride` (`size + 2·pad ≥ k`).
///
/// Without `ceil_mode`, it counts the windows that fit wholly: `⌊(size + 2·pad − k)/stride⌋ + 1`.
/// With it, the division rounds up, so one more window may start near the end and run past
/// it; that window is dropped again if it would begin at or beyond `size + pad` in padded
/// coordinates (then it would cover padding only). The kept windows each hold at least one
/// real element.
///
/// ```
/// use kindling_tensor::pool::pool_output_len;
///
/// assert_eq!(pool_output_len(10, 3, 2, 1, false), 5);
/// assert_eq!(pool_output_len(10, 3, 2, 1, true), 6); // a sixth window over 9 and the padding
/// assert_eq!(pool_output_len(5, 2, 2, 1, true), 3); // a fourth would start on the padding
/// ```
pub fn pool_output_len(size: usize, k: usize, stride: usize, pad: usize, ceil_mode: bool) -> usize {
    let span = size + 2 * pad - k;
    if !ceil_mode {
        return span / stride + 1;
    }
    let n = span.div_ceil(stride) + 1;
    if (n - 1) * stride >= size + pad {
        n - 1
    } else {
        n
    }
}

fn use_fast() -> bool {
    kernel_mode() == KernelMode::Fast
}

fn dense<T: Float>(t: &Tensor<T>) -> Tensor<T> {
    t.contiguous()
}

/// Max pooling (PyTorch's `F.max_pool2d` without the graph): the pooled values and, for each,
/// the position of the maximum inside its channel plane (`row · W + col`), which
/// [`max_backward`] routes the gradient to.
///
/// ```
/// use kindling_tensor::pool::{max_pool2d, Pool2dOptions};
/// use kindling_tensor::Tensor;
///
/// let x = Tensor::<f32>::arange(16.0).reshape([1, 1, 4, 4]);
/// let (y, _) = max_pool2d(&x, &Pool2dOptions::new(2));
/// assert_eq!(y.to_vec(), vec![5.0, 7.0, 13.0, 15.0]);
/// ```
pub fn max_pool2d<T: Float>(x: &Tensor<T>, opts: &Pool2dOptions) -> (Tensor<T>, Vec<u32>) {
    let g = PoolGeometry::new("max_pool2d", x.shape(), opts);
    max_forward(&g, x)
}

/// The forward kernel of a resolved max pooling (any layout, viewed as `g`'s input shape).
pub fn max_forward<T: Float>(g: &PoolGeometry, x: &Tensor<T>) -> (Tensor<T>, Vec<u32>) {
    let xd = dense(x);
    let xs = xd.as_slice().expect("dense");
    let (y, idx) = if use_fast() { fast::max_forward(g, xs) } else { naive::max_forward(g, xs) };
    (Tensor::from_vec(y, g.output_shape()), idx)
}

/// The input gradient of a max pooling: each `∂y` goes to the position `idx` recorded.
pub fn max_backward<T: Float>(g: &PoolGeometry, dy: &Tensor<T>, idx: &[u32]) -> Tensor<T> {
    let dy = dense(dy);
    let d = dy.as_slice().expect("dense");
    let dx = if use_fast() { fast::max_backward(g, d, idx) } else { naive::max_backward(g, d, idx) };
    Tensor::from_vec(dx, g.input_shape())
}

/// Average pooling (PyTorch's `F.avg_pool2d` without the graph).
pub fn avg_pool2d<T: Float>(x: &Tensor<T>, opts: &Pool2dOptions) -> Tensor<T> {
    let g = PoolGeometry::new("avg_pool2d", x.shape(), opts);
    avg_forward(&g, x)
}

/// The forward kernel of a resolved average pooling.
pub fn avg_forward<T: Float>(g: &PoolGeometry, x: &Tensor<T>) -> Tensor<T> {
    let xd = dense(x);
    let xs = xd.as_slice().expect("dense");
    let y = if use_fast() { fast::avg_forward(g, xs) } else { naive::avg_forward(g, xs) };
    Tensor::from_vec(y, g.output_shape())
}

/// The input gradient of an average pooling: each `∂y` shared equally over its window.
pub fn avg_backward<T: Float>(g: &PoolGeometry, dy: &Tensor<T>) -> Tensor<T> {
    let dy = dense(dy);
    let d = dy.as_slice().expect("dense");
    let dx = if use_fast() { fast::avg_backward(g, d) } else { naive::avg_backward(g, d) };
    Tensor::from_vec(dx, g.input_shape())
}

/// 1-D max pooling over `[N, C, L]` (PyTorch's `F.max_pool1d` without the graph), run as the
/// 2-D pooling of height 1; positions are indices along `L`.
pub fn max_pool1d<T: Float>(x: &Tensor<T>, opts: &Pool1dOptions) -> (Tensor<T>, Vec<u32>) {
    let g = PoolGeometry::new_1d("max_pool1d", x.shape(), opts);
    let (y, idx) = max_forward(&g, &x.unsqueeze(2));
    (y.squeeze(2), idx)
}

/// 1-D average pooling over `[N, C, L]` (PyTorch's `F.avg_pool1d` without the graph).
///
/// With `ceil_mode`, a last window may overhang the end; `count_include_pad` decides whether
/// it divides by its width up to the end of the padding or by its real elements only:
///
/// ```
/// use kindling_tensor::pool::{avg_pool1d, Pool1dOptions};
/// use kindling_tensor::Tensor;
///
/// let x = Tensor::<f64>::arange(10.0).reshape([1, 1, 10]);
/// let opts = Pool1dOptions::new(3).stride(2).padding(1).ceil_mode(true);
/// // The sixth window covers 9 and the right padding: (9 + 0) / 2.
/// assert_eq!(avg_pool1d(&x, &opts).to_vec(), vec![1.0 / 3.0, 2.0, 4.0, 6.0, 8.0, 4.5]);
/// // Only real elements count: 9 / 1.
/// let y = avg_pool1d(&x, &opts.count_include_pad(false)).to_vec();
/// assert_eq!((y.len(), y[5]), (6, 9.0));
/// ```
pub fn avg_pool1d<T: Float>(x: &Tensor<T>, opts: &Pool1dOptions) -> Tensor<T> {
    let g = PoolGeometry::new_1d("avg_pool1d", x.shape(), opts);
    avg_forward(&g, &x.unsqueeze(2)).squeeze(2)
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

/// Adaptive average pooling (PyTorch's `F.adaptive_avg_pool2d` without the graph): every
/// channel plane is averaged down to `out` = (rows, columns), whatever the input size; `(1, 1)`
/// is global average pooling.
pub fn adaptive_avg_pool2d<T: Float>(x: &Tensor<T>, out: (usize, usize)) -> Tensor<T> {
    let g = AdaptiveGeometry::new("adaptive_avg_pool2d", x.shape(), out);
    let xd = dense(x);
    let y = naive::adaptive_avg_forward(&g, xd.as_slice().expect("dense"));
    Tensor::from_vec(y, [g.n, g.c, g.ho, g.wo])
}

/// The input gradient of an adaptive average pooling.
pub fn adaptive_avg_backward<T: Float>(g: &AdaptiveGeometry, dy: &Tensor<T>) -> Tensor<T> {
    let dy = dense(dy);
    let dx = naive::adaptive_avg_backward(g, dy.as_slice().expect("dense"));
    Tensor::from_vec(dx, [g.n, g.c, g.h, g.w])
}
