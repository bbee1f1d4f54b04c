//! Fitting an [`Svc`]: checks, gamma, the binary problems, and the support vectors gathered
//! from their solutions.

use super::kernel::KernelFn;
use super::svc::{solve_binary, SvcFit, NAME};
use super::{Gamma, Kernel, MultiClass, Svc};
use crate::input;
use crate::ClassicError;
use kindling_tensor::Tensor;

/// Checks the hyperparameters, as `Err`s naming the one that is wrong.
fn check_params(svc: &Svc) -> Result<(), ClassicError> {
    let bad = |name, reason: String| Err(ClassicError::param(NAME, name, reason));
    if !(svc.c > 0.0 && svc.c.is_finite()) {
        return bad("c", format!("must be positive and finite, got {}", svc.c));
    }
    if !(svc.tol > 0.0 && svc.tol.is_finite()) {
        return bad("tol", format!("must be positive, got {}", svc.tol));
    }
    if svc.cache_mb.is_nan() || svc.cache_mb <= 0.0 {
        return bad("cache_mb", format!("must be positive, got {}", svc.cache_mb));
    }
    if let Gamma::Value(g) = svc.gamma {
        if !(g > 0.0 && g.is_finite()) {
            return bad("gamma", format!("must be positive, got {g}; or use Gamma::Scale or Gamma::Auto"));
        }
    }
    if let Kernel::Poly { degree: 0, .. } = svc.kernel {
        return bad("degree", "must be at least 1 for Kernel::Poly".into());
    }
    Ok(())
}

/// The gamma to use: scikit-learn's `scale` is 1 / (features · Var(x)) over all entries.
fn resolve_gamma(gamma: Gamma, x: &[f64], dims: usize) -> f64 {
    match gamma {
        Gamma::Value(g) => g,
        Gamma::Auto => 1.0 / dims as f64,
        Gamma::Scale => {
            let n = x.len() as f64;
            let mean = x.iter().sum::<f64>() / n;
            let var = x.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n;
            if var > 0.0 {
                1.0 / (dims as f64 * var)
            } else {
                1.0
            }
        }
    }
}

/// One binary problem's rows, their coefficients yα, its intercept −rho, iterations and dual
/// objective.
type Solved = (Vec<usize>, Vec<f64>, f64, usize, f64);

pub(super) fn fit(svc: &Svc, x: &Tensor<f64>, y: &[i64]) -> Result<SvcFit, ClassicError> {
    let op = format!("{NAME}::fit");
    let (values, rows, dims) = input::matrix(&op, x);
    input::check_targets(&op, rows, y.len());
    check_params(svc)?;
    input::check_not_empty(NAME, rows)?;
    if dims == 0 {
        return Err(ClassicError::data(NAME, "x has no features; an SVM needs at least one column"));
    }
    input::check_finite(NAME, &values, dims)?;
    let (classes, codes) = input::encode_labels(y);
    let k = classes.len();
    if k < 2 {
        return Err(ClassicError::data(
            NAME,
            format!("y holds only one class ({}); an SVM needs samples of at least two classes", classes[0]),
        ));
    }
    let kernel = KernelFn { kernel: svc.kernel, gamma: resolve_gamma(svc.gamma, &values, dims) };
    // Each class's rows in training order (libsvm groups the samples so).
    let mut members: Vec<Vec<usize>> = vec![Vec::new(); k];
    for (i, &c) in codes.iter().enumerate() {
        members[c].push(i);
    }
    // Each problem: the rows it uses and their solution.
    let mut problems: Vec<Solved> = Vec::new();
    let mut converged = true;
    let mut run = |problem_rows: Vec<usize>, labels: Vec<f64>| {
        let solution = solve_binary(svc, kernel, &values, dims, &problem_rows, &labels);
        let coef: Vec<f64> = solution.alpha.iter().zip(&labels).map(|(a, y)| a * y).collect();
        converged &= solution.converged;
        problems.push((problem_rows, coef, -solution.rho, solution.iterations, solution.objective));
    };
    if svc.multi_class == MultiClass::OneVsRest && k > 2 {
        for c in 0..k {
            let labels = codes.iter().map(|&code| if code == c { 1.0 } else { -1.0 }).collect();
            run((0..rows).collect(), labels);
        }
    } else {
        for a in 0..k {
            for b in a + 1..k {
                let problem_rows = [members[a].as_slice(), members[b].as_slice()].concat();
                let labels = problem_rows.iter().map(|&r| if codes[r] == a { 1.0 } else { -1.0 }).collect();
                run(problem_rows, labels);
            }
        }
    }
    // A support vector is a row with a non-zero coefficient in some problem.
    let count = problems.len();
    let mut dense = vec![0.0; rows * count];
    for (p, (problem_rows, coef, ..)) in problems.iter().enumerate() {
        for (&r, &c) in problem_rows.iter().zip(coef) {
            dense[r * count + p] = c;
        }
    }
    let is_support = |r: usize| dense[r * count..(r + 1) * count].iter().any(|&c| c != 0.0);
    let mut support = Vec::new();
    let mut n_support = vec![0; k];
    for (c, rows_of_class) in members.iter().enumerate() {
        for &r in rows_of_class.iter().filter(|&&r| is_support(r)) {
            support.push(r);
            n_support[c] += 1;
        }
    }
    let vectors = support.iter().flat_map(|&r| values[r * dims..(r + 1) * dims].iter().copied()).collect();
    let coef = support.iter().flat_map(|&r| dense[r * count..(r + 1) * count].iter().copied()).collect();
    Ok(SvcFit {
        classes,
        kernel,
        dims,
        support,
        n_support,
        vectors,
        coef,
        intercept: problems.iter().map(|p| p.2).collect(),
        iterations: problems.iter().map(|p| p.3).collect(),
        objectives: problems.iter().map(|p| p.4).collect(),
        converged,
    })
}
