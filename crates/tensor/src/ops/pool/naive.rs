//! Pooling, plane by plane on one thread: for each output, scan its window. The per-plane
//! functions are shared with [`super::fast`], which runs planes in parallel.

use super::{AdaptiveGeometry, PoolGeometry};
use crate::Float;

/// Max pooling of one `h × w` plane into `y` (`ho × wo`), recording where each maximum was.
/// Ties keep the first position in row-major order; a NaN wins, as in PyTorch.
pub fn max_plane<T: Float>(g: &PoolGeometry, x: &[T], y: &mut [T], idx: &mut [u32]) {
    for i in 0..g.ho {
        let (r0, r1) = PoolGeometry::window(i, g.sh, g.ph, g.kh, g.h);
        for j in 0..g.wo {
            let (c0, c1) = PoolGeometry::window(j, g.sw, g.pw, g.kw, g.w);
            let mut best = T::NEG_INFINITY;
            let mut at = r0 * g.w + c0;
            'window: for r in r0..r1 {
                for c in c0..c1 {
                    let v = x[r * g.w + c];
                    if v > best || v.is_nan() {
                        best = v;
                        at = r * g.w + c;
                        if v.is_nan() {
                            break 'window;
                        }
                    }
                }
            }
            y[i * g.wo + j] = best;
            idx[i * g.wo + j] = at as u32;
        }
    }
}

/// Max pooling of every plane: the values and the argmax positions.
pub fn max_forward<T: Float>(g: &PoolGeometry, x: &[T]) -> (Vec<T>, Vec<u32>) {
    let (hw_in, hw_out) = (g.h * g.w, g.ho * g.wo);
    let mut y = vec![T::ZERO; g.n * g.c * hw_out];
    let mut idx = vec![0u32; y.len()];
    for p in 0..g.n * g.c {
        max_plane(g, &x[p * hw_in..][..hw_in], &mut y[p * hw_out..][..hw_out], &mut idx[p * hw_out..][..hw_out]);
    }
    (y, idx)
}

/// Each output gradient goes to the position its maximum came from.
pub fn max_backward<T: Float>(g: &PoolGeometry, dy: &[T], idx: &[u32]) -> Vec<T> {
    let (hw_in, hw_out) = (g.h * g.w, g.ho * g.wo);
    let mut dx = vec![T::ZERO; g.n * g.c * hw_in];
    for p in 0..g.n * g.c {
        for k in 0..hw_out {
            dx[p * hw_in + idx[p * hw_out + k] as usize] += dy[p * hw_out + k];
        }
    }
    dx
}

/// How many values window (i, j) divides by, given its clipped rows and columns: with
/// `count_include_pad`, its area within the padded input (the full `kh × kw` except for a
/// `ceil_mode` window that runs past the right or bottom padding); without, the real
/// elements it covers.
#[inline]
pub fn divisor(g: &PoolGeometry, (i, j): (usize, usize), rows: (usize, usize), cols: (usize, usize)) -> usize {
    if g.count_include_pad {
        PoolGeometry::padded_extent(i, g.sh, g.ph, g.kh, g.h) * PoolGeometry::padded_extent(j, g.sw, g.pw, g.kw, g.w)
    } else {
        (rows.1 - rows.0) * (cols.1 - cols.0)
    }
}

/// Average pooling of one plane.
pub fn avg_plane<T: Float>(g: &PoolGeometry, x: &[T], y: &mut [T]) {
    for i in 0..g.ho {
        let rows = PoolGeometry::window(i, g.sh, g.ph, g.kh, g.h);
        for j in 0..g.wo {
            let cols = PoolGeometry::window(j, g.sw, g.pw, g.kw, g.w);
            let mut sum = T::ZERO;
            for r in rows.0..rows.1 {
                for c in cols.0..cols.1 {
                    sum += x[r * g.w + c];
                }
            }
            y[i * g.wo + j] = sum / T::from_f64(divisor(g, (i, j), rows, cols) as f64);
        }
    }
}

/// The adjoint of [`avg_plane`]: each output gradient is shared by its window.
pub fn avg_plane_backward<T: Float>(g: &PoolGeometry, dy: &[T], dx: &mut [T]) {
    for i in 0..g.ho {
        let rows = PoolGeometry::window(i, g.sh, g.ph, g.kh, g.h);
        for j in 0..g.wo {
            let cols = PoolGeometry::window(j, g.sw, g.pw, g.kw, g.w);
            let share = dy[i * g.wo + j] / T::from_f64(divisor(g, (i, j), rows, cols) as f64);
            for r in rows.0..rows.1 {
                for c in cols.0..cols.1 {
                    dx[r * g.w + c] += share;
                }
            }
        }
    }
}

pub fn avg_forward<T: Float>(g: &PoolGeometry, x: &[T]) -> Vec<T> {
    let (hw_in, hw_out) = (g.h * g.w, g.ho * g.wo);
    let mut y = vec![T::ZERO; g.n * g.c * hw_out];
    for p in 0..g.n * g.c {
        avg_plane(g, &x[p * hw_in..][..hw_in], &mut y[p * hw_out..][..hw_out]);
    }
    y
}

pub fn avg_backward<T: Float>(g: &PoolGeometry, dy: &[T]) -> Vec<T> {
    let (hw_in, hw_out) = (g.h * g.w, g.ho * g.wo);
    let mut dx = vec![T::ZERO; g.n * g.c * hw_in];
    for p in 0..g.n * g.c {
        avg_plane_backward(g, &dy[p * hw_out..][..hw_out], &mut dx[p * hw_in..][..hw_in]);
    }
    dx
}

/// Adaptive average pooling of every plane (one implementation for both kernel modes: it is
/// a handful of additions per element).
pub fn adaptive_avg_forward<T: Float>(g: &AdaptiveGeometry, x: &[T]) -> Vec<T> {
    let (hw_in, hw_out) = (g.h * g.w, g.ho * g.wo);
    let mut y = vec![T::ZERO; g.n * g.c * hw_out];
    for p in 0..g.n * g.c {
        let plane = &x[p * hw_in..][..hw_in];
        for i in 0..g.ho {
            let (r0, r1) = AdaptiveGeometry::window(i, g.ho, g.h);
            for j in 0..g.wo {
                let (c0, c1) = AdaptiveGeometry::window(j, g.wo, g.w);
                let mut sum = T::ZERO;
                for r in r0..r1 {
                    for c in c0..c1 {
                        sum += plane[r * g.w + c];
                    }
                }
                y[p * hw_out + i * g.wo + j] = sum / T::from_f64(((r1 - r0) * (c1 - c0)) as f64);
            }
        }
    }
    y
}

pub fn adaptive_avg_backward<T: Float>(g: &AdaptiveGeometry, dy: &[T]) -> Vec<T> {
    let (hw_in, hw_out) = (g.h * g.w, g.ho * g.wo);
    let mut dx = vec![T::ZERO; g.n * g.c * hw_in];
    for p in 0..g.n * g.c {
        let plane = &mut dx[p * hw_in..][..hw_in];
        for i in 0..g.ho {
            let (r0, r1) = AdaptiveGeometry::window(i, g.ho, g.h);
            for j in 0..g.wo {
                let (c0, c1) = AdaptiveGeometry::window(j, g.wo, g.w);
                let share = dy[p * hw_out + i * g.wo + j] / T::from_f64(((r1 - r0) * (c1 - c0)) as f64);
                for r in r0..r1 {
                    for c in c0..c1 {
                        plane[r * g.w + c] += share;
                    }
                }
            }
        }
    }
    dx
}
