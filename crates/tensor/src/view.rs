//! Views: new shapes and strides over the same buffer, no element copied.
//!
//! Only `reshape` of a layout that cannot be expressed with strides (for example a transposed
//! matrix flattened to 1-D) copies, and its docs say so; `view` refuses instead of copying.

use crate::dtype::Element;
use crate::shape::{contiguous_strides, dims_str, normalize_axis, normalize_insert_axis, IntoDims, Layout, Shape};
use crate::tensor::Tensor;

/// Resolves one `-1` in `dims` so the product equals `numel`.
fn infer_dims(op: &str, dims: &[isize], from: &[usize]) -> Vec<usize> {
    let numel: usize = from.iter().product();
    let unknown: Vec<usize> = dims.iter().enumerate().filter(|(_, &d)| d == -1).map(|(i, _)| i).collect();
    if unknown.len() > 1 || dims.iter().any(|&d| d < -1) {
        panic!("{op}: shape {dims:?} may hold at most one -1 and no other negative size");
    }
    let known: usize = dims.iter().filter(|&&d| d >= 0).map(|&d| d as usize).product();
    let mut out: Vec<usize> = dims.iter().map(|&d| d.max(0) as usize).collect();
    if let Some(&i) = unknown.first() {
        if known == 0 || !numel.is_multiple_of(known) {
            panic!("{op}: cannot infer the -1 in {dims:?} for a tensor of shape {} ({numel} elements)", dims_str(from));
        }
        out[i] = numel / known;
    }
    if out.iter().product::<usize>() != numel {
        panic!(
            "{op}: cannot reshape a tensor of shape {} ({numel} elements) into {} ({} elements)",
            dims_str(from),
            dims_str(&out),
            out.iter().product::<usize>()
        );
    }
    out
}

/// Strides that show `layout`'s elements, in the same row-major order, with shape `new`;
/// `None` if no strides can (then the data must be copied).
fn reshape_strides(layout: &Layout, new: &[usize]) -> Option<Vec<usize>> {
    if layout.is_contiguous() || layout.numel() == 0 {
        return Some(contiguous_strides(new));
    }
    // Group the old axes (ignoring size-1 ones) into runs that are contiguous with each other,
    // then require every new axis to fall inside one run.
    let old: Vec<(usize, usize)> =
        layout.shape.iter().zip(&layout.strides).filter(|(&d, _)| d != 1).map(|(&d, &s)| (d, s)).collect();
    let mut strides = vec![0; new.len()];
    let mut oi = 0; // next old axis
    let mut ni = 0; // next new axis
    while ni < new.len() {
        if new[ni] == 1 {
            strides[ni] = 0;
            ni += 1;
            continue;
        }
        if oi >= old.len() {
            return None;
        }
        // Take old axes until their product matches the new axes' product.
        let (mut old_prod, mut new_prod) = (old[oi].0, new[ni]);
        let run_start_new = ni;
        let mut run_old = vec![old[oi]];
        oi += 1;
        let mut new_end = ni + 1;
        while old_prod != new_prod {
            if old_prod < new_prod {
                if oi >= old.len() {
                    return None;
                }
                let (d, s) = old[oi];
                // The run must be contiguous: outer stride = inner stride × inner size.
                if run_old.last().unwrap().1 != s * d {
                    return None;
                }
                run_old.push((d, s));
                old_prod *= d;
                oi += 1;
            } else {
                if new_end >= new.len() {
                    return None;
                }
                new_prod *= new[new_end];
                new_end += 1;
            }
        }
        // Lay the new axes of this run out from the run's innermost stride.
        let mut s = run_old.last().unwrap().1;
        for k in (run_start_new..new_end).rev() {
            strides[k] = s;
            s *= new[k];
        }
        ni = new_end;
    }
    if oi == old.len() {
        Some(strides)
    } else {
        None
    }
}

impl<T: Element> Tensor<T> {
    /// The same elements with another shape. One dimension may be `-1` (inferred).
    ///
    /// A view when the layout allows it (always for contiguous tensors); otherwise, for
    /// example after a transpose, the elements are **copied** into a new buffer. Use
    /// [`Tensor::view`] to insist on sharing.
    pub fn reshape(&self, dims: impl IntoDims) -> Tensor<T> {
        let dims = infer_dims("reshape", &dims.into_dims(), self.shape());
        match reshape_strides(&self.layout, &dims) {
            Some(strides) => self.with_layout(Layout { shape: dims, strides, offset: self.layout.offset }),
            None => Tensor::from_parts(self.to_vec(), &dims),
        }
    }

    /// Like [`Tensor::reshape`], but never copies: panics if the strides cannot express the
    /// new shape (call `.contiguous()` first, or use `reshape`).
    pub fn view(&self, dims: impl IntoDims) -> Tensor<T> {
        let dims = infer_dims("view", &dims.into_dims(), self.shape());
        match reshape_strides(&self.layout, &dims) {
            Some(strides) => self.with_layout(Layout { shape: dims, strides, offset: self.layout.offset }),
            None => panic!(
                "view: a tensor of shape {} with strides {:?} cannot be viewed as {} without copying; use reshape() or call contiguous() first",
                dims_str(self.shape()),
                self.strides(),
                dims_str(&dims)
            ),
        }
    }

    /// Reorders the axes: result axis `i` is input axis `order[i]`.
    pub fn permute(&self, order: impl IntoDims) -> Tensor<T> {
        let order = order.into_dims();
        let rank = self.rank();
        let axes: Vec<usize> = order.iter().map(|&a| normalize_axis("permute", a, self.shape())).collect();
        let mut seen = vec![false; rank];
        for &a in &axes {
            seen[a] = true;
        }
        if axes.len() != rank || seen.iter().any(|s| !s) {
            panic!("permute: {order:?} is not a permutation of the {rank} axes of shape {}", dims_str(self.shape()));
        }
        let shape = axes.iter().map(|&a| self.layout.shape[a]).collect();
        let strides = axes.iter().map(|&a| self.layout.strides[a]).collect();
        self.with_layout(Layout { shape, strides, offset: self.layout.offset })
    }

    /// Swaps two axes.
    pub fn transpose(&self, a: isize, b: isize) -> Tensor<T> {
        let (a, b) = (normalize_axis("transpose", a, self.shape()), normalize_axis("transpose", b, self.shape()));
        let mut layout = self.layout.clone();
        layout.shape.swap(a, b);
        layout.strides.swap(a, b);
        self.with_layout(layout)
    }

    /// The transpose of a matrix (rank 2 only; use `transpose` or `permute` for more axes).
    pub fn t(&self) -> Tensor<T> {
        if self.rank() != 2 {
            panic!("t: expects a matrix (rank 2), got shape {}", dims_str(self.shape()));
        }
        self.transpose(0, 1)
    }

    /// Removes one axis of size 1.
    pub fn squeeze(&self, axis: isize) -> Tensor<T> {
        let a = normalize_axis("squeeze", axis, self.shape());
        if self.layout.shape[a] != 1 {
            panic!("squeeze: axis {axis} of shape {} has size {}, not 1", dims_str(self.shape()), self.layout.shape[a]);
        }
        let mut layout = self.layout.clone();
        layout.shape.remove(a);
        layout.strides.remove(a);
        self.with_layout(layout)
    }

    /// Removes every axis of size 1.
    pub fn squeeze_all(&self) -> Tensor<T> {
        let keep: Vec<usize> = (0..self.rank()).filter(|&i| self.layout.shape[i] != 1).collect();
        self.with_layout(Layout {
            shape: keep.iter().map(|&i| self.layout.shape[i]).collect(),
            strides: keep.iter().map(|&i| self.layout.strides[i]).collect(),
            offset: self.layout.offset,
        })
    }

    /// Inserts an axis of size 1 at `axis` (which may be `rank`, or negative).
    pub fn unsqueeze(&self, axis: isize) -> Tensor<T> {
        let a = normalize_insert_axis("unsqueeze", axis, self.shape());
        let mut layout = self.layout.clone();
        let stride = if a < self.rank() { layout.shape[a] * layout.strides[a] } else { 1 };
        layout.shape.insert(a, 1);
        layout.strides.insert(a, stride);
        self.with_layout(layout)
    }

    /// The elements `start..start + len` along `axis`.
    pub fn narrow(&self, axis: isize, start: usize, len: usize) -> Tensor<T> {
        let a = normalize_axis("narrow", axis, self.shape());
        let size = self.layout.shape[a];
        if start + len > size {
            panic!(
                "narrow: range {start}..{} is out of bounds for axis {axis} of size {size} (shape {})",
                start + len,
                dims_str(self.shape())
            );
        }
        let mut layout = self.layout.clone();
        layout.offset += start * layout.strides[a];
        layout.shape[a] = len;
        self.with_layout(layout)
    }

    /// Every `step`-th element of `start..end` along `axis` (Python's `x[start:end:step]`).
    pub fn slice(&self, axis: isize, start: usize, end: usize, step: usize) -> Tensor<T> {
        let a = normalize_axis("slice", axis, self.shape());
        let size = self.layout.shape[a];
        if step == 0 {
            panic!("slice: step must be at least 1");
        }
        let end = end.min(size);
        if start > end {
            panic!("slice: start {start} is past end {end} on axis {axis} of shape {}", dims_str(self.shape()));
        }
        let mut layout = self.layout.clone();
        layout.offset += start * layout.strides[a];
        layout.shape[a] = (end - start).div_ceil(step);
        layout.strides[a] *= step;
        self.with_layout(layout)
    }

    /// One index along `axis`, removing that axis (`x[i]` for axis 0).
    pub fn select(&self, axis: isize, index: usize) -> Tensor<T> {
        self.narrow(axis, index, 1).squeeze(axis)
    }

    /// Repeats size-1 axes (and prepends new ones) to reach `shape`, with stride 0: no copy.
    pub fn broadcast_to(&self, shape: impl Into<Shape>) -> Tensor<T> {
        let shape = shape.into().0;
        let strides = self.layout.broadcast_strides("broadcast_to", &shape);
        self.with_layout(Layout { shape, strides, offset: self.layout.offset })
    }

    /// Like [`Tensor::broadcast_to`], where `-1` keeps an existing axis's size (PyTorch's
    /// `expand`).
    pub fn expand(&self, dims: impl IntoDims) -> Tensor<T> {
        let dims = dims.into_dims();
        let extra = dims
            .len()
            .checked_sub(self.rank())
            .unwrap_or_else(|| panic!("expand: {dims:?} has fewer axes than shape {}", dims_str(self.shape())));
        let shape: Vec<usize> = dims
            .iter()
            .enumerate()
            .map(|(i, &d)| match d {
                -1 if i >= extra => self.layout.shape[i - extra],
                d if d >= 0 => d as usize,
                _ => panic!(
                    "expand: size {d} at axis {i} of {dims:?} is invalid for shape {} (-1 keeps an existing axis; new axes need a size)",
                    dims_str(self.shape())
                ),
            })
            .collect();
        self.broadcast_to(shape)
    }

    /// Merges axes `start..=end` into one (a view when the layout allows it).
    pub fn flatten(&self, start: isize, end: isize) -> Tensor<T> {
        if self.rank() == 0 {
            return self.reshape([1]);
        }
        let (s, e) = (normalize_axis("flatten", start, self.shape()), normalize_axis("flatten", end, self.shape()));
        if s > e {
            panic!("flatten: start axis {start} comes after end axis {end} (shape {})", dims_str(self.shape()));
        }
        let mut dims: Vec<usize> = self.shape()[..s].to_vec();
        dims.push(self.shape()[s..=e].iter().product());
        dims.extend_from_slice(&self.shape()[e + 1..]);
        self.reshape(dims)
    }

    /// Splits `axis` into pieces of `size` (the last may be smaller). Views, no copy.
    pub fn split(&self, size: usize, axis: isize) -> Vec<Tensor<T>> {
        let a = normalize_axis("split", axis, self.shape());
        if size == 0 {
            panic!("split: piece size must be at least 1");
        }
        let total = self.layout.shape[a];
        (0..total).step_by(size).map(|start| self.narrow(a as isize, start, size.min(total - start))).collect()
    }

    /// Splits `axis` into consecutive pieces of the given `sizes`, which must add up to the
    /// axis's length (PyTorch's `split` with a list). Views, no copy.
    pub fn split_with_sizes(&self, sizes: &[usize], axis: isize) -> Vec<Tensor<T>> {
        let a = normalize_axis("split_with_sizes", axis, self.shape());
        let total: usize = sizes.iter().sum();
        if total != self.layout.shape[a] {
            panic!(
                "split_with_sizes: sizes {sizes:?} add up to {total}, but axis {axis} of shape {} has size {}",
                dims_str(self.shape()),
                self.layout.shape[a]
            );
        }
        let mut start = 0;
        sizes
            .iter()
            .map(|&n| {
                start += n;
                self.narrow(a as isize, start - n, n)
            })
            .collect()
    }

    /// Splits `axis` into `chunks` nearly equal pieces, like `torch.chunk`. Views, no copy.
    pub fn chunk(&self, chunks: usize, axis: isize) -> Vec<Tensor<T>> {
        if chunks == 0 {
            panic!("chunk: the number of chunks must be at least 1");
        }
        let a = normalize_axis("chunk", axis, self.shape());
        let size = self.layout.shape[a].div_ceil(chunks).max(1);
        self.split(size, axis)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reshape_of_a_transpose_views_when_it_can_and_copies_when_it_must() {
        let x = Tensor::<f32>::arange(24.0).reshape([2, 3, 4]);
        let p = x.permute([1, 0, 2]); // [3, 2, 4], strides [4, 12, 1]
                                      // Merging the last axis with nothing else is expressible: stays a view.
        let v = p.reshape([3, 2, 2, 2]);
        assert!(v.shares_storage_with(&x));
        assert_eq!(v.to_vec(), p.to_vec());
        // Flattening across the swapped axes is not: it copies.
        let c = p.reshape([-1]);
        assert!(!c.shares_storage_with(&x));
        assert_eq!(c.to_vec(), p.to_vec());
    }

    #[test]
    #[should_panic(expected = "view: a tensor of shape [3, 2] with strides [1, 3] cannot be viewed as [6]")]
    fn view_refuses_to_copy() {
        Tensor::<f32>::arange(6.0).reshape([2, 3]).t().view([6]);
    }

    #[test]
    #[should_panic(expected = "reshape: cannot reshape a tensor of shape [2, 3] (6 elements) into [4] (4 elements)")]
    fn reshape_names_both_shapes() {
        Tensor::<f32>::zeros([2, 3]).reshape([4]);
    }
}
