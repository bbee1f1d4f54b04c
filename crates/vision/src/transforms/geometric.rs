//! Steps that move pixels: resizing, fixed and random crops, flips, rotations and random
//! affine warps. Each draws its parameters from the generator it is handed.

use super::functional as f;
use super::{coin, uniform, ImageTransform, Interpolation};
use crate::image::{chw, resize};
use kindling_tensor::{Rng, Tensor};

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

impl ImageTransform for Resize {
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

impl ImageTransform for CenterCrop {
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

impl ImageTransform for RandomCrop {
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

impl ImageTransform for RandomResizedCrop {
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

impl ImageTransform for HorizontalFlip {
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

impl ImageTransform for VerticalFlip {
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

impl ImageTransform for Rotation {
    fn apply(&self, img: &Tensor<f32>, rng: &mut Rng) -> Tensor<f32> {
        let angle = uniform(rng, self.degrees.0, self.degrees.1);
        f::rotate(img, angle, Interpolation::Bilinear, self.fill)
    }
}

/// A random affine warp: rotation in ±`degrees`, translation up to `translate` (fractions of
/// width and height), scale in `scale`, shear in ±`shear` degrees along x.
#[derive(Clone, Copy, Debug)]
pub struct RandomAffine {
    pub degrees: f64,
    pub translate: (f64, f64),
    pub scale: (f64, f64),
    pub shear: f64,
    pub fill: f32,
}

impl RandomAffine {
    pub fn new(degrees: f64) -> Self {
        RandomAffine { degrees, translate: (0.0, 0.0), scale: (1.0, 1.0), shear: 0.0, fill: 0.0 }
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

impl ImageTransform for RandomAffine {
    fn apply(&self, img: &Tensor<f32>, rng: &mut Rng) -> Tensor<f32> {
        let (_, h, w) = chw("RandomAffine", img.shape());
        let angle = uniform(rng, -self.degrees, self.degrees);
        let tx = (uniform(rng, -self.translate.0, self.translate.0) * w as f64).round();
        let ty = (uniform(rng, -self.translate.1, self.translate.1) * h as f64).round();
        let scale = uniform(rng, self.scale.0, self.scale.1);
        let shear = uniform(rng, -self.shear, self.shear);
        f::affine(img, angle, (tx, ty), scale, (shear, 0.0), Interpolation::Bilinear, self.fill)
    }
}
