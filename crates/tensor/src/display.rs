//! Printing tensors the way PyTorch does: values aligned in nested brackets, large tensors
//! summarized with `...`, then the shape, element type and device.

use crate::dtype::{DType, Element};
use crate::shape::dims_str;
use crate::tensor::Tensor;
use std::fmt;

/// Above this many elements, only the first and last [`EDGE_ITEMS`] of each axis are shown.
pub const SUMMARIZE_ABOVE: usize = 1000;
pub const EDGE_ITEMS: usize = 3;

/// How every shown float is written, chosen once per tensor so the columns line up.
#[derive(Clone, Copy)]
enum FloatStyle {
    /// All values are whole numbers: `3.`.
    Whole,
    /// `3.1416`.
    Fixed,
    /// `3.1416e5`, when values are very large or very small.
    Scientific,
}

fn float_style(values: &[f64]) -> FloatStyle {
    let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    if finite.iter().all(|v| v.fract() == 0.0 && v.abs() < 1e8) {
        return FloatStyle::Whole;
    }
    let max = finite.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let min_nonzero = finite.iter().filter(|v| **v != 0.0).fold(f64::INFINITY, |m, v| m.min(v.abs()));
    if max >= 1e8 || min_nonzero < 1e-4 {
        FloatStyle::Scientific
    } else {
        FloatStyle::Fixed
    }
}

fn format_value<T: Element>(v: T, style: FloatStyle) -> String {
    if T::DTYPE == DType::Bool {
        return if v.to_f64() != 0.0 { "True".into() } else { "False".into() };
    }
    if !T::DTYPE.is_float() {
        return v.to_i64().to_string();
    }
    let x = v.to_f64();
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    match style {
        FloatStyle::Whole => format!("{x:.0}."),
        FloatStyle::Fixed => format!("{x:.4}"),
        FloatStyle::Scientific => {
            // Rust writes 1.0000e-6; PyTorch (and C's printf) write 1.0000e-06.
            let s = format!("{x:.4e}");
            let (mantissa, exponent) = s.split_once('e').expect("{:e} always has an exponent");
            let (sign, digits) = exponent.strip_prefix('-').map_or(("+", exponent), |d| ("-", d));
            format!("{mantissa}e{sign}{digits:0>2}")
        }
    }
}

/// The indices shown along an axis of `size`; `None` marks the `...`.
fn shown(size: usize, summarize: bool) -> Vec<Option<usize>> {
    if summarize && size > 2 * EDGE_ITEMS {
        (0..EDGE_ITEMS).map(Some).chain([None]).chain((size - EDGE_ITEMS..size).map(Some)).collect()
    } else {
        (0..size).map(Some).collect()
    }
}

struct Printer<'a, T: Element> {
    t: &'a Tensor<T>,
    summarize: bool,
    style: FloatStyle,
    width: usize,
    indent: usize,
}

impl<T: Element> Printer<'_, T> {
    fn cell(&self, idx: &[usize]) -> String {
        format!("{:>w$}", format_value(self.t.get(idx), self.style), w = self.width)
    }

    fn write(&self, out: &mut String, idx: &mut Vec<usize>) {
        let axis = idx.len();
        let size = self.t.shape()[axis];
        out.push('[');
        let last = axis + 1 == self.t.rank();
        let separator = if last {
            ", ".to_string()
        } else {
            let blank_lines = "\n".repeat(self.t.rank() - axis - 1);
            format!(",{blank_lines}{}", " ".repeat(self.indent + axis + 1))
        };
        for (n, i) in shown(size, self.summarize).into_iter().enumerate() {
            if n > 0 {
                out.push_str(&separator);
            }
            match i {
                None => out.push_str("..."),
                Some(i) => {
                    idx.push(i);
                    if last {
                        out.push_str(&self.cell(idx));
                    } else {
                        self.write(out, idx);
                    }
                    idx.pop();
                }
            }
        }
        out.push(']');
    }
}

impl<T: Element> Tensor<T> {
    fn format_values(&self, indent: usize) -> String {
        let summarize = self.numel() > SUMMARIZE_ABOVE;
        // The values that will be shown decide the style and the column width.
        let mut values = Vec::new();
        collect_shown(self, summarize, &mut Vec::new(), &mut values);
        let style = float_style(&values.iter().map(|v| v.to_f64()).collect::<Vec<_>>());
        let width = values.iter().map(|&v| format_value(v, style).len()).max().unwrap_or(0);
        if self.rank() == 0 {
            return format_value(self.item(), style);
        }
        let mut out = String::new();
        Printer { t: self, summarize, style, width, indent }.write(&mut out, &mut Vec::new());
        out
    }
}

fn collect_shown<T: Element>(t: &Tensor<T>, summarize: bool, idx: &mut Vec<usize>, into: &mut Vec<T>) {
    if idx.len() == t.rank() {
        into.push(t.get(idx));
        return;
    }
    for i in shown(t.shape()[idx.len()], summarize).into_iter().flatten() {
        idx.push(i);
        collect_shown(t, summarize, idx, into);
        idx.pop();
    }
}

impl<T: Element> Tensor<T> {
    /// `tensor(<values>, shape=..., <extra>dtype=..., device=...)`.
    fn write_with(&self, f: &mut fmt::Formatter<'_>, extra: &str) -> fmt::Result {
        let prefix = "tensor(";
        write!(
            f,
            "{prefix}{}, shape={}, {extra}dtype={}, device={})",
            self.format_values(prefix.len()),
            dims_str(self.shape()),
            T::DTYPE,
            self.device()
        )
    }
}

/// `tensor([[1., 2.], [3., 4.]], shape=[2, 2], dtype=float32, device=cpu)`, over several lines
/// for matrices.
impl<T: Element> fmt::Display for Tensor<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_with(f, "")
    }
}

/// Like `Display`, plus the strides and offset of the view.
impl<T: Element> fmt::Debug for Tensor<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_with(f, &format!("strides={:?}, offset={}, ", self.strides(), self.offset()))
    }
}
