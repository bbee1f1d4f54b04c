//! The image functions the transforms are made of, deterministic given their arguments: flips,
//! crops, affine warps and rotations, and the colour adjustments (brightness, contrast,
//! saturation, hue, sharpness, posterize, solarize, autocontrast, equalize, erasing) that
//! TrivialAugment and ColorJitter draw from.

use super::Interpolation;
use crate::image::chw;
use kindling_tensor::Tensor;
use std::f64::consts::PI;

fn parts(op: &str, img: &Tensor<f32>) -> (usize, usize, usize, Vec<f32>) {
    let (c, h, w) = chw(op, img.shape());
    (c, h, w, img.contiguous().to_vec())
}

/// Mirrors left-right.
pub fn hflip(img: &Tensor<f32>) -> Tensor<f32> {
    let (c, h, w, mut d) = parts("hflip", img);
    d.chunks_exact_mut(w).for_each(|row| row.reverse());
    Tensor::from_vec(d, [c, h, w])
}

/// Mirrors top-bottom.
pub fn vflip(img: &Tensor<f32>) -> Tensor<f32> {
    let (c, h, w, d) = parts("vflip", img);
    let mut out = Vec::with_capacity(d.len());
    for plane in d.chunks_exact(h * w) {
        for row in plane.chunks_exact(w).rev() {
            out.extend_from_slice(row);
        }
    }
    Tensor::from_vec(out, [c, h, w])
}

/// The `height × width` window whose top-left corner is `(top, left)`; parts of the window
/// outside the image are filled with zeros.
pub fn crop(img: &Tensor<f32>, top: isize, left: isize, height: usize, width: usize) -> Tensor<f32> {
    let (c, h, w, d) = parts("crop", img);
    let mut out = vec![0f32; c * height * width];
    for ch in 0..c {
        for r in 0..height {
            let sr = top + r as isize;
            if sr < 0 || sr >= h as isize {
                continue;
            }
            for col in 0..width {
                let sc = left + col as isize;
                if sc >= 0 && sc < w as isize {
                    out[(ch * height + r) * width + col] = d[(ch * h + sr as usize) * w + sc as usize];
                }
            }
        }
    }
    Tensor::from_vec(out, [c, height, width])
}

/// The central `size` window (zero-padded when the image is smaller).
pub fn center_crop(img: &Tensor<f32>, size: (usize, usize)) -> Tensor<f32> {
    let (_, h, w) = chw("center_crop", img.shape());
    let top = (h as isize - size.0 as isize) / 2;
    let left = (w as isize - size.1 as isize) / 2;
    crop(img, top, left, size.0, size.1)
}

/// A general affine warp about the image center: rotate by `angle` degrees
/// (counter-clockwise), shear by `shear` = (x, y) degrees, scale by `scale`, then translate
/// by `translate` = (x, y) pixels. Pixels that come from outside the image get `fill`.
pub fn affine(
    img: &Tensor<f32>,
    angle: f64,
    translate: (f64, f64),
    scale: f64,
    shear: (f64, f64),
    interpolation: Interpolation,
    fill: f32,
) -> Tensor<f32> {
    assert!(scale > 0.0, "affine: scale must be positive, got {scale}");
    let (c, h, w, d) = parts("affine", img);
    let (cx, cy) = ((w as f64 - 1.0) / 2.0, (h as f64 - 1.0) / 2.0);
    // Forward map (x right, y down): p' = A·(p − center) + center + t, with
    // A = s·R·Sh; R rotates counter-clockwise on screen, Sh = [[1, tan sx], [tan sy, 1]].
    let (sn, cs) = (angle * PI / 180.0).sin_cos();
    let (tx, ty) = ((shear.0 * PI / 180.0).tan(), (shear.1 * PI / 180.0).tan());
    let r = [[cs, sn], [-sn, cs]];
    let sh = [[1.0, tx], [ty, 1.0]];
    let a = [
        [scale * (r[0][0] * sh[0][0] + r[0][1] * sh[1][0]), scale * (r[0][0] * sh[0][1] + r[0][1] * sh[1][1])],
        [scale * (r[1][0] * sh[0][0] + r[1][1] * sh[1][0]), scale * (r[1][0] * sh[0][1] + r[1][1] * sh[1][1])],
    ];
    let det = a[0][0] * a[1][1] - a[0][1] * a[1][0];
    assert!(det.abs() > 1e-12, "affine: the shear {shear:?} makes the map singular");
    let inv = [[a[1][1] / det, -a[0][1] / det], [-a[1][0] / det, a[0][0] / det]];
    let mut out = vec![fill; c * h * w];
    for y in 0..h {
        for x in 0..w {
            let (dx, dy) = (x as f64 - cx - translate.0, y as f64 - cy - translate.1);
            let sx = inv[0][0] * dx + inv[0][1] * dy + cx;
            let sy = inv[1][0] * dx + inv[1][1] * dy + cy;
            for ch in 0..c {
                let plane = &d[ch * h * w..][..h * w];
                if let Some(v) = sample(plane, h, w, sx, sy, interpolation) {
                    out[(ch * h + y) * w + x] = v;
                }
            }
        }
    }
    Tensor::from_vec(out, [c, h, w])
}

/// The value at real coordinates `(x, y)` of a plane, or `None` outside it.
fn sample(plane: &[f32], h: usize, w: usize, x: f64, y: f64, interpolation: Interpolation) -> Option<f32> {
    const EPS: f64 = 1e-6;
    match interpolation {
        Interpolation::Nearest => {
            let (xi, yi) = ((x + EPS).round(), (y + EPS).round());
            (xi >= 0.0 && yi >= 0.0 && xi < w as f64 && yi < h as f64).then(|| plane[yi as usize * w + xi as usize])
        }
        Interpolation::Bilinear => {
            if x < -EPS || y < -EPS || x > w as f64 - 1.0 + EPS || y > h as f64 - 1.0 + EPS {
                return None;
            }
            let (x, y) = (x.clamp(0.0, w as f64 - 1.0), y.clamp(0.0, h as f64 - 1.0));
            let (x0, y0) = (x.floor() as usize, y.floor() as usize);
            let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
            let (fx, fy) = ((x - x0 as f64) as f32, (y - y0 as f64) as f32);
            let top = plane[y0 * w + x0] * (1.0 - fx) + plane[y0 * w + x1] * fx;
            let bottom = plane[y1 * w + x0] * (1.0 - fx) + plane[y1 * w + x1] * fx;
            Some(top * (1.0 - fy) + bottom * fy)
        }
    }
}

/// Rotates counter-clockwise by `angle` degrees about the center, keeping the size.
pub fn rotate(img: &Tensor<f32>, angle: f64, interpolation: Interpolation, fill: f32) -> Tensor<f32> {
    affine(img, angle, (0.0, 0.0), 1.0, (0.0, 0.0), interpolation, fill)
}

fn map(img: &Tensor<f32>, f: impl Fn(f32) -> f32) -> Tensor<f32> {
    let d: Vec<f32> = img.contiguous().to_vec().into_iter().map(f).collect();
    Tensor::from_vec(d, img.shape().to_vec())
}

/// `factor·a + (1 − factor)·b`, clamped to [0, 1] (b broadcasts when it is one plane).
fn blend(img: &[f32], other: &[f32], factor: f32) -> Vec<f32> {
    let n = other.len();
    img.iter().enumerate().map(|(i, &a)| (factor * a + (1.0 - factor) * other[i % n]).clamp(0.0, 1.0)).collect()
}

/// Luma `0.299 R + 0.587 G + 0.114 B` as one plane (a 1-channel image is its own luma).
fn luma(op: &str, c: usize, hw: usize, d: &[f32]) -> Vec<f32> {
    match c {
        1 => d.to_vec(),
        3 => (0..hw).map(|p| 0.299 * d[p] + 0.587 * d[hw + p] + 0.114 * d[2 * hw + p]).collect(),
        _ => panic!("{op}: expected 1 or 3 channels, got {c}"),
    }
}

/// Converts to grayscale with `channels` output channels (1, or 3 identical ones).
pub fn grayscale(img: &Tensor<f32>, channels: usize) -> Tensor<f32> {
    let (c, h, w, d) = parts("grayscale", img);
    assert!(channels == 1 || channels == 3, "grayscale: 1 or 3 output channels, got {channels}");
    let g = luma("grayscale", c, h * w, &d);
    let out: Vec<f32> = (0..channels).flat_map(|_| g.iter().copied()).collect();
    Tensor::from_vec(out, [channels, h, w])
}

/// Multiplies every value by `factor` (0 gives black, 1 the original).
pub fn adjust_brightness(img: &Tensor<f32>, factor: f32) -> Tensor<f32> {
    map(img, |v| (v * factor).clamp(0.0, 1.0))
}

/// Blends with the mean gray level (0 gives a flat gray image, 1 the original).
pub fn adjust_contrast(img: &Tensor<f32>, factor: f32) -> Tensor<f32> {
    let (c, h, w, d) = parts("adjust_contrast", img);
    let g = luma("adjust_contrast", c, h * w, &d);
    let mean = g.iter().sum::<f32>() / g.len().max(1) as f32;
    Tensor::from_vec(blend(&d, &[mean], factor), [c, h, w])
}

/// Blends with the grayscale image (0 gives gray, 1 the original, 2 doubles the color).
pub fn adjust_saturation(img: &Tensor<f32>, factor: f32) -> Tensor<f32> {
    let (c, h, w, d) = parts("adjust_saturation", img);
    if c == 1 {
        return img.clone();
    }
    let g = luma("adjust_saturation", c, h * w, &d);
    Tensor::from_vec(blend(&d, &g, factor), [c, h, w])
}

/// Shifts the hue by `shift` turns (in [−0.5, 0.5]) in HSV space.
pub fn adjust_hue(img: &Tensor<f32>, shift: f32) -> Tensor<f32> {
    assert!((-0.5..=0.5).contains(&shift), "adjust_hue: shift {shift} is outside [-0.5, 0.5]");
    let (c, h, w, mut d) = parts("adjust_hue", img);
    if c == 1 {
        return img.clone();
    }
    assert_eq!(c, 3, "adjust_hue: expected 1 or 3 channels, got {c}");
    let hw = h * w;
    for p in 0..hw {
        let (r, g, b) = (d[p], d[hw + p], d[2 * hw + p]);
        let (hue, s, v) = rgb_to_hsv(r, g, b);
        let (r, g, b) = hsv_to_rgb((hue + shift).rem_euclid(1.0), s, v);
        (d[p], d[hw + p], d[2 * hw + p]) = (r, g, b);
    }
    Tensor::from_vec(d, [c, h, w])
}

/// RGB in [0, 1] to (hue in [0, 1), saturation, value).
pub fn rgb_to_hsv(r: f32, g: f32, b: f32) -> (f32, f32, f32) {
    let max = r.max(g).max(b);
    let min = r.min(g).min(b);
    let delta = max - min;
    let s = if max > 0.0 { delta / max } else { 0.0 };
    let h = if delta == 0.0 {
        0.0
    } else if max == r {
        ((g - b) / delta).rem_euclid(6.0) / 6.0
    } else if max == g {
        ((b - r) / delta + 2.0) / 6.0
    } else {
        ((r - g) / delta + 4.0) / 6.0
    };
    (h, s, max)
}

/// The inverse of [`rgb_to_hsv`].
pub fn hsv_to_rgb(h: f32, s: f32, v: f32) -> (f32, f32, f32) {
    let h6 = (h * 6.0).rem_euclid(6.0);
    let i = h6.floor();
    let f = h6 - i;
    let (p, q, t) = (v * (1.0 - s), v * (1.0 - s * f), v * (1.0 - s * (1.0 - f)));
    match i as u32 {
        0 => (v, t, p),
        1 => (q, v, p),
        2 => (p, v, t),
        3 => (p, q, v),
        4 => (t, p, v),
        _ => (v, p, q),
    }
}

/// Blends with a smoothed copy (3×3 kernel, center weight 5, edges kept): 0 blurs, 1 is the
/// original, 2 sharpens.
pub fn adjust_sharpness(img: &Tensor<f32>, factor: f32) -> Tensor<f32> {
    let (c, h, w, d) = parts("adjust_sharpness", img);
    if h < 3 || w < 3 {
        return img.clone();
    }
    let mut smooth = d.clone();
    for ch in 0..c {
        let plane = &d[ch * h * w..][..h * w];
        for y in 1..h - 1 {
            for x in 1..w - 1 {
                let mut acc = 4.0 * plane[y * w + x];
                for dy in 0..3 {
                    for dx in 0..3 {
                        acc += plane[(y + dy - 1) * w + x + dx - 1];
                    }
                }
                smooth[(ch * h + y) * w + x] = acc / 13.0;
            }
        }
    }
    Tensor::from_vec(blend(&d, &smooth, factor), [c, h, w])
}

/// Keeps the top `bits` bits of each 8-bit value.
pub fn posterize(img: &Tensor<f32>, bits: u32) -> Tensor<f32> {
    assert!((1..=8).contains(&bits), "posterize: bits must be in 1..=8, got {bits}");
    let mask = !((1u32 << (8 - bits)) - 1) & 0xFF;
    map(img, |v| (((v.clamp(0.0, 1.0) * 255.0).round() as u32) & mask) as f32 / 255.0)
}

/// Inverts every value at or above `threshold`.
pub fn solarize(img: &Tensor<f32>, threshold: f32) -> Tensor<f32> {
    map(img, |v| if v >= threshold { 1.0 - v } else { v })
}

/// Stretches each channel so its darkest value becomes 0 and its brightest 1.
pub fn autocontrast(img: &Tensor<f32>) -> Tensor<f32> {
    let (c, h, w, mut d) = parts("autocontrast", img);
    for plane in d.chunks_exact_mut(h * w) {
        let (lo, hi) = plane.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
        if hi > lo {
            plane.iter_mut().for_each(|v| *v = ((*v - lo) / (hi - lo)).clamp(0.0, 1.0));
        }
    }
    Tensor::from_vec(d, [c, h, w])
}

/// Histogram equalisation per channel on 8-bit levels (PIL's algorithm): levels are
/// remapped so that their cumulative counts spread evenly over 0..=255.
pub fn equalize(img: &Tensor<f32>) -> Tensor<f32> {
    let (c, h, w, mut d) = parts("equalize", img);
    for plane in d.chunks_exact_mut(h * w) {
        let levels: Vec<usize> = plane.iter().map(|v| (v.clamp(0.0, 1.0) * 255.0).round() as usize).collect();
        let mut hist = [0usize; 256];
        levels.iter().for_each(|&l| hist[l] += 1);
        let last = hist.iter().rposition(|&n| n > 0).map_or(0, |i| hist[i]);
        let step = (levels.len() - last) / 255;
        if step == 0 {
            continue;
        }
        let mut lut = [0f32; 256];
        let mut acc = step / 2;
        for (l, &n) in hist.iter().enumerate() {
            lut[l] = (acc / step).min(255) as f32 / 255.0;
            acc += n;
        }
        plane.iter_mut().zip(&levels).for_each(|(v, &l)| *v = lut[l]);
    }
    Tensor::from_vec(d, [c, h, w])
}

/// Sets the `height × width` rectangle at `(top, left)` to `value` in every channel.
pub fn erase(img: &Tensor<f32>, top: usize, left: usize, height: usize, width: usize, value: f32) -> Tensor<f32> {
    let (c, h, w, mut d) = parts("erase", img);
    for ch in 0..c {
        for r in top..(top + height).min(h) {
            d[(ch * h + r) * w + left.min(w)..(ch * h + r) * w + (left + width).min(w)].fill(value);
        }
    }
    Tensor::from_vec(d, [c, h, w])
}
