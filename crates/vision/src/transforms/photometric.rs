//! Steps that change values and leave positions alone: colour jitter, grayscale, random
//! erasing, Gaussian noise and per-channel normalisation.

use super::functional as f;
use super::{coin, uniform, ImageTransform};
use crate::image::{chw, normalize};
use kindling_tensor::{Rng, Tensor};

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

impl ImageTransform for ColorJitter {
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

impl ImageTransform for Grayscale {
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

impl ImageTransform for RandomErasing {
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

impl ImageTransform for GaussianNoise {
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

impl ImageTransform for Normalize {
    fn apply(&self, img: &Tensor<f32>, _: &mut Rng) -> Tensor<f32> {
        normalize(img, &self.mean, &self.std)
    }
}
