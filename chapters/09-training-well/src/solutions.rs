//! Reference answers to chapter 9's exercises (the same signatures as
//! `exercises.rs`). `cargo test -p ch09-training-well` checks these; try the
//! exercises first.

use kindling_autograd::Variable;

// ANCHOR: ex9_1
/// Exercise 9.1. The standard deviations of Kaiming (fan-in) and Xavier normal
/// weights.
pub fn kaiming_std(fan_in: usize, gain: f64) -> f64 {
    gain / (fan_in as f64).sqrt()
}

pub fn xavier_std(fan_in: usize, fan_out: usize, gain: f64) -> f64 {
    gain * (2.0 / (fan_in + fan_out) as f64).sqrt()
}
// ANCHOR_END: ex9_1

// ANCHOR: ex9_2
/// Exercise 9.2. Inverted dropout with a given mask (`keep[i]` says whether unit i
/// survives).
pub fn inverted_dropout(
    x: &[f64],
    keep: &[bool],
    p: f64,
    training: bool,
) -> Vec<f64> {
    if !training || p == 0.0 {
        return x.to_vec();
    }
    let scale = if p < 1.0 { 1.0 / (1.0 - p) } else { 0.0 };
    x.iter().zip(keep).map(|(&v, &k)| if k { v * scale } else { 0.0 }).collect()
}
// ANCHOR_END: ex9_2

// ANCHOR: ex9_3
/// Exercise 9.3. RMS normalisation over the last axis, then a learned per-feature
/// scale.
pub fn rms_norm(
    x: &Variable<f64>,
    weight: &Variable<f64>,
    eps: f64,
) -> Variable<f64> {
    let rms = x.square().mean(-1isize, true).add_scalar(eps).sqrt();
    &(x / &rms) * weight
}
// ANCHOR_END: ex9_3

// ANCHOR: ex9_4
/// Exercise 9.4. Clip by global norm, in place; returns the norm before clipping.
pub fn clip_global_norm(grads: &mut [Vec<f64>], max_norm: f64) -> f64 {
    let norm = grads.iter().flatten().map(|g| g * g).sum::<f64>().sqrt();
    if norm > max_norm {
        let scale = max_norm / norm;
        for g in grads.iter_mut().flatten() {
            *g *= scale;
        }
    }
    norm
}
// ANCHOR_END: ex9_4

// ANCHOR: ex9_5
/// Exercise 9.5. Batch normalisation of `[N][C]` rows, without γ and β, with
/// running statistics for evaluation.
pub struct BatchNormFromScratch {
    pub running_mean: Vec<f64>,
    pub running_var: Vec<f64>,
    pub momentum: f64,
    pub eps: f64,
}

impl BatchNormFromScratch {
    pub fn new(features: usize) -> Self {
        BatchNormFromScratch {
            running_mean: vec![0.0; features],
            running_var: vec![1.0; features],
            momentum: 0.1,
            eps: 1e-5,
        }
    }

    /// Training mode: normalise with this batch's statistics, then update the
    /// running ones.
    pub fn forward_train(&mut self, x: &[Vec<f64>]) -> Vec<Vec<f64>> {
        let (n, c) = (x.len() as f64, self.running_mean.len());
        let mut out = x.to_vec();
        for j in 0..c {
            let mean = x.iter().map(|r| r[j]).sum::<f64>() / n;
            let var = x.iter().map(|r| (r[j] - mean).powi(2)).sum::<f64>() / n;
            for (o, r) in out.iter_mut().zip(x) {
                o[j] = (r[j] - mean) / (var + self.eps).sqrt();
            }
            let m = self.momentum;
            self.running_mean[j] = (1.0 - m) * self.running_mean[j] + m * mean;
            self.running_var[j] =
                (1.0 - m) * self.running_var[j] + m * var * n / (n - 1.0);
        }
        out
    }

    /// Evaluation mode: normalise with the running statistics; nothing changes.
    pub fn forward_eval(&self, x: &[Vec<f64>]) -> Vec<Vec<f64>> {
        x.iter()
            .map(|r| {
                r.iter()
                    .enumerate()
                    .map(|(j, &v)| {
                        (v - self.running_mean[j])
                            / (self.running_var[j] + self.eps).sqrt()
                    })
                    .collect()
            })
            .collect()
    }
}
// ANCHOR_END: ex9_5

// ANCHOR: ex9_6
/// Exercise 9.6. The learning rates of a range test: `steps` values growing
/// geometrically from `lr_min` to `lr_max` (both included).
pub fn geometric_lrs(lr_min: f64, lr_max: f64, steps: usize) -> Vec<f64> {
    let ratio = (lr_max / lr_min).powf(1.0 / (steps - 1) as f64);
    (0..steps)
        .map(
            |k| if k + 1 == steps { lr_max } else { lr_min * ratio.powi(k as i32) },
        )
        .collect()
}

/// The learning rate at which the loss falls fastest per unit of log(lr): the left
/// end of the steepest segment of the curve of (lr, loss) points.
pub fn steepest_lr(curve: &[(f64, f64)]) -> f64 {
    let mut best = (f64::INFINITY, curve[0].0);
    for w in curve.windows(2) {
        let slope = (w[1].1 - w[0].1) / (w[1].0.ln() - w[0].0.ln());
        if slope < best.0 {
            best = (slope, w[0].0);
        }
    }
    best.1
}
// ANCHOR_END: ex9_6
