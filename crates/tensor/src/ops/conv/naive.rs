//! The direct convolution: seven nested loops (batch, filter, output row, output column, input
//! channel, kernel row, kernel column), one multiply-add at a time, on one thread. Slow and
//! obviously right: the test oracle of [`super::fast`] and the first half of the story.
//!
//! All three kernels walk the same loop nest; they differ only in which of `x`, `w`, `y` is
//! read and which is accumulated into.

use super::ConvGeometry;
use crate::Float;

/// Calls `f(x_index, w_index, y_index)` for every (input, weight, output) triple that meets in
/// a multiply-add, skipping positions that fall in the zero padding.
#[inline]
fn for_each_tap(g: &ConvGeometry, mut f: impl FnMut(usize, usize, usize)) {
    let (cg, og) = (g.cg(), g.og());
    for n in 0..g.n {
        for o in 0..g.o {
            let group = o / og;
            for i in 0..g.ho {
                for j in 0..g.wo {
                    let y_index = ((n * g.o + o) * g.ho + i) * g.wo + j;
                    for ci in 0..cg {
                        let c = group * cg + ci;
                        for u in 0..g.kh {
                            // The input row this tap reads, before removing the top padding.
                            let row = i * g.sh + u * g.dh;
                            if row < g.pt || row - g.pt >= g.h {
                                continue;
                            }
                            for v in 0..g.kw {
                                let col = j * g.sw + v * g.dw;
                                if col < g.pl || col - g.pl >= g.w {
                                    continue;
                                }
                                let x_index = ((n * g.c + c) * g.h + row - g.pt) * g.w + col - g.pl;
                                let w_index = ((o * cg + ci) * g.kh + u) * g.kw + v;
                                f(x_index, w_index, y_index);
                            }
                        }
                    }
                }
            }
        }
    }
}

/// y = conv(x, w) + b.
pub fn forward<T: Float>(g: &ConvGeometry, x: &[T], w: &[T], bias: Option<&[T]>) -> Vec<T> {
    let mut y = vec![T::ZERO; g.n * g.o * g.ho * g.wo];
    for_each_tap(g, |xi, wi, yi| y[yi] += x[xi] * w[wi]);
    if let Some(b) = bias {
        for (k, v) in y.iter_mut().enumerate() {
            *v += b[(k / (g.ho * g.wo)) % g.o];
        }
    }
    y
}

/// ∂x: every output gradient flows back to the inputs its window read.
pub fn backward_input<T: Float>(g: &ConvGeometry, dy: &[T], w: &[T]) -> Vec<T> {
    let mut dx = vec![T::ZERO; g.n * g.c * g.h * g.w];
    for_each_tap(g, |xi, wi, yi| dx[xi] += dy[yi] * w[wi]);
    dx
}

/// ∂w: each weight collects output gradient × the input it multiplied, over every position.
pub fn backward_weight<T: Float>(g: &ConvGeometry, dy: &[T], x: &[T]) -> Vec<T> {
    let mut dw = vec![T::ZERO; g.o * g.patch()];
    for_each_tap(g, |xi, wi, yi| dw[wi] += dy[yi] * x[xi]);
    dw
}
