//! A small L-BFGS for smooth convex objectives, and its OWL-QN extension for an added
//! weighted L1 term `Σ λ_j|x_j|` (Andrew and Gao 2007): what [`super::LogisticRegression`]
//! runs.
//!
//! L-BFGS keeps the last `memory` steps `s = x⁺ − x` and gradient changes `y = g⁺ − g`, and
//! turns them into an approximate inverse Hessian applied by the two-loop recursion (Nocedal
//! and Wright, algorithm 7.4). OWL-QN replaces the gradient by the L1 term's pseudo-gradient
//! (the steepest-descent direction of the non-smooth objective), keeps each step inside the
//! orthant the pseudo-gradient points to, and clips coordinates that would cross zero to
//! exactly zero: that is how L1 weights become exact zeros. With all `λ_j = 0` it is plain
//! L-BFGS. The line search backtracks from the unit step until the Armijo condition holds.

/// When to stop.
#[derive(Clone, Copy, Debug)]
pub(crate) struct LbfgsOptions {
    /// Most iterations (one direction and line search each).
    pub max_iter: usize,
    /// Stop when the largest entry of the (pseudo-)gradient is at most this (scipy's `gtol`).
    pub gtol: f64,
    /// Stop when one step improves the objective by at most this, relative (scipy's `ftol`).
    pub ftol: f64,
    /// How many step pairs to remember.
    pub memory: usize,
}

/// Where the minimiser stopped.
#[derive(Clone, Debug)]
pub(crate) struct LbfgsResult {
    pub x: Vec<f64>,
    /// The objective there, L1 term included.
    pub value: f64,
    pub iterations: usize,
    pub converged: bool,
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// The steepest-descent direction's negative for `f + Σλ|x|`: the gradient plus the L1
/// term's subgradient that is smallest in magnitude (zero where 0 lies in the subdifferential).
fn pseudo_gradient(x: &[f64], g: &[f64], l1: &[f64], out: &mut [f64]) {
    for j in 0..x.len() {
        let lam = l1[j];
        out[j] = if lam == 0.0 {
            g[j]
        } else if x[j] > 0.0 {
            g[j] + lam
        } else if x[j] < 0.0 {
            g[j] - lam
        } else if g[j] + lam < 0.0 {
            g[j] + lam
        } else if g[j] - lam > 0.0 {
            g[j] - lam
        } else {
            0.0
        };
    }
}

fn l1_term(x: &[f64], l1: &[f64]) -> f64 {
    x.iter().zip(l1).map(|(v, lam)| lam * v.abs()).sum()
}

/// Minimises `f(x) + Σ l1[j]·|x[j]|` from `x`. `value_and_gradient(x, g)` returns `f(x)` and
/// writes its gradient into `g`.
pub(crate) fn minimize(
    mut value_and_gradient: impl FnMut(&[f64], &mut [f64]) -> f64,
    mut x: Vec<f64>,
    l1: &[f64],
    options: LbfgsOptions,
) -> LbfgsResult {
    let d = x.len();
    assert_eq!(l1.len(), d, "lbfgs: {} L1 weights for {d} parameters", l1.len());
    let mut g = vec![0.0; d];
    let mut value = value_and_gradient(&x, &mut g) + l1_term(&x, l1);
    let mut pg = vec![0.0; d];
    pseudo_gradient(&x, &g, l1, &mut pg);
    let (mut history_s, mut history_y, mut history_rho): (Vec<Vec<f64>>, Vec<Vec<f64>>, Vec<f64>) =
        (Vec::new(), Vec::new(), Vec::new());
    let (mut x_new, mut g_new, mut direction) = (vec![0.0; d], vec![0.0; d], vec![0.0; d]);
    let mut alpha = vec![0.0; options.memory];
    for iteration in 0..options.max_iter {
        let pg_max = pg.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        if pg_max <= options.gtol {
            return LbfgsResult { x, value, iterations: iteration, converged: true };
        }
        // Two-loop recursion: direction = −H·pg.
        direction.iter_mut().zip(&pg).for_each(|(q, p)| *q = *p);
        let m = history_s.len();
        for i in (0..m).rev() {
            alpha[i] = history_rho[i] * dot(&history_s[i], &direction);
            direction.iter_mut().zip(&history_y[i]).for_each(|(q, y)| *q -= alpha[i] * y);
        }
        let gamma = if m > 0 { 1.0 / (history_rho[m - 1] * dot(&history_y[m - 1], &history_y[m - 1])) } else { 1.0 };
        direction.iter_mut().for_each(|q| *q *= gamma);
        for i in 0..m {
            let beta = history_rho[i] * dot(&history_y[i], &direction);
            direction.iter_mut().zip(&history_s[i]).for_each(|(r, s)| *r += (alpha[i] - beta) * s);
        }
        direction.iter_mut().for_each(|q| *q = -*q);
        // OWL-QN: keep only the components that descend along the pseudo-gradient.
        for j in 0..d {
            if l1[j] != 0.0 && direction[j] * pg[j] >= 0.0 {
                direction[j] = 0.0;
            }
        }
        if dot(&direction, &pg) >= 0.0 {
            // The curvature pairs went stale: restart from steepest descent.
            history_s.clear();
            history_y.clear();
            history_rho.clear();
            direction.iter_mut().zip(&pg).for_each(|(q, p)| *q = -p);
        }
        // First step: scaled so it moves by about 1; afterwards the quasi-Newton step is 1.
        let mut step = if m == 0 { (1.0 / pg.iter().map(|v| v.abs()).sum::<f64>()).min(1.0) } else { 1.0 };
        let mut accepted = false;
        let mut value_new = value;
        for _ in 0..50 {
            for j in 0..d {
                let mut v = x[j] + step * direction[j];
                // Stay in the orthant of x (or of −pg where x is zero).
                if l1[j] != 0.0 {
                    let orthant = if x[j] != 0.0 { x[j].signum() } else { -pg[j].signum() };
                    if v * orthant <= 0.0 {
                        v = 0.0;
                    }
                }
                x_new[j] = v;
            }
            value_new = value_and_gradient(&x_new, &mut g_new) + l1_term(&x_new, l1);
            let moved: f64 = (0..d).map(|j| (x_new[j] - x[j]) * pg[j]).sum();
            if value_new <= value + 1e-4 * moved {
                accepted = true;
                break;
            }
            step *= 0.5;
        }
        if !accepted {
            return LbfgsResult { x, value, iterations: iteration + 1, converged: false };
        }
        let s: Vec<f64> = x_new.iter().zip(&x).map(|(a, b)| a - b).collect();
        let y: Vec<f64> = g_new.iter().zip(&g).map(|(a, b)| a - b).collect();
        let sy = dot(&s, &y);
        if sy > 1e-10 * dot(&y, &y).max(f64::MIN_POSITIVE) {
            if history_s.len() == options.memory {
                history_s.remove(0);
                history_y.remove(0);
                history_rho.remove(0);
            }
            history_s.push(s);
            history_y.push(y);
            history_rho.push(1.0 / sy);
        }
        let improvement = value - value_new;
        std::mem::swap(&mut x, &mut x_new);
        std::mem::swap(&mut g, &mut g_new);
        value = value_new;
        pseudo_gradient(&x, &g, l1, &mut pg);
        if improvement <= options.ftol * value.abs().max(value_new.abs()).max(1.0) {
            let pg_max = pg.iter().fold(0.0f64, |m, v| m.max(v.abs()));
            return LbfgsResult { x, value, iterations: iteration + 1, converged: pg_max <= options.gtol };
        }
    }
    LbfgsResult { x, value, iterations: options.max_iter, converged: false }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPTIONS: LbfgsOptions = LbfgsOptions { max_iter: 500, gtol: 1e-10, ftol: 0.0, memory: 10 };

    /// The Rosenbrock valley: minimum 0 at (1, 1), reached only by following a curved floor.
    #[test]
    fn finds_the_rosenbrock_minimum() {
        let f = |x: &[f64], g: &mut [f64]| {
            let (a, b) = (x[0], x[1]);
            g[0] = -2.0 * (1.0 - a) - 400.0 * a * (b - a * a);
            g[1] = 200.0 * (b - a * a);
            (1.0 - a).powi(2) + 100.0 * (b - a * a).powi(2)
        };
        let result = minimize(f, vec![-1.2, 1.0], &[0.0, 0.0], OPTIONS);
        assert!(result.converged, "{result:?}");
        assert!((result.x[0] - 1.0).abs() < 1e-8 && (result.x[1] - 1.0).abs() < 1e-8, "{result:?}");
    }

    /// ½(x − c)² + λ|x| per coordinate is minimised by the soft threshold S(c, λ).
    #[test]
    fn owlqn_reaches_the_soft_threshold() {
        let c = [3.0, -0.5, 0.2, -2.0, 0.0];
        let lam = [1.0, 1.0, 0.0, 0.5, 1.0];
        let f = |x: &[f64], g: &mut [f64]| {
            (0..5).for_each(|j| g[j] = (j as f64 + 1.0) * (x[j] - c[j]));
            (0..5).map(|j| 0.5 * (j as f64 + 1.0) * (x[j] - c[j]).powi(2)).sum()
        };
        let result = minimize(f, vec![0.0; 5], &lam, OPTIONS);
        for j in 0..5 {
            let h = j as f64 + 1.0;
            let want = c[j].signum() * (c[j].abs() - lam[j] / h).max(0.0);
            assert!((result.x[j] - want).abs() < 1e-9, "coordinate {j}: {} vs {want}", result.x[j]);
        }
        assert_eq!(result.x[1], 0.0, "an L1 zero is exact");
    }
}
