//! Joining and indexing: cat, stack, index_select, gather, scatter-add, masked fill, where.
//!
//! These copy (their results do not fit one strided window onto the inputs).

use crate::dtype::{Element, Numeric};
use crate::ops::elementwise::{zip3_map, zip_map};
use crate::shape::{dims_str, normalize_axis, normalize_insert_axis};
use crate::tensor::Tensor;

/// Reads an index tensor's value as a position along an axis of size `size`, allowing
/// negative indices as PyTorch does; panics naming the op when out of range.
fn checked_index(op: &str, i: i64, size: usize, axis: usize, shape: &[usize]) -> usize {
    let j = if i < 0 { i + size as i64 } else { i };
    if j < 0 || j >= size as i64 {
        panic!("{op}: index {i} is out of range for axis {axis} of size {size} (shape {})", dims_str(shape));
    }
    j as usize
}

impl<T: Element> Tensor<T> {
    /// Joins tensors along an existing axis; all other axes must match.
    pub fn cat(tensors: &[&Tensor<T>], axis: isize) -> Tensor<T> {
        let first = tensors.first().unwrap_or_else(|| panic!("cat: needs at least one tensor"));
        let a = normalize_axis("cat", axis, first.shape());
        for t in tensors {
            first.same_device("cat", t.device());
            let ok = t.rank() == first.rank()
                && t.shape().iter().zip(first.shape()).enumerate().all(|(i, (x, y))| i == a || x == y);
            if !ok {
                panic!(
                    "cat: shapes {} and {} differ outside axis {axis}",
                    dims_str(first.shape()),
                    dims_str(t.shape())
                );
            }
        }
        let mut shape = first.shape().to_vec();
        shape[a] = tensors.iter().map(|t| t.shape()[a]).sum();
        // Row-major: for each index of the axes before `a`, append each input's block in turn.
        let outer: usize = shape[..a].iter().product();
        let mut out = Vec::with_capacity(shape.iter().product());
        let blocks: Vec<Vec<T>> = tensors.iter().map(|t| t.to_vec()).collect();
        for o in 0..outer {
            for (t, data) in tensors.iter().zip(&blocks) {
                let block: usize = t.shape()[a..].iter().product();
                out.extend_from_slice(&data[o * block..(o + 1) * block]);
            }
        }
        Tensor::from_parts(out, &shape)
    }

    /// Joins equally shaped tensors along a new axis.
    pub fn stack(tensors: &[&Tensor<T>], axis: isize) -> Tensor<T> {
        let first = tensors.first().unwrap_or_else(|| panic!("stack: needs at least one tensor"));
        let a = normalize_insert_axis("stack", axis, first.shape());
        for t in tensors {
            if t.shape() != first.shape() {
                panic!("stack: shapes {} and {} differ", dims_str(first.shape()), dims_str(t.shape()));
            }
        }
        let expanded: Vec<Tensor<T>> = tensors.iter().map(|t| t.unsqueeze(a as isize)).collect();
        let refs: Vec<&Tensor<T>> = expanded.iter().collect();
        Tensor::cat(&refs, a as isize)
    }

    /// Picks the slices at `indices` (1-D, `i64`) along `axis`, in that order.
    pub fn index_select(&self, axis: isize, indices: &Tensor<i64>) -> Tensor<T> {
        let a = normalize_axis("index_select", axis, self.shape());
        if indices.rank() != 1 {
            panic!("index_select: indices must be 1-D, got shape {}", dims_str(indices.shape()));
        }
        // Seen as [outer, size, inner] blocks: output slice i is input slice indices[i].
        let size = self.shape()[a];
        let sources: Vec<usize> =
            indices.to_vec().iter().map(|&i| checked_index("index_select", i, size, a, self.shape())).collect();
        let outer: usize = self.shape()[..a].iter().product();
        let inner: usize = self.shape()[a + 1..].iter().product();
        let x = self.contiguous();
        let data = x.as_slice().expect("contiguous");
        let mut out = Vec::with_capacity(outer * sources.len() * inner);
        for o in 0..outer {
            for &from in &sources {
                out.extend_from_slice(&data[(o * size + from) * inner..][..inner]);
            }
        }
        let mut shape = self.shape().to_vec();
        shape[a] = sources.len();
        Tensor::from_parts(out, &shape)
    }

    /// `out[i][j][k] = self[index[i][j][k]][j][k]` for `axis = 0` (and likewise for other
    /// axes): the result has the shape of `index`, which must not exceed `self` on the other
    /// axes.
    pub fn gather(&self, axis: isize, index: &Tensor<i64>) -> Tensor<T> {
        let a = normalize_axis("gather", axis, self.shape());
        if index.rank() != self.rank()
            || index.shape().iter().zip(self.shape()).enumerate().any(|(i, (x, y))| i != a && x > y)
        {
            panic!(
                "gather: index of shape {} does not fit input of shape {} along axis {axis}",
                dims_str(index.shape()),
                dims_str(self.shape())
            );
        }
        let size = self.shape()[a];
        let idx = index.to_vec();
        let mut out = Vec::with_capacity(idx.len());
        let mut pos = 0;
        crate::ops::elementwise::naive::for_each_index(index.shape(), |at| {
            let mut src = at.to_vec();
            src[a] = checked_index("gather", idx[pos], size, a, self.shape());
            out.push(self.get(&src));
            pos += 1;
        });
        Tensor::from_parts(out, index.shape())
    }

    /// Where `mask` is true, `value`; elsewhere `self`. The mask broadcasts.
    pub fn masked_fill(&self, mask: &Tensor<bool>, value: T) -> Tensor<T> {
        let out = zip_map("masked_fill", self, mask, move |x, m| if m { value } else { x });
        if out.shape() != self.shape() {
            panic!(
                "masked_fill: mask of shape {} must broadcast to the input's shape {}",
                dims_str(mask.shape()),
                dims_str(self.shape())
            );
        }
        out
    }

    /// Picks from `on_true` where `condition` holds and from `on_false` elsewhere, with
    /// broadcasting over all three (`torch.where`).
    pub fn where_cond(condition: &Tensor<bool>, on_true: &Tensor<T>, on_false: &Tensor<T>) -> Tensor<T> {
        zip3_map("where", condition, on_true, on_false, |c, a, b| if c { a } else { b })
    }
}

impl<T: Numeric> Tensor<T> {
    /// A copy of `self` where `src[i][j][k]` is added at `[index[i][j][k]][j][k]` (for
    /// `axis = 0`); repeated indices accumulate. This is the backward of `gather`.
    pub fn scatter_add(&self, axis: isize, index: &Tensor<i64>, src: &Tensor<T>) -> Tensor<T> {
        let a = normalize_axis("scatter_add", axis, self.shape());
        if index.shape() != src.shape()
            || index.rank() != self.rank()
            || index.shape().iter().zip(self.shape()).enumerate().any(|(i, (x, y))| i != a && x > y)
        {
            panic!(
                "scatter_add: index {} and src {} must have the same shape and fit into {} outside axis {axis}",
                dims_str(index.shape()),
                dims_str(src.shape()),
                dims_str(self.shape())
            );
        }
        let mut out = self.deep_clone();
        let shape = self.shape().to_vec();
        let strides = crate::shape::contiguous_strides(&shape);
        let data = out.make_mut();
        let (idx, values) = (index.to_vec(), src.to_vec());
        let mut pos = 0;
        crate::ops::elementwise::naive::for_each_index(index.shape(), |at| {
            let mut flat = 0;
            for (axis, (&i, &s)) in at.iter().zip(&strides).enumerate() {
                let i = if axis == a { checked_index("scatter_add", idx[pos], shape[a], a, &shape) } else { i };
                flat += i * s;
            }
            data[flat] += values[pos];
            pos += 1;
        });
        out
    }
}

impl<T: Element> Tensor<T> {
    /// A copy of `self` with `src` written over the elements that
    /// `self.slice(axis, start, end, step)` would show (PyTorch's `slice_scatter`): the
    /// backward of `slice`, `narrow` and `select`.
    pub fn slice_scatter(&self, src: &Tensor<T>, axis: isize, start: usize, end: usize, step: usize) -> Tensor<T> {
        let region = self.slice(axis, start, end, step);
        if region.shape() != src.shape() {
            panic!(
                "slice_scatter: src of shape {} does not match the slice of shape {} (input {})",
                dims_str(src.shape()),
                dims_str(region.shape()),
                dims_str(self.shape())
            );
        }
        let mut out = self.deep_clone();
        // `out` is dense with offset 0, so the region's layout computed on `self`'s shape
        // addresses the same elements of `out` once re-based onto contiguous strides.
        let dense = out.layout().clone();
        let a = normalize_axis("slice_scatter", axis, self.shape());
        let mut strides = dense.strides.clone();
        let offset = start * strides[a];
        strides[a] *= step;
        let src = src.contiguous();
        let src = src.as_slice().expect("contiguous");
        let data = out.make_mut();
        if step == 1 && a == 0 {
            // Leading-axis slices of a dense tensor are one block (the backward of `narrow`).
            data[offset..offset + src.len()].copy_from_slice(src);
        } else {
            for (p, &v) in crate::shape::StridedOffsets::new(region.shape(), &strides, offset).zip(src) {
                data[p] = v;
            }
        }
        out
    }
}

impl<T: Numeric> Tensor<T> {
    /// A copy of `self` with slice `i` of `src` along `axis` added to slice `index[i]`
    /// (repeated indices accumulate): the backward of `index_select`.
    pub fn index_add(&self, axis: isize, index: &Tensor<i64>, src: &Tensor<T>) -> Tensor<T> {
        let a = normalize_axis("index_add", axis, self.shape());
        let mut expected = self.shape().to_vec();
        expected[a] = index.numel();
        if index.rank() != 1 || src.shape() != expected.as_slice() {
            panic!(
                "index_add: expects a 1-D index and src of shape {}, got index {} and src {}",
                dims_str(&expected),
                dims_str(index.shape()),
                dims_str(src.shape())
            );
        }
        // Both seen as [outer, axis, inner] blocks: slice i of src lands on slice index[i].
        let outer: usize = self.shape()[..a].iter().product();
        let inner: usize = self.shape()[a + 1..].iter().product();
        let (size, n) = (self.shape()[a], index.numel());
        let targets: Vec<usize> =
            index.to_vec().iter().map(|&to| checked_index("index_add", to, size, a, self.shape())).collect();
        let src = src.contiguous();
        let src = src.as_slice().expect("contiguous");
        let mut out = self.deep_clone();
        let data = out.make_mut();
        for o in 0..outer {
            for (i, &to) in targets.iter().enumerate() {
                let from = &src[(o * n + i) * inner..][..inner];
                let into = &mut data[(o * size + to) * inner..][..inner];
                for (d, &v) in into.iter_mut().zip(from) {
                    *d += v;
                }
            }
        }
        out
    }
}

impl<T: Element> Tensor<T> {
    /// Elementwise equality of two tensors' shapes and values (NaN never equals NaN).
    pub fn equal(&self, other: &Tensor<T>) -> bool {
        self.shape() == other.shape() && zip_map("equal", self, other, |a, b| a == b).to_vec().iter().all(|&x| x)
    }
}
