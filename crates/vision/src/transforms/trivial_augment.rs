//! TrivialAugmentWide and the fourteen operations it draws from, each one of the plain
//! functions in [`functional`](super::functional) at a drawn strength.

use super::functional as f;
use super::{coin, ImageTransform, Interpolation};
use kindling_tensor::{Rng, Tensor};

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

impl ImageTransform for TrivialAugmentWide {
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
