//! Transforms and augmentation: functions on `[C, H, W]` f32 images with values in [0, 1]
//! ([`functional`]), and [`Transform`]s that draw their random parameters from a generator,
//! chained into a [`Compose`] pipeline.
//!
//! Augmentation shows the network a new random variant of every image in every epoch. To keep
//! runs reproducible, the generator for one image is seeded from `(seed, epoch, index)`
//! ([`sample_rng`]): the same run draws the same variants, whichever worker thread loads the
//! image and in whatever order.
//!
//! ```
//! use kindling_tensor::{Rng, Tensor};
//! use kindling_vision::transforms::{Compose, HorizontalFlip, Normalize, RandomResizedCrop};
//!
//! let pipeline = Compose::new()
//!     .then(RandomResizedCrop::new((32, 32)))
//!     .then(HorizontalFlip::new(0.5))
//!     .then(Normalize::new(&[0.5, 0.5, 0.5], &[0.5, 0.5, 0.5]));
//! let img = Tensor::<f32>::rand([3, 48, 64], &mut Rng::seed(0));
//! let a = pipeline.apply_seeded(&img, 7, 0, 12);
//! assert_eq!(a.shape(), [3, 32, 32]);
//! assert_eq!(a.to_vec(), pipeline.apply_seeded(&img, 7, 0, 12).to_vec()); // same (seed, epoch, index)
//! ```

use crate::image::{chw, normalize, resize};
use kindling_tensor::{Rng, Tensor};
use std::f64::consts::PI;

/// The generator for image `index` in `epoch` of a run seeded with `seed`: the three numbers
/// are mixed (SplitMix64 steps), so neighbouring indices or epochs get unrelated streams.
pub fn sample_rng(seed: u64, epoch: u64, index: u64) -> Rng {
    fn mix(mut z: u64) -> u64 {
        z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    Rng::seed(mix(mix(mix(seed) ^ epoch) ^ index))
}

/// One step of a pipeline: maps an image to an image, drawing any randomness from `rng`.
pub trait Transform: Send + Sync {
    fn apply(&self, img: &Tensor<f32>, rng: &mut Rng) -> Tensor<f32>;
}

/// Transforms applied in order.
#[derive(Default)]
pub struct Compose {
    steps: Vec<Box<dyn Transform>>,
}

impl Compose {
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a step (builder style).
    pub fn then(mut self, t: impl Transform + 'static) -> Self {
        self.steps.push(Box::new(t));
        self
    }

    pub fn len(&self) -> usize {
        self.steps.len()
    }

    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }

    /// Runs the pipeline with the generator of `(seed, epoch, index)` (see [`sample_rng`]).
    pub fn apply_seeded(&self, img: &Tensor<f32>, seed: u64, epoch: u64, index: u64) -> Tensor<f32> {
        self.apply(img, &mut sample_rng(seed, epoch, index))
    }
}

impl Transform for Compose {
    fn apply(&self, img: &Tensor<f32>, rng: &mut Rng) -> Tensor<f32> {
        self.steps.iter().fold(img.clone(), |x, t| t.apply(&x, rng))
    }
}

/// Any closure `Fn(&Tensor<f32>, &mut Rng) -> Tensor<f32>` is a transform.
impl<F: Fn(&Tensor<f32>, &mut Rng) -> Tensor<f32> + Send + Sync> Transform for F {
    fn apply(&self, img: &Tensor<f32>, rng: &mut Rng) -> Tensor<f32> {
        self(img, rng)
    }
}

/// How geometric transforms read between pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interpolation {
    Nearest,
    Bilinear,
}

/// The image functions the transforms are made of, deterministic given their arguments.
pub mod functional {
    use super::*;

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
}

use functional as f;

fn uniform(rng: &mut Rng, lo: f64, hi: f64) -> f64 {
    lo + (hi - lo) * rng.uniform_f64()
}

fn coin(rng: &mut Rng, p: f64) -> bool {
    rng.uniform_f64() < p
}

/// Resizes to a fixed (height, width), antialiased (see [`crate::image::resize`]).
#[derive(Clone, Copy, Debug)]
pub struct Resize {
    pub size: (usize, usize),
}

impl Resize {
    pub fn new(size: (usize, usize)) -> Self {
        Resize { size }
    }
}

impl Transform for Resize {
    fn apply(&self, img: &Tensor<f32>, _: &mut Rng) -> Tensor<f32> {
        resize(img, self.size)
    }
}

/// The central window of a fixed size.
#[derive(Clone, Copy, Debug)]
pub struct CenterCrop {
    pub size: (usize, usize),
}

impl CenterCrop {
    pub fn new(size: (usize, usize)) -> Self {
        CenterCrop { size }
    }
}

impl Transform for CenterCrop {
    fn apply(&self, img: &Tensor<f32>, _: &mut Rng) -> Tensor<f32> {
        f::center_crop(img, self.size)
    }
}

/// A window of a fixed size at a random position, after padding every side with `padding`
/// zeros (the classic CIFAR augmentation is 32×32 with padding 4).
#[derive(Clone, Copy, Debug)]
pub struct RandomCrop {
    pub size: (usize, usize),
    pub padding: usize,
}

impl RandomCrop {
    pub fn new(size: (usize, usize)) -> Self {
        RandomCrop { size, padding: 0 }
    }

    pub fn padding(mut self, p: usize) -> Self {
        self.padding = p;
        self
    }
}

impl Transform for RandomCrop {
    fn apply(&self, img: &Tensor<f32>, rng: &mut Rng) -> Tensor<f32> {
        let (_, h, w) = chw("RandomCrop", img.shape());
        let (ph, pw) = (h + 2 * self.padding, w + 2 * self.padding);
        if ph < self.size.0 || pw < self.size.1 {
            panic!("RandomCrop: crop {:?} is larger than the padded image {ph}×{pw}", self.size);
        }
        let top = rng.below((ph - self.size.0 + 1) as u64) as isize - self.padding as isize;
        let left = rng.below((pw - self.size.1 + 1) as u64) as isize - self.padding as isize;
        f::crop(img, top, left, self.size.0, self.size.1)
    }
}

/// A random window covering a random fraction `scale` of the area with a random aspect ratio
/// `ratio` (drawn log-uniformly), resized to `size`: the standard ImageNet augmentation.
#[derive(Clone, Copy, Debug)]
pub struct RandomResizedCrop {
    pub size: (usize, usize),
    pub scale: (f64, f64),
    pub ratio: (f64, f64),
}

impl RandomResizedCrop {
    /// Defaults: scale (0.08, 1), ratio (3/4, 4/3).
    pub fn new(size: (usize, usize)) -> Self {
        RandomResizedCrop { size, scale: (0.08, 1.0), ratio: (3.0 / 4.0, 4.0 / 3.0) }
    }

    pub fn scale(mut self, lo: f64, hi: f64) -> Self {
        self.scale = (lo, hi);
        self
    }

    pub fn ratio(mut self, lo: f64, hi: f64) -> Self {
        self.ratio = (lo, hi);
        self
    }

    /// The window `(top, left, height, width)` for an `h × w` image: up to ten draws, then the
    /// largest central window with an allowed ratio.
    pub fn window(&self, h: usize, w: usize, rng: &mut Rng) -> (usize, usize, usize, usize) {
        let area = (h * w) as f64;
        let (lr0, lr1) = (self.ratio.0.ln(), self.ratio.1.ln());
        for _ in 0..10 {
            let target = area * uniform(rng, self.scale.0, self.scale.1);
            let aspect = uniform(rng, lr0, lr1).exp();
            let cw = (target * aspect).sqrt().round() as usize;
            let ch = (target / aspect).sqrt().round() as usize;
            if cw > 0 && ch > 0 && cw <= w && ch <= h {
                let top = rng.below((h - ch + 1) as u64) as usize;
                let left = rng.below((w - cw + 1) as u64) as usize;
                return (top, left, ch, cw);
            }
        }
        let in_ratio = w as f64 / h as f64;
        let (ch, cw) = if in_ratio < self.ratio.0 {
            ((w as f64 / self.ratio.0).round() as usize, w)
        } else if in_ratio > self.ratio.1 {
            (h, (h as f64 * self.ratio.1).round() as usize)
        } else {
            (h, w)
        };
        ((h - ch) / 2, (w - cw) / 2, ch, cw)
    }
}

impl Transform for RandomResizedCrop {
    fn apply(&self, img: &Tensor<f32>, rng: &mut Rng) -> Tensor<f32> {
        let (_, h, w) = chw("RandomResizedCrop", img.shape());
        let (top, left, ch, cw) = self.window(h, w, rng);
        resize(&f::crop(img, top as isize, left as isize, ch, cw), self.size)
    }
}

/// Mirrors left-right with probability `p`.
#[derive(Clone, Copy, Debug)]
pub struct HorizontalFlip {
    pub p: f64,
}

impl HorizontalFlip {
    pub fn new(p: f64) -> Self {
        HorizontalFlip { p }
    }
}

impl Transform for HorizontalFlip {
    fn apply(&self, img: &Tensor<f32>, rng: &mut Rng) -> Tensor<f32> {
        if coin(rng, self.p) {
            f::hflip(img)
        } else {
            img.clone()
        }
    }
}

/// Mirrors top-bottom with probability `p`.
#[derive(Clone, Copy, Debug)]
pub struct VerticalFlip {
    pub p: f64,
}

impl VerticalFlip {
    pub fn new(p: f64) -> Self {
        VerticalFlip { p }
    }
}

impl Transform for VerticalFlip {
    fn apply(&self, img: &Tensor<f32>, rng: &mut Rng) -> Tensor<f32> {
        if coin(rng, self.p) {
            f::vflip(img)
        } else {
            img.clone()
        }
    }
}

/// Rotates by an angle drawn uniformly from `degrees` (counter-clockwise), bilinear, corners
/// filled with `fill`.
#[derive(Clone, Copy, Debug)]
pub struct Rotation {
    pub degrees: (f64, f64),
    pub fill: f32,
}

impl Rotation {
    /// Angles in [−degrees, degrees].
    pub fn new(degrees: f64) -> Self {
        Rotation { degrees: (-degrees, degrees), fill: 0.0 }
    }
}

impl Transform for Rotation {
    fn apply(&self, img: &Tensor<f32>, rng: &mut Rng) -> Tensor<f32> {
        let angle = uniform(rng, self.degrees.0, self.degrees.1);
        f::rotate(img, angle, Interpolation::Bilinear, self.fill)
    }
}

/// A random affine warp: rotation in ±`degrees`, translation up to `translate` (fractions of
/// width and height), scale in `scale`, shear in ±`shear` degrees along x.
#[derive(Clone, Copy, Debug)]
pub struct Affine {
    pub degrees: f64,
    pub translate: (f64, f64),
    pub scale: (f64, f64),
    pub shear: f64,
    pub fill: f32,
}

impl Affine {
    pub fn new(degrees: f64) -> Self {
        Affine { degrees, translate: (0.0, 0.0), scale: (1.0, 1.0), shear: 0.0, fill: 0.0 }
    }

    pub fn translate(mut self, fx: f64, fy: f64) -> Self {
        self.translate = (fx, fy);
        self
    }

    pub fn scale(mut self, lo: f64, hi: f64) -> Self {
        self.scale = (lo, hi);
        self
    }

    pub fn shear(mut self, degrees: f64) -> Self {
        self.shear = degrees;
        self
    }
}

impl Transform for Affine {
    fn apply(&self, img: &Tensor<f32>, rng: &mut Rng) -> Tensor<f32> {
        let (_, h, w) = chw("Affine", img.shape());
        let angle = uniform(rng, -self.degrees, self.degrees);
        let tx = (uniform(rng, -self.translate.0, self.translate.0) * w as f64).round();
        let ty = (uniform(rng, -self.translate.1, self.translate.1) * h as f64).round();
        let scale = uniform(rng, self.scale.0, self.scale.1);
        let shear = uniform(rng, -self.shear, self.shear);
        f::affine(img, angle, (tx, ty), scale, (shear, 0.0), Interpolation::Bilinear, self.fill)
    }
}

/// Random brightness, contrast, saturation and hue changes, applied in a random order. Each
/// factor is drawn from [max(0, 1 − x), 1 + x] (hue: a shift in [−x, x] turns).
#[derive(Clone, Copy, Debug, Default)]
pub struct ColorJitter {
    pub brightness: f64,
    pub contrast: f64,
    pub saturation: f64,
    pub hue: f64,
}

impl ColorJitter {
    pub fn new(brightness: f64, contrast: f64, saturation: f64, hue: f64) -> Self {
        assert!((0.0..=0.5).contains(&hue), "ColorJitter: hue {hue} is outside [0, 0.5]");
        ColorJitter { brightness, contrast, saturation, hue }
    }
}

impl Transform for ColorJitter {
    fn apply(&self, img: &Tensor<f32>, rng: &mut Rng) -> Tensor<f32> {
        let factor = |rng: &mut Rng, x: f64| uniform(rng, (1.0 - x).max(0.0), 1.0 + x) as f32;
        let mut out = img.clone();
        for op in rng.permutation(4) {
            out = match op {
                0 if self.brightness > 0.0 => f::adjust_brightness(&out, factor(rng, self.brightness)),
                1 if self.contrast > 0.0 => f::adjust_contrast(&out, factor(rng, self.contrast)),
                2 if self.saturation > 0.0 => f::adjust_saturation(&out, factor(rng, self.saturation)),
                3 if self.hue > 0.0 => f::adjust_hue(&out, uniform(rng, -self.hue, self.hue) as f32),
                _ => out,
            };
        }
        out
    }
}

/// Converts to grayscale (keeping the channel count) with probability `p`.
#[derive(Clone, Copy, Debug)]
pub struct Grayscale {
    pub p: f64,
}

impl Grayscale {
    /// Always.
    pub fn new() -> Self {
        Grayscale { p: 1.0 }
    }

    /// With probability `p` (torchvision's `RandomGrayscale`).
    pub fn random(p: f64) -> Self {
        Grayscale { p }
    }
}

impl Default for Grayscale {
    fn default() -> Self {
        Self::new()
    }
}

impl Transform for Grayscale {
    fn apply(&self, img: &Tensor<f32>, rng: &mut Rng) -> Tensor<f32> {
        if self.p >= 1.0 || coin(rng, self.p) {
            f::grayscale(img, img.shape()[0])
        } else {
            img.clone()
        }
    }
}

/// With probability `p`, sets a random rectangle (area fraction in `scale`, aspect ratio in
/// `ratio`) to `value` (Zhong et al.'s random erasing; apply after normalising).
#[derive(Clone, Copy, Debug)]
pub struct RandomErasing {
    pub p: f64,
    pub scale: (f64, f64),
    pub ratio: (f64, f64),
    pub value: f32,
}

impl RandomErasing {
    /// Defaults: scale (0.02, 0.33), ratio (0.3, 3.3), value 0.
    pub fn new(p: f64) -> Self {
        RandomErasing { p, scale: (0.02, 0.33), ratio: (0.3, 3.3), value: 0.0 }
    }
}

impl Transform for RandomErasing {
    fn apply(&self, img: &Tensor<f32>, rng: &mut Rng) -> Tensor<f32> {
        if !coin(rng, self.p) {
            return img.clone();
        }
        let (_, h, w) = chw("RandomErasing", img.shape());
        let area = (h * w) as f64;
        let (lr0, lr1) = (self.ratio.0.ln(), self.ratio.1.ln());
        for _ in 0..10 {
            let target = area * uniform(rng, self.scale.0, self.scale.1);
            let aspect = uniform(rng, lr0, lr1).exp();
            let eh = (target * aspect).sqrt().round() as usize;
            let ew = (target / aspect).sqrt().round() as usize;
            if eh > 0 && ew > 0 && eh < h && ew < w {
                let top = rng.below((h - eh + 1) as u64) as usize;
                let left = rng.below((w - ew + 1) as u64) as usize;
                return f::erase(img, top, left, eh, ew, self.value);
            }
        }
        img.clone()
    }
}

/// Adds N(mean, sigma²) noise to every value, clamping to [0, 1] when `clip` is set.
#[derive(Clone, Copy, Debug)]
pub struct GaussianNoise {
    pub mean: f32,
    pub sigma: f32,
    pub clip: bool,
}

impl GaussianNoise {
    pub fn new(sigma: f32) -> Self {
        GaussianNoise { mean: 0.0, sigma, clip: true }
    }
}

impl Transform for GaussianNoise {
    fn apply(&self, img: &Tensor<f32>, rng: &mut Rng) -> Tensor<f32> {
        let d: Vec<f32> = img
            .contiguous()
            .to_vec()
            .into_iter()
            .map(|v| {
                let x = v + self.mean + self.sigma * rng.normal_f64() as f32;
                if self.clip {
                    x.clamp(0.0, 1.0)
                } else {
                    x
                }
            })
            .collect();
        Tensor::from_vec(d, img.shape().to_vec())
    }
}

/// `(x − mean) / std` per channel.
#[derive(Clone, Debug)]
pub struct Normalize {
    pub mean: Vec<f32>,
    pub std: Vec<f32>,
}

impl Normalize {
    pub fn new(mean: &[f32], std: &[f32]) -> Self {
        Normalize { mean: mean.to_vec(), std: std.to_vec() }
    }
}

impl Transform for Normalize {
    fn apply(&self, img: &Tensor<f32>, _: &mut Rng) -> Tensor<f32> {
        normalize(img, &self.mean, &self.std)
    }
}

/// The operations TrivialAugment draws from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AugmentOp {
    Identity,
    ShearX,
    ShearY,
    TranslateX,
    TranslateY,
    Rotate,
    Brightness,
    Color,
    Contrast,
    Sharpness,
    Posterize,
    Solarize,
    AutoContrast,
    Equalize,
}

impl AugmentOp {
    pub const ALL: [AugmentOp; 14] = [
        AugmentOp::Identity,
        AugmentOp::ShearX,
        AugmentOp::ShearY,
        AugmentOp::TranslateX,
        AugmentOp::TranslateY,
        AugmentOp::Rotate,
        AugmentOp::Brightness,
        AugmentOp::Color,
        AugmentOp::Contrast,
        AugmentOp::Sharpness,
        AugmentOp::Posterize,
        AugmentOp::Solarize,
        AugmentOp::AutoContrast,
        AugmentOp::Equalize,
    ];
}

/// TrivialAugment, wide search space (Müller & Hutter, 2021; torchvision's
/// `TrivialAugmentWide`): per image, one operation drawn uniformly from [`AugmentOp::ALL`]
/// at a strength drawn uniformly from `num_bins` levels (signed operations get a random sign).
/// No hyperparameters to tune, which is its point.
#[derive(Clone, Copy, Debug)]
pub struct TrivialAugmentWide {
    pub num_bins: usize,
    pub fill: f32,
}

impl Default for TrivialAugmentWide {
    fn default() -> Self {
        TrivialAugmentWide { num_bins: 31, fill: 0.0 }
    }
}

impl TrivialAugmentWide {
    pub fn new() -> Self {
        Self::default()
    }

    /// The strength of `op` at `bin` (of `num_bins`), before the sign: shear 0–0.99, translation
    /// 0–32 px, rotation 0–135°, enhancement factors 0–0.99, posterize 8–2 bits, solarize
    /// threshold 1–0.
    pub fn magnitude(&self, op: AugmentOp, bin: usize) -> f64 {
        let t = bin as f64 / (self.num_bins.max(2) - 1) as f64;
        match op {
            AugmentOp::ShearX | AugmentOp::ShearY => 0.99 * t,
            AugmentOp::TranslateX | AugmentOp::TranslateY => 32.0 * t,
            AugmentOp::Rotate => 135.0 * t,
            AugmentOp::Brightness | AugmentOp::Color | AugmentOp::Contrast | AugmentOp::Sharpness => 0.99 * t,
            AugmentOp::Posterize => 8.0 - (6.0 * t).round(),
            AugmentOp::Solarize => 1.0 - t,
            AugmentOp::Identity | AugmentOp::AutoContrast | AugmentOp::Equalize => 0.0,
        }
    }

    /// Applies `op` with a signed magnitude.
    pub fn apply_op(&self, img: &Tensor<f32>, op: AugmentOp, m: f64) -> Tensor<f32> {
        let nearest = Interpolation::Nearest;
        let shear_deg = |m: f64| m.atan().to_degrees();
        match op {
            AugmentOp::Identity => img.clone(),
            AugmentOp::ShearX => f::affine(img, 0.0, (0.0, 0.0), 1.0, (shear_deg(m), 0.0), nearest, self.fill),
            AugmentOp::ShearY => f::affine(img, 0.0, (0.0, 0.0), 1.0, (0.0, shear_deg(m)), nearest, self.fill),
            AugmentOp::TranslateX => f::affine(img, 0.0, (m.round(), 0.0), 1.0, (0.0, 0.0), nearest, self.fill),
            AugmentOp::TranslateY => f::affine(img, 0.0, (0.0, m.round()), 1.0, (0.0, 0.0), nearest, self.fill),
            AugmentOp::Rotate => f::rotate(img, m, nearest, self.fill),
            AugmentOp::Brightness => f::adjust_brightness(img, (1.0 + m) as f32),
            AugmentOp::Color => f::adjust_saturation(img, (1.0 + m) as f32),
            AugmentOp::Contrast => f::adjust_contrast(img, (1.0 + m) as f32),
            AugmentOp::Sharpness => f::adjust_sharpness(img, (1.0 + m) as f32),
            AugmentOp::Posterize => f::posterize(img, m.abs() as u32),
            AugmentOp::Solarize => f::solarize(img, m.abs() as f32),
            AugmentOp::AutoContrast => f::autocontrast(img),
            AugmentOp::Equalize => f::equalize(img),
        }
    }
}

impl Transform for TrivialAugmentWide {
    fn apply(&self, img: &Tensor<f32>, rng: &mut Rng) -> Tensor<f32> {
        let op = AugmentOp::ALL[rng.below(AugmentOp::ALL.len() as u64) as usize];
        let bin = rng.below(self.num_bins as u64) as usize;
        let signed = matches!(
            op,
            AugmentOp::ShearX
                | AugmentOp::ShearY
                | AugmentOp::TranslateX
                | AugmentOp::TranslateY
                | AugmentOp::Rotate
                | AugmentOp::Brightness
                | AugmentOp::Color
                | AugmentOp::Contrast
                | AugmentOp::Sharpness
        );
        let mut m = self.magnitude(op, bin);
        if signed && coin(rng, 0.5) {
            m = -m;
        }
        self.apply_op(img, op, m)
    }
}
