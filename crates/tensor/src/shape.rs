//! Shapes, strides and the layout that maps an N-d index to a place in storage.
//!
//! A tensor is a window onto a flat buffer: element `[i0, i1, ..., in]` lives at
//! `offset + i0*stride0 + i1*stride1 + ... + in*striden`. Every view (transpose, slice,
//! expand, ...) only computes a new [`Layout`]; the buffer is shared, never copied.

use std::fmt;

/// The extent of each dimension. `[]` is a scalar (rank 0, one element).
#[derive(Clone, PartialEq, Eq, Hash, Default)]
pub struct Shape(pub Vec<usize>);

impl Shape {
    pub fn dims(&self) -> &[usize] {
        &self.0
    }
    pub fn rank(&self) -> usize {
        self.0.len()
    }
    pub fn numel(&self) -> usize {
        self.0.iter().product()
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", dims_str(&self.0))
    }
}

impl fmt::Debug for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", dims_str(&self.0))
    }
}

impl<const N: usize> From<[usize; N]> for Shape {
    fn from(d: [usize; N]) -> Self {
        Shape(d.to_vec())
    }
}
impl From<&[usize]> for Shape {
    fn from(d: &[usize]) -> Self {
        Shape(d.to_vec())
    }
}
impl<const N: usize> From<&[usize; N]> for Shape {
    fn from(d: &[usize; N]) -> Self {
        Shape(d.to_vec())
    }
}
impl From<Vec<usize>> for Shape {
    fn from(d: Vec<usize>) -> Self {
        Shape(d)
    }
}
impl From<&Vec<usize>> for Shape {
    fn from(d: &Vec<usize>) -> Self {
        Shape(d.clone())
    }
}
impl From<()> for Shape {
    fn from(_: ()) -> Self {
        Shape(Vec::new())
    }
}
impl From<&Shape> for Shape {
    fn from(s: &Shape) -> Self {
        s.clone()
    }
}

/// `[2, 3]`: how shapes appear in every error message.
pub fn dims_str(dims: &[usize]) -> String {
    let inner: Vec<String> = dims.iter().map(|d| d.to_string()).collect();
    format!("[{}]", inner.join(", "))
}

/// Dimensions for `reshape`/`view`, where one entry may be `-1` ("whatever is left").
pub trait IntoDims {
    fn into_dims(self) -> Vec<isize>;
}
impl<const N: usize> IntoDims for [isize; N] {
    fn into_dims(self) -> Vec<isize> {
        self.to_vec()
    }
}
impl IntoDims for &[isize] {
    fn into_dims(self) -> Vec<isize> {
        self.to_vec()
    }
}
impl IntoDims for Vec<isize> {
    fn into_dims(self) -> Vec<isize> {
        self
    }
}
impl IntoDims for &[usize] {
    fn into_dims(self) -> Vec<isize> {
        self.iter().map(|&d| d as isize).collect()
    }
}
impl IntoDims for Vec<usize> {
    fn into_dims(self) -> Vec<isize> {
        self.iter().map(|&d| d as isize).collect()
    }
}
impl IntoDims for &Vec<usize> {
    fn into_dims(self) -> Vec<isize> {
        self.iter().map(|&d| d as isize).collect()
    }
}
impl IntoDims for &Shape {
    fn into_dims(self) -> Vec<isize> {
        self.0.iter().map(|&d| d as isize).collect()
    }
}

/// Which axes a reduction runs over. Negative axes count from the end, as in PyTorch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Axes {
    /// Every axis: the result has one element.
    All,
    These(Vec<isize>),
}

impl From<isize> for Axes {
    fn from(a: isize) -> Self {
        Axes::These(vec![a])
    }
}
impl<const N: usize> From<[isize; N]> for Axes {
    fn from(a: [isize; N]) -> Self {
        Axes::These(a.to_vec())
    }
}
impl From<&[isize]> for Axes {
    fn from(a: &[isize]) -> Self {
        Axes::These(a.to_vec())
    }
}
impl From<Vec<isize>> for Axes {
    fn from(a: Vec<isize>) -> Self {
        Axes::These(a)
    }
}

/// Turns a possibly negative axis into an index below `rank`, or panics naming the op.
pub fn normalize_axis(op: &str, axis: isize, dims: &[usize]) -> usize {
    let rank = dims.len() as isize;
    let a = if axis < 0 { axis + rank } else { axis };
    if a < 0 || a >= rank {
        panic!(
            "{op}: axis {axis} is out of range for a tensor of shape {} (rank {rank}, valid axes {}..={})",
            dims_str(dims),
            -rank,
            rank - 1
        );
    }
    a as usize
}

/// Like [`normalize_axis`] but for an insertion point, which may equal `rank` (`unsqueeze`).
pub fn normalize_insert_axis(op: &str, axis: isize, dims: &[usize]) -> usize {
    let rank = dims.len() as isize + 1;
    let a = if axis < 0 { axis + rank } else { axis };
    if a < 0 || a >= rank {
        panic!(
            "{op}: axis {axis} is out of range for inserting into shape {} (valid axes {}..={})",
            dims_str(dims),
            -rank,
            rank - 1
        );
    }
    a as usize
}

/// Sorted, deduplicated axes; panics on an out-of-range or repeated axis.
pub fn normalize_axes(op: &str, axes: &Axes, dims: &[usize]) -> Vec<usize> {
    match axes {
        Axes::All => (0..dims.len()).collect(),
        Axes::These(list) => {
            let mut out: Vec<usize> = list.iter().map(|&a| normalize_axis(op, a, dims)).collect();
            out.sort_unstable();
            let before = out.len();
            out.dedup();
            if out.len() != before {
                panic!("{op}: axes {list:?} name the same axis twice (shape {})", dims_str(dims));
            }
            out
        }
    }
}

/// The shape two operands broadcast to, following NumPy/PyTorch: align from the right; each
/// pair of sizes must be equal or one of them 1.
pub fn broadcast_shapes(op: &str, a: &[usize], b: &[usize]) -> Vec<usize> {
    let rank = a.len().max(b.len());
    let mut out = vec![0; rank];
    for i in 0..rank {
        let da = if i < rank - a.len() { 1 } else { a[i - (rank - a.len())] };
        let db = if i < rank - b.len() { 1 } else { b[i - (rank - b.len())] };
        out[i] = if da == db || db == 1 {
            da
        } else if da == 1 {
            db
        } else {
            panic!(
                "{op}: shapes {} and {} cannot be broadcast: sizes {da} and {db} differ at axis {i} of the result and neither is 1",
                dims_str(a),
                dims_str(b)
            );
        };
    }
    out
}

/// Row-major strides of a dense tensor of shape `dims`.
pub fn contiguous_strides(dims: &[usize]) -> Vec<usize> {
    let mut strides = vec![0; dims.len()];
    let mut s = 1;
    for i in (0..dims.len()).rev() {
        strides[i] = s;
        s *= dims[i].max(1);
    }
    strides
}

/// The multi-index of the `flat`-th element, counting in row-major order through `dims`: the
/// inverse of `Σ index[i] · contiguous_strides(dims)[i]`. Error messages use it to name the first
/// bad element of a tensor read with `to_vec`.
///
/// ```
/// use kindling_tensor::shape::unravel_index;
///
/// assert_eq!(unravel_index(5, &[2, 3]), vec![1, 2]);
/// assert_eq!(unravel_index(0, &[]), Vec::<usize>::new());
/// ```
pub fn unravel_index(mut flat: usize, dims: &[usize]) -> Vec<usize> {
    let mut index = vec![0; dims.len()];
    for axis in (0..dims.len()).rev() {
        index[axis] = flat % dims[axis];
        flat /= dims[axis];
    }
    index
}

/// Where a tensor's elements are in its storage.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Layout {
    pub shape: Vec<usize>,
    pub strides: Vec<usize>,
    pub offset: usize,
}

impl Layout {
    /// A dense, row-major layout starting at element 0.
    pub fn contiguous(shape: &[usize]) -> Self {
        Layout { shape: shape.to_vec(), strides: contiguous_strides(shape), offset: 0 }
    }

    pub fn rank(&self) -> usize {
        self.shape.len()
    }

    pub fn numel(&self) -> usize {
        self.shape.iter().product()
    }

    /// True when the elements are dense, in row-major order (size-1 axes may have any stride).
    pub fn is_contiguous(&self) -> bool {
        if self.numel() == 0 {
            return true;
        }
        let mut expected = 1;
        for i in (0..self.rank()).rev() {
            if self.shape[i] != 1 && self.strides[i] != expected {
                return false;
            }
            expected *= self.shape[i];
        }
        true
    }

    /// The storage position of the element at multi-index `idx`.
    #[inline]
    pub fn offset_of(&self, idx: &[usize]) -> usize {
        self.offset + idx.iter().zip(&self.strides).map(|(i, s)| i * s).sum::<usize>()
    }

    /// The largest storage position plus one that this layout touches (0 when empty).
    pub fn span_end(&self) -> usize {
        if self.numel() == 0 {
            return self.offset;
        }
        self.offset + self.shape.iter().zip(&self.strides).map(|(d, s)| (d - 1) * s).sum::<usize>() + 1
    }

    /// Strides of this tensor seen as `target` (which it must broadcast to): broadcast axes get
    /// stride 0.
    pub fn broadcast_strides(&self, op: &str, target: &[usize]) -> Vec<usize> {
        let extra = target.len().checked_sub(self.rank()).unwrap_or_else(|| {
            panic!("{op}: cannot broadcast shape {} to the smaller rank of {}", dims_str(&self.shape), dims_str(target))
        });
        let mut strides = vec![0; target.len()];
        for i in 0..self.rank() {
            let d = self.shape[i];
            let t = target[extra + i];
            if d == t {
                strides[extra + i] = self.strides[i];
            } else if d == 1 {
                strides[extra + i] = 0;
            } else {
                panic!(
                    "{op}: cannot broadcast shape {} to {}: size {d} at axis {i} is neither {t} nor 1",
                    dims_str(&self.shape),
                    dims_str(target)
                );
            }
        }
        strides
    }

    /// Storage positions of every element in row-major logical order.
    pub fn offsets(&self) -> StridedOffsets {
        StridedOffsets::new(&self.shape, &self.strides, self.offset)
    }
}

/// Iterates storage positions of a strided layout in row-major order (an odometer).
pub struct StridedOffsets {
    shape: Vec<usize>,
    strides: Vec<usize>,
    index: Vec<usize>,
    next: Option<usize>,
}

impl StridedOffsets {
    pub fn new(shape: &[usize], strides: &[usize], offset: usize) -> Self {
        let empty = shape.contains(&0);
        StridedOffsets {
            shape: shape.to_vec(),
            strides: strides.to_vec(),
            index: vec![0; shape.len()],
            next: if empty { None } else { Some(offset) },
        }
    }
}

impl Iterator for StridedOffsets {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        let current = self.next?;
        // Advance the odometer: bump the last axis, carrying into earlier ones.
        let mut pos = current;
        let mut axis = self.shape.len();
        loop {
            if axis == 0 {
                self.next = None;
                break;
            }
            axis -= 1;
            self.index[axis] += 1;
            pos += self.strides[axis];
            if self.index[axis] < self.shape[axis] {
                self.next = Some(pos);
                break;
            }
            pos -= self.strides[axis] * self.shape[axis];
            self.index[axis] = 0;
        }
        Some(current)
    }
}

/// Merges adjacent axes that every operand walks with compatible strides, so that a
/// contiguous tensor becomes one long axis and a row broadcast becomes `[rows, cols]`.
/// Returns the merged shape and, per operand, the merged strides. Size-1 axes are dropped.
pub fn coalesce(shape: &[usize], strides: &[&[usize]]) -> (Vec<usize>, Vec<Vec<usize>>) {
    let mut out_shape: Vec<usize> = Vec::new();
    let mut out_strides: Vec<Vec<usize>> = vec![Vec::new(); strides.len()];
    for axis in 0..shape.len() {
        let d = shape[axis];
        if d == 1 {
            continue;
        }
        let mergeable = !out_shape.is_empty()
            && strides.iter().enumerate().all(|(k, s)| {
                let prev = *out_strides[k].last().unwrap();
                prev == s[axis] * d
            });
        if mergeable {
            *out_shape.last_mut().unwrap() *= d;
            for (k, s) in strides.iter().enumerate() {
                *out_strides[k].last_mut().unwrap() = s[axis];
            }
        } else {
            out_shape.push(d);
            for (k, s) in strides.iter().enumerate() {
                out_strides[k].push(s[axis]);
            }
        }
    }
    (out_shape, out_strides)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn broadcasting_follows_numpy() {
        assert_eq!(broadcast_shapes("add", &[2], &[1]), vec![2]);
        assert_eq!(broadcast_shapes("add", &[4, 1, 3], &[5, 1]), vec![4, 5, 3]);
        assert_eq!(broadcast_shapes("add", &[], &[2, 3]), vec![2, 3]);
    }

    #[test]
    #[should_panic(expected = "add: shapes [2, 3] and [4] cannot be broadcast")]
    fn broadcasting_mismatch_names_both_shapes() {
        broadcast_shapes("add", &[2, 3], &[4]);
    }

    #[test]
    fn strided_offsets_walk_a_transpose() {
        // A 2x3 row-major buffer read as its 3x2 transpose.
        let offsets: Vec<usize> = StridedOffsets::new(&[3, 2], &[1, 3], 0).collect();
        assert_eq!(offsets, vec![0, 3, 1, 4, 2, 5]);
        assert_eq!(StridedOffsets::new(&[], &[], 7).collect::<Vec<_>>(), vec![7]);
        assert_eq!(StridedOffsets::new(&[2, 0], &[1, 1], 0).count(), 0);
    }

    #[test]
    fn coalesce_merges_what_it_can() {
        let (shape, strides) = coalesce(&[2, 3, 4], &[&[12, 4, 1]]);
        assert_eq!((shape, strides), (vec![24], vec![vec![1]]));
        // A row vector broadcast over rows keeps two axes.
        let (shape, strides) = coalesce(&[5, 4], &[&[4, 1], &[0, 1]]);
        assert_eq!((shape, strides), (vec![5, 4], vec![vec![4, 1], vec![0, 1]]));
    }

    #[test]
    fn contiguity_ignores_unit_axes() {
        let l = Layout { shape: vec![3, 1, 2], strides: vec![2, 99, 1], offset: 0 };
        assert!(l.is_contiguous());
        let t = Layout { shape: vec![2, 3], strides: vec![1, 2], offset: 0 };
        assert!(!t.is_contiguous());
    }

    #[test]
    #[should_panic(expected = "sum: axis 2 is out of range for a tensor of shape [2, 3]")]
    fn bad_axis_names_op_and_shape() {
        normalize_axis("sum", 2, &[2, 3]);
    }
}
