//! Elementwise binary ops and broadcasting (`kernels/elementwise.cu`).

use super::check_len;
use crate::device::Gpu;
use crate::kernel::{declare_kernels, DevicePtr, DevicePtrMut, Kernel, KernelParam};
use crate::launch::{ceil_div, to_i32, LaunchConfig, MAX_GRID_YZ};
use crate::Result;
use cust::memory::DeviceBuffer;
use std::fmt;

declare_kernels! {
    family: Elementwise;
    /// Binary v1: one thread per element.
    pub const BINARY_V1_NAIVE =
        binary_v1_naive(a: DevicePtr<f32>, b: DevicePtr<f32>, out: DevicePtrMut<f32>, n: i32, op: i32);
    /// Binary v2: four elements per thread as one `float4`, scalar tail.
    pub const BINARY_V2_FLOAT4 =
        binary_v2_float4(a: DevicePtr<f32>, b: DevicePtr<f32>, out: DevicePtrMut<f32>, n: i32, op: i32);
    /// Broadcast v1: general 4-D strided broadcast, one thread per output element.
    pub const BROADCAST_V1_NAIVE = broadcast_v1_naive(
        a: DevicePtr<f32>,
        b: DevicePtr<f32>,
        out: DevicePtrMut<f32>,
        s: Broadcast4,
        n: i32,
        op: i32,
    );
    /// Broadcast v2: `a[rows, cols] (op) b[cols]`, a row per grid.y, `float4` when `cols % 4 == 0`.
    pub const BROADCAST_V2_ROWS_FLOAT4 = broadcast_v2_rows_float4(
        a: DevicePtr<f32>,
        b: DevicePtr<f32>,
        out: DevicePtrMut<f32>,
        rows: i32,
        cols: i32,
        op: i32,
    );
}

/// The parameters of both binary kernels: `(a, b, out, n, op)`.
pub type BinaryArgs = (DevicePtr<f32>, DevicePtr<f32>, DevicePtrMut<f32>, i32, i32);

/// The binary operation; the discriminant is the op code the kernels take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    /// `a + b`
    Add = 0,
    /// `a - b`
    Sub = 1,
    /// `a * b`
    Mul = 2,
    /// `a / b`
    Div = 3,
}

impl BinaryOp {
    /// Every op.
    pub const ALL: [BinaryOp; 4] = [BinaryOp::Add, BinaryOp::Sub, BinaryOp::Mul, BinaryOp::Div];

    /// The op on the CPU, as the kernels compute it.
    pub fn apply(self, x: f32, y: f32) -> f32 {
        match self {
            BinaryOp::Add => x + y,
            BinaryOp::Sub => x - y,
            BinaryOp::Mul => x * y,
            BinaryOp::Div => x / y,
        }
    }
}

/// Versions of the same-shape binary op.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Binary {
    /// One thread per element.
    V1Naive {
        /// Threads per block.
        block: u32,
    },
    /// Four elements per thread through `float4`, scalar tail.
    V2Float4 {
        /// Threads per block.
        block: u32,
    },
}

impl Binary {
    /// Every version at every validated block size.
    pub fn all() -> Vec<Binary> {
        let mut v: Vec<Binary> = super::BLOCKS_1D.iter().map(|&block| Binary::V1Naive { block }).collect();
        v.extend(super::BLOCKS_1D.iter().map(|&block| Binary::V2Float4 { block }));
        v
    }

    /// The kernel.
    pub fn kernel(self) -> Kernel<BinaryArgs> {
        match self {
            Binary::V1Naive { .. } => BINARY_V1_NAIVE,
            Binary::V2Float4 { .. } => BINARY_V2_FLOAT4,
        }
    }

    /// Launch configuration for `n` elements.
    pub fn config(self, n: usize) -> LaunchConfig {
        match self {
            Binary::V1Naive { block } => LaunchConfig::one_d(n, block),
            Binary::V2Float4 { block } => LaunchConfig::one_d(ceil_div(n, 4), block),
        }
    }
}

impl fmt::Display for Binary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Binary::V1Naive { block } => write!(f, "binary v1 naive (block {block})"),
            Binary::V2Float4 { block } => write!(f, "binary v2 float4 (block {block})"),
        }
    }
}

/// `out[i] = a[i] (op) b[i]` for the first `n` elements.
pub fn binary(
    gpu: &Gpu,
    version: Binary,
    op: BinaryOp,
    a: &DeviceBuffer<f32>,
    b: &DeviceBuffer<f32>,
    out: &mut DeviceBuffer<f32>,
    n: usize,
) -> Result<()> {
    for (what, buf) in [("a", a), ("b", b), ("out", &*out)] {
        check_len("binary", what, buf, n);
    }
    let args = (DevicePtr::of(a), DevicePtr::of(b), DevicePtrMut::of(out), to_i32("n", n), op as i32);
    // SAFETY: both versions touch a[i], b[i], out[i] only for i < n (v1's `if (i < n)`; v2's
    // float4 path needs i + 3 < n, its scalar tail i < n), and check_len above made sure each
    // buffer holds at least n floats. v2's float4 accesses at element 4t are 16-byte aligned
    // because the three addresses are allocation starts (cuMemAlloc aligns to 256 bytes).
    unsafe { gpu.launch(version.kernel(), version.config(n), args) }
}

/// Shape and strides of a broadcast padded on the left to four dimensions; the layout matches
/// `struct Broadcast4` in `elementwise.cu`.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Broadcast4 {
    /// Output shape.
    pub dims: [i32; 4],
    /// Element strides of `a` (0 on a broadcast axis).
    pub a_strides: [i32; 4],
    /// Element strides of `b` (0 on a broadcast axis).
    pub b_strides: [i32; 4],
}

impl Broadcast4 {
    /// NumPy broadcasting of contiguous shapes of rank at most 4. Panics, naming both shapes,
    /// when they do not broadcast.
    pub fn new(sa: &[usize], sb: &[usize]) -> Broadcast4 {
        assert!(sa.len() <= 4 && sb.len() <= 4, "broadcast: shapes {sa:?} and {sb:?} have rank above 4");
        let pad = |s: &[usize]| {
            let mut v = [1usize; 4];
            v[4 - s.len()..].copy_from_slice(s);
            v
        };
        let (pa, pb) = (pad(sa), pad(sb));
        let strides = |p: [usize; 4]| {
            let mut st = [0i32; 4];
            let mut acc = 1usize;
            for d in (0..4).rev() {
                st[d] = if p[d] == 1 { 0 } else { to_i32("stride", acc) };
                acc *= p[d];
            }
            st
        };
        let mut dims = [0i32; 4];
        for d in 0..4 {
            assert!(
                pa[d] == pb[d] || pa[d] == 1 || pb[d] == 1,
                "broadcast: cannot broadcast {sa:?} with {sb:?}: sizes {} and {} differ",
                pa[d],
                pb[d]
            );
            dims[d] = to_i32("dim", pa[d].max(pb[d]));
        }
        Broadcast4 { dims, a_strides: strides(pa), b_strides: strides(pb) }
    }

    /// Elements of the output.
    pub fn len(&self) -> usize {
        self.dims.iter().map(|&d| d as usize).product()
    }

    /// Whether the output is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

// SAFETY: `#[repr(C)]` with the fields of `struct Broadcast4` in elementwise.cu in the same
// order: three `int[4]` arrays, 48 bytes aligned to 4 (the PTX's `.align 4 .b8 [48]`, which a
// test compares), and every bit pattern is a valid array of ints.
unsafe impl KernelParam for Broadcast4 {
    fn c_type() -> String {
        "Broadcast4".into()
    }
}

/// Versions of the broadcasting op.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Broadcast {
    /// General 4-D strided broadcast, one thread per output element.
    V1Naive {
        /// Threads per block.
        block: u32,
    },
    /// `a[rows, cols] (op) b[cols]` only: 2-D grid, `float4` along rows when `cols % 4 == 0`.
    V2RowsFloat4 {
        /// Threads per block.
        block: u32,
    },
}

impl Broadcast {
    /// Every version at every validated block size.
    pub fn all() -> Vec<Broadcast> {
        let mut v: Vec<Broadcast> = super::BLOCKS_1D.iter().map(|&block| Broadcast::V1Naive { block }).collect();
        v.extend(super::BLOCKS_1D.iter().map(|&block| Broadcast::V2RowsFloat4 { block }));
        v
    }

    /// The PTX entry point.
    pub fn kernel(self) -> &'static str {
        match self {
            Broadcast::V1Naive { .. } => BROADCAST_V1_NAIVE.name(),
            Broadcast::V2RowsFloat4 { .. } => BROADCAST_V2_ROWS_FLOAT4.name(),
        }
    }

    /// Launch configuration for the row case `[rows, cols] (op) [cols]`.
    pub fn rows_config(self, rows: usize, cols: usize) -> LaunchConfig {
        match self {
            Broadcast::V1Naive { block } => LaunchConfig::one_d(rows * cols, block),
            Broadcast::V2RowsFloat4 { block } => {
                assert!(rows <= MAX_GRID_YZ as usize, "broadcast v2: {rows} rows exceed grid.y's {MAX_GRID_YZ}");
                let mut cfg = LaunchConfig::one_d(ceil_div(cols, 4), block);
                cfg.grid.1 = rows.max(1) as u32;
                cfg
            }
        }
    }
}

impl fmt::Display for Broadcast {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Broadcast::V1Naive { block } => write!(f, "broadcast v1 naive (block {block})"),
            Broadcast::V2RowsFloat4 { block } => write!(f, "broadcast v2 rows float4 (block {block})"),
        }
    }
}

/// General broadcast with the v1 kernel: `out = a (op) b` with NumPy rules, `a` of shape `sa`
/// and `b` of shape `sb`, both contiguous. Returns the output shape.
pub fn broadcast(
    gpu: &Gpu,
    block: u32,
    op: BinaryOp,
    a: &DeviceBuffer<f32>,
    sa: &[usize],
    b: &DeviceBuffer<f32>,
    sb: &[usize],
    out: &mut DeviceBuffer<f32>,
) -> Result<Vec<usize>> {
    let shape = Broadcast4::new(sa, sb);
    check_len("broadcast", "a", a, sa.iter().product());
    check_len("broadcast", "b", b, sb.iter().product());
    check_len("broadcast", "out", out, shape.len());
    let cfg = LaunchConfig::one_d(shape.len(), block);
    let args = (DevicePtr::of(a), DevicePtr::of(b), DevicePtrMut::of(out), shape, to_i32("n", shape.len()), op as i32);
    // SAFETY: the kernel writes out[i] for i < n = shape.len() (its `if (i >= n) return`), and
    // `out` holds that many (check_len above). It reads a at sum(coord[d] * a_strides[d]) over
    // coordinates below `dims`; `Broadcast4::new` made the strides those of `sa` padded to 4-D
    // (0 where sa's size is 1, so coord and size agree elsewhere), so the largest index is
    // product(sa) - 1, and `a` holds product(sa) floats (check_len above); the same for b. No
    // index overflows the kernel's int: to_i32 checked n, and product(sa) <= n.
    unsafe { gpu.launch(BROADCAST_V1_NAIVE, cfg, args)? };
    let rank = sa.len().max(sb.len());
    Ok(shape.dims[4 - rank..].iter().map(|&d| d as usize).collect())
}

/// The row case with either version: `out[r, c] = a[r, c] (op) b[c]`.
pub fn broadcast_rows(
    gpu: &Gpu,
    version: Broadcast,
    op: BinaryOp,
    a: &DeviceBuffer<f32>,
    b: &DeviceBuffer<f32>,
    out: &mut DeviceBuffer<f32>,
    rows: usize,
    cols: usize,
) -> Result<()> {
    match version {
        Broadcast::V1Naive { block } => broadcast(gpu, block, op, a, &[rows, cols], b, &[cols], out).map(|_| ()),
        Broadcast::V2RowsFloat4 { .. } => {
            check_len("broadcast_rows", "a", a, rows * cols);
            check_len("broadcast_rows", "b", b, cols);
            check_len("broadcast_rows", "out", out, rows * cols);
            let cfg = version.rows_config(rows, cols);
            let (r, c) = (to_i32("rows", rows), to_i32("cols", cols));
            let args = (DevicePtr::of(a), DevicePtr::of(b), DevicePtrMut::of(out), r, c, op as i32);
            // SAFETY: the kernel handles row r < rows (its `if (r >= rows) return`) and, in it,
            // columns c < cols only (`t * 4 < cols` on the float4 path, `c < cols` on the
            // scalar one): it reads a[r * cols + c] and b[c] and writes out[r * cols + c], and
            // check_len above made sure a and out hold rows * cols floats and b cols. The
            // float4 path runs only when cols % 4 == 0, so every row of a and out starts
            // 16-byte aligned in its (256-byte aligned) allocation, as does b.
            unsafe { gpu.launch(BROADCAST_V2_ROWS_FLOAT4, cfg, args) }
        }
    }
}
