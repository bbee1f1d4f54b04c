//! The [`Tensor`] type: a shape, strides and an offset over a shared buffer.

use crate::device::Device;
use crate::dtype::{DType, Element};
use crate::shape::{dims_str, Layout, Shape};
use crate::storage::Storage;
use std::sync::Arc;

/// An N-dimensional array of `T` (by default `f32`, the working type).
///
/// Cloning a tensor is cheap: the clone shares the buffer. Views (`reshape` of a contiguous
/// tensor, `transpose`, `narrow`, `expand`, ...) also share it and only change the layout.
/// Tensors are values: operations return new tensors, and the in-place operators (`+=`, ...)
/// write into the buffer only when no other tensor can see it (copy on write), so a view never
/// changes behind your back.
pub struct Tensor<T: Element = f32> {
    pub(crate) storage: Arc<Storage<T>>,
    pub(crate) layout: Layout,
}

impl<T: Element> Clone for Tensor<T> {
    fn clone(&self) -> Self {
        Tensor { storage: Arc::clone(&self.storage), layout: self.layout.clone() }
    }
}

impl<T: Element> Tensor<T> {
    /// A dense tensor owning `data`, read in row-major order as `shape`.
    ///
    /// Panics if `data.len()` is not the number of elements `shape` holds.
    pub fn from_vec(data: Vec<T>, shape: impl Into<Shape>) -> Self {
        let shape = shape.into();
        if data.len() != shape.numel() {
            panic!("from_vec: {} values cannot fill shape {} ({} elements)", data.len(), shape, shape.numel());
        }
        Self::from_parts(data, &shape.0)
    }

    /// A 1-D tensor copied from a slice.
    pub fn from_slice(data: &[T]) -> Self {
        Self::from_vec(data.to_vec(), [data.len()])
    }

    /// A rank-0 tensor holding one value (shape `[]`).
    pub fn scalar(value: T) -> Self {
        Self::from_parts(vec![value], &[])
    }

    /// Builds a contiguous tensor without checking the length (callers guarantee it).
    pub(crate) fn from_parts(data: Vec<T>, shape: &[usize]) -> Self {
        debug_assert_eq!(data.len(), shape.iter().product::<usize>());
        Tensor { storage: Arc::new(Storage::cpu(data)), layout: Layout::contiguous(shape) }
    }

    /// A new view of the same buffer with another layout.
    pub(crate) fn with_layout(&self, layout: Layout) -> Self {
        debug_assert!(layout.span_end() <= self.storage.as_slice().len() || layout.numel() == 0);
        Tensor { storage: Arc::clone(&self.storage), layout }
    }

    /// The size of every axis.
    pub fn shape(&self) -> &[usize] {
        &self.layout.shape
    }

    /// The size of one axis (negative counts from the end).
    pub fn dim(&self, axis: isize) -> usize {
        self.layout.shape[crate::shape::normalize_axis("dim", axis, self.shape())]
    }

    /// How far apart, in elements, neighbours along each axis are in the buffer.
    pub fn strides(&self) -> &[usize] {
        &self.layout.strides
    }

    /// Where this view starts in its buffer.
    pub fn offset(&self) -> usize {
        self.layout.offset
    }

    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    /// The number of axes (0 for a scalar).
    pub fn rank(&self) -> usize {
        self.layout.rank()
    }

    /// The number of elements.
    pub fn numel(&self) -> usize {
        self.layout.numel()
    }

    pub fn dtype(&self) -> DType {
        T::DTYPE
    }

    pub fn device(&self) -> Device {
        self.storage.device()
    }

    /// True when the elements are dense and in row-major order, so `as_slice` works.
    pub fn is_contiguous(&self) -> bool {
        self.layout.is_contiguous()
    }

    /// True when both tensors read the same buffer (one is a view of the other, or both are
    /// views of a third).
    pub fn shares_storage_with(&self, other: &Tensor<T>) -> bool {
        Arc::ptr_eq(&self.storage, &other.storage)
    }

    /// The whole underlying buffer (including elements this view does not show).
    pub(crate) fn buffer(&self) -> &[T] {
        self.storage.as_slice()
    }

    /// The elements as one slice, if the tensor is contiguous.
    pub fn as_slice(&self) -> Option<&[T]> {
        if self.numel() == 0 {
            // A view of nothing may start past the end of its buffer (narrow of an empty axis).
            return Some(&[]);
        }
        if self.is_contiguous() {
            let start = self.layout.offset;
            Some(&self.storage.as_slice()[start..start + self.numel()])
        } else {
            None
        }
    }

    /// The element at a multi-index. Panics with the index and shape if it is out of range.
    pub fn get(&self, index: &[usize]) -> T {
        if index.len() != self.rank() || index.iter().zip(self.shape()).any(|(i, d)| i >= d) {
            panic!("get: index {index:?} is out of range for shape {}", dims_str(self.shape()));
        }
        self.storage.as_slice()[self.layout.offset_of(index)]
    }

    /// The elements in row-major order, copied out.
    pub fn to_vec(&self) -> Vec<T> {
        // The buffer cache's allocations: a fresh one from the system faults in every page.
        let mut out = crate::storage::uninit_buffer(self.numel());
        match self.as_slice() {
            Some(s) => out.extend_from_slice(s),
            None => {
                // Row by row over the merged axes: a view whose innermost axis is dense (a
                // permuted [B, H, T, D] gathered back into [B, T, H·D], say) copies whole
                // runs instead of computing one offset per element.
                let buf = self.buffer();
                let walk = crate::ops::walk::RowWalk::new(self.shape(), [self.strides()], [self.layout.offset]);
                let (inner, stride) = (walk.inner, walk.inner_strides[0]);
                for r in 0..walk.rows() {
                    let [start] = walk.row_starts(r);
                    if stride == 1 {
                        out.extend_from_slice(&buf[start..start + inner]);
                    } else {
                        out.extend((0..inner).map(|i| buf[start + i * stride]));
                    }
                }
            }
        }
        out
    }

    /// The single value of a one-element tensor (any rank).
    pub fn item(&self) -> T {
        if self.numel() != 1 {
            panic!(
                "item: only a tensor with exactly one element has an item, but shape {} has {}",
                dims_str(self.shape()),
                self.numel()
            );
        }
        self.buffer()[self.layout.offset]
    }

    /// This tensor if it is already contiguous (a cheap clone), else a dense copy.
    pub fn contiguous(&self) -> Tensor<T> {
        if self.is_contiguous() {
            self.clone()
        } else {
            Tensor::from_parts(self.to_vec(), self.shape())
        }
    }

    /// A dense copy that shares nothing with `self`.
    pub fn deep_clone(&self) -> Tensor<T> {
        Tensor::from_parts(self.to_vec(), self.shape())
    }

    /// Converts every element to `U` (PyTorch's `.to(dtype)`): floats to integers truncate
    /// toward zero, nonzero becomes `true`.
    pub fn cast<U: Element>(&self) -> Tensor<U> {
        crate::ops::elementwise::map(self, |x| x.cast::<U>())
    }

    /// The tensor on `device` (a cheap clone when it is already there).
    pub fn to(&self, device: Device) -> Tensor<T> {
        match device {
            Device::Cpu => self.clone(),
        }
    }

    /// Panics unless both tensors are on the same device (ops never move data implicitly).
    pub(crate) fn same_device(&self, op: &str, other_device: Device) {
        if self.device() != other_device {
            panic!(
                "{op}: tensors are on different devices ({} and {}); move one with .to(device)",
                self.device(),
                other_device
            );
        }
    }

    /// Mutable access to the elements, copying the buffer first if anything else can see it or
    /// if this view is not dense (copy on write).
    pub fn make_mut(&mut self) -> &mut [T] {
        let dense_whole =
            self.is_contiguous() && self.layout.offset == 0 && self.storage.as_slice().len() == self.numel();
        if !dense_whole || Arc::get_mut(&mut self.storage).is_none() {
            *self = self.deep_clone();
        }
        Arc::get_mut(&mut self.storage).expect("freshly copied storage is unique").as_mut_slice()
    }
}
