//! The exact samplers behind the distributions (gamma, binomial, Poisson), on [`Rng`].

use crate::stats::special::ln_gamma;
use crate::Rng;

/// A uniform draw in (0, 1]: safe to take the logarithm of.
fn open_uniform(rng: &mut Rng) -> f64 {
    1.0 - rng.uniform_f64()
}

/// The logarithm of a Gamma(shape, 1) draw. Kept in logs because for small shapes the draw
/// itself can underflow to 0 (a Beta(0.01, 0.01) needs the ratio of two such draws).
pub(super) fn ln_gamma_sample(rng: &mut Rng, shape: f64) -> f64 {
    if shape < 1.0 {
        // G(a) = G(a + 1) · U^{1/a} (Marsaglia and Tsang's boost for a < 1).
        return ln_gamma_sample(rng, shape + 1.0) + open_uniform(rng).ln() / shape;
    }
    // Marsaglia and Tsang (2000): d·V with V = (1 + c·Z)³, Z normal, accepted by a squeeze
    // and, rarely, by the full log test.
    let d = shape - 1.0 / 3.0;
    let c = 1.0 / (9.0 * d).sqrt();
    loop {
        let z = rng.normal_f64();
        let v = 1.0 + c * z;
        if v <= 0.0 {
            continue;
        }
        let v = v * v * v;
        let u = open_uniform(rng);
        let z2 = z * z;
        if u < 1.0 - 0.0331 * z2 * z2 || u.ln() < 0.5 * z2 + d * (1.0 - v + v.ln()) {
            return d.ln() + v.ln();
        }
    }
}

/// Below this mean, the binomial and the Poisson are drawn by inversion.
const INVERSION_MEAN: f64 = 10.0;

/// Binomial(n, p) by sequential inversion, for small `n·p` with `p ≤ 1/2` (the walk from 0
/// takes about `n·p` steps).
fn binomial_inversion(rng: &mut Rng, n: u64, p: f64) -> u64 {
    let q = 1.0 - p;
    let ratio = p / q;
    let p0 = q.powf(n as f64);
    loop {
        let mut u = rng.uniform_f64();
        let (mut k, mut pk) = (0u64, p0);
        // Rounding can leave the running sum a hair short of 1: redraw if the walk runs out.
        while u >= pk && k < n {
            u -= pk;
            k += 1;
            pk *= ratio * (n - k + 1) as f64 / k as f64;
        }
        if u < pk {
            return k;
        }
    }
}

/// An exact Binomial(n, p) draw: inversion when `n·min(p, 1−p) < 10`, Hörmann's BTRS
/// (transformed rejection with squeeze, 1993) above; `p > 1/2` is drawn as `n − Bin(n, 1−p)`.
pub(super) fn binomial_sample(rng: &mut Rng, n: u64, p: f64) -> u64 {
    if n == 0 || p <= 0.0 {
        return 0;
    }
    if p >= 1.0 {
        return n;
    }
    if p > 0.5 {
        return n - binomial_sample(rng, n, 1.0 - p);
    }
    if (n as f64) * p < INVERSION_MEAN {
        binomial_inversion(rng, n, p)
    } else {
        binomial_btrs(rng, n, p)
    }
}

/// `ln k! − [(k + ½)·ln(k + 1) − (k + 1) + ½·ln 2π]`: what Stirling's formula misses.
fn stirling_tail(k: f64) -> f64 {
    if k < 10.0 {
        ln_gamma(k + 1.0) - ((k + 0.5) * (k + 1.0).ln() - (k + 1.0) + 0.5 * (2.0 * std::f64::consts::PI).ln())
    } else {
        let k1 = k + 1.0;
        let k1sq = k1 * k1;
        (1.0 / 12.0 - (1.0 / 360.0 - 1.0 / 1260.0 / k1sq) / k1sq) / k1
    }
}

fn binomial_btrs(rng: &mut Rng, n: u64, p: f64) -> u64 {
    let nf = n as f64;
    let spq = (nf * p * (1.0 - p)).sqrt();
    let b = 1.15 + 2.53 * spq;
    let a = -0.0873 + 0.0248 * b + 0.01 * p;
    let c = nf * p + 0.5;
    let v_r = 0.92 - 4.2 / b;
    let r = p / (1.0 - p);
    let alpha = (2.83 + 5.1 / b) * spq;
    let m = ((nf + 1.0) * p).floor();
    // The parts of ln f(k)/f(m) that do not depend on k.
    let mode_part = (m + 0.5) * ((m + 1.0) / (r * (nf - m + 1.0))).ln() + stirling_tail(m) + stirling_tail(nf - m);
    loop {
        let u = rng.uniform_f64() - 0.5;
        let v = open_uniform(rng);
        let us = 0.5 - u.abs();
        let k = ((2.0 * a / us + b) * u + c).floor();
        if k < 0.0 || k > nf {
            continue;
        }
        // The squeeze: most draws are accepted here.
        if us >= 0.07 && v <= v_r {
            return k as u64;
        }
        // The full test: the hat against ln f(k)/f(m), Stirling's formula plus its tails.
        let lhs = (v * alpha / (a / (us * us) + b)).ln();
        let rhs = mode_part
            + (nf + 1.0) * ((nf - m + 1.0) / (nf - k + 1.0)).ln()
            + (k + 0.5) * ((nf - k + 1.0) * r / (k + 1.0)).ln()
            - stirling_tail(k)
            - stirling_tail(nf - k);
        if lhs <= rhs {
            return k as u64;
        }
    }
}

/// An exact Poisson(λ) draw: inversion for small λ, Hörmann's PTRS (transformed rejection with
/// squeeze, 1993) for λ ≥ 10.
pub(super) fn poisson_sample(rng: &mut Rng, lambda: f64) -> u64 {
    if lambda < INVERSION_MEAN {
        poisson_inversion(rng, lambda)
    } else {
        poisson_ptrs(rng, lambda)
    }
}

fn poisson_inversion(rng: &mut Rng, lambda: f64) -> u64 {
    let p0 = (-lambda).exp();
    loop {
        let mut u = rng.uniform_f64();
        let (mut k, mut pk) = (0u64, p0);
        while u >= pk && pk > 0.0 {
            u -= pk;
            k += 1;
            pk *= lambda / k as f64;
        }
        // pk reaching 0 means rounding left the sum short of 1: redraw.
        if u < pk {
            return k;
        }
    }
}

fn poisson_ptrs(rng: &mut Rng, lambda: f64) -> u64 {
    let ln_lambda = lambda.ln();
    let b = 0.931 + 2.53 * lambda.sqrt();
    let a = -0.059 + 0.02483 * b;
    let inv_alpha = 1.1239 + 1.1328 / (b - 3.4);
    let v_r = 0.9277 - 3.6224 / (b - 2.0);
    loop {
        let u = rng.uniform_f64() - 0.5;
        let v = open_uniform(rng);
        let us = 0.5 - u.abs();
        let k = ((2.0 * a / us + b) * u + lambda + 0.43).floor();
        // The squeeze: most draws are accepted without a logarithm.
        if us >= 0.07 && v <= v_r {
            return k as u64;
        }
        if k < 0.0 || (us < 0.013 && v > us) {
            continue;
        }
        let lhs = v.ln() + inv_alpha.ln() - (a / (us * us) + b).ln();
        let rhs = -lambda + k * ln_lambda - ln_gamma(k + 1.0);
        if lhs <= rhs {
            return k as u64;
        }
    }
}
