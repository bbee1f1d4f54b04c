//! Saving and loading an [`Svc`]: the support vectors and coefficients as tensors, the
//! hyperparameters and the resolved kernel as metadata.

use super::kernel::KernelFn;
use super::svc::{SvcFit, NAME};
use super::{Gamma, Kernel, MultiClass, Svc};
use crate::input::{state_f64, state_i64, state_meta};
use crate::Persist;
use kindling_tensor::safetensors::StateDict;
use kindling_tensor::Tensor;

fn kernel_text(kernel: Kernel) -> String {
    match kernel {
        Kernel::Linear => "linear".into(),
        Kernel::Poly { degree, coef0 } => format!("poly {degree} {coef0}"),
        Kernel::Rbf => "rbf".into(),
        Kernel::Sigmoid { coef0 } => format!("sigmoid {coef0}"),
    }
}

fn parse_kernel(text: &str) -> Result<Kernel, String> {
    let parts: Vec<&str> = text.split(' ').collect();
    let number = |i: usize| -> Result<f64, String> {
        parts.get(i).and_then(|p| p.parse().ok()).ok_or_else(|| format!("the kernel {text:?} does not parse"))
    };
    match parts[0] {
        "linear" => Ok(Kernel::Linear),
        "rbf" => Ok(Kernel::Rbf),
        "poly" => Ok(Kernel::Poly { degree: number(1)? as u32, coef0: number(2)? }),
        "sigmoid" => Ok(Kernel::Sigmoid { coef0: number(1)? }),
        _ => Err(format!("the kernel {text:?} is unknown")),
    }
}

fn gamma_text(gamma: Gamma) -> String {
    match gamma {
        Gamma::Scale => "scale".into(),
        Gamma::Auto => "auto".into(),
        Gamma::Value(g) => g.to_string(),
    }
}

fn parse_gamma(text: &str) -> Result<Gamma, String> {
    match text {
        "scale" => Ok(Gamma::Scale),
        "auto" => Ok(Gamma::Auto),
        _ => text.parse().map(Gamma::Value).map_err(|_| format!("the gamma {text:?} does not parse")),
    }
}

fn usizes(values: &[usize]) -> Tensor<i64> {
    Tensor::from_vec(values.iter().map(|&v| v as i64).collect(), [values.len()])
}

fn to_usizes(values: Vec<i64>) -> Result<Vec<usize>, String> {
    values.into_iter().map(|v| usize::try_from(v).map_err(|_| format!("a count or index is negative ({v})"))).collect()
}

impl Persist for Svc {
    const KIND: &'static str = NAME;

    fn to_state(&self) -> StateDict {
        let fit = self.fitted("to_state");
        let mut state = StateDict::new();
        let (n_sv, problems) = (fit.support.len(), fit.intercept.len());
        state.insert("support_vectors", Tensor::from_vec(fit.vectors.clone(), [n_sv, fit.dims]));
        state.insert("coef", Tensor::from_vec(fit.coef.clone(), [n_sv, problems]));
        state.insert("intercept", Tensor::from_vec(fit.intercept.clone(), [problems]));
        state.insert("objectives", Tensor::from_vec(fit.objectives.clone(), [problems]));
        state.insert("iterations", usizes(&fit.iterations));
        state.insert("support", usizes(&fit.support));
        state.insert("n_support", usizes(&fit.n_support));
        state.insert("classes", Tensor::from_vec(fit.classes.clone(), [fit.classes.len()]));
        state.set_metadata("c", self.c.to_string());
        state.set_metadata("kernel", kernel_text(self.kernel));
        state.set_metadata("gamma", gamma_text(self.gamma));
        state.set_metadata("gamma_value", fit.kernel.gamma.to_string());
        state.set_metadata("tol", self.tol.to_string());
        state.set_metadata("converged", fit.converged.to_string());
        state.set_metadata("shrinking", self.shrinking.to_string());
        state.set_metadata("cache_mb", self.cache_mb.to_string());
        state.set_metadata("max_iter", self.max_iter.map_or("none".into(), |m| m.to_string()));
        let multi = if self.multi_class == MultiClass::OneVsOne { "ovo" } else { "ovr" };
        state.set_metadata("multi_class", multi);
        state
    }

    fn from_state(state: &StateDict) -> Result<Self, String> {
        let text = |key: &str| state_meta::<String>(state, key);
        let kernel = parse_kernel(&text("kernel")?)?;
        let max_iter = match text("max_iter")?.as_str() {
            "none" => None,
            other => Some(other.parse().map_err(|_| format!("the max_iter {other:?} does not parse"))?),
        };
        let multi_class = match text("multi_class")?.as_str() {
            "ovo" => MultiClass::OneVsOne,
            "ovr" => MultiClass::OneVsRest,
            other => return Err(format!("the multi_class {other:?} is unknown")),
        };
        let vectors = state_f64(state, "support_vectors")?;
        let coef = state_f64(state, "coef")?;
        let intercept = state_f64(state, "intercept")?.to_vec();
        let support = to_usizes(state_i64(state, "support")?)?;
        let n_support = to_usizes(state_i64(state, "n_support")?)?;
        let classes = state_i64(state, "classes")?;
        if vectors.rank() != 2 || vectors.shape()[0] != support.len() {
            return Err("support_vectors and support disagree on the number of vectors".into());
        }
        if coef.shape() != [support.len(), intercept.len()] || n_support.iter().sum::<usize>() != support.len() {
            return Err("coef, intercept and n_support disagree in shape".into());
        }
        let fit = SvcFit {
            kernel: KernelFn { kernel, gamma: state_meta(state, "gamma_value")? },
            dims: vectors.shape()[1],
            vectors: vectors.to_vec(),
            coef: coef.to_vec(),
            objectives: state_f64(state, "objectives")?.to_vec(),
            iterations: to_usizes(state_i64(state, "iterations")?)?,
            converged: state_meta(state, "converged")?,
            intercept,
            support,
            n_support,
            classes,
        };
        Ok(Svc {
            c: state_meta(state, "c")?,
            kernel,
            gamma: parse_gamma(&text("gamma")?)?,
            tol: state_meta(state, "tol")?,
            cache_mb: state_meta(state, "cache_mb")?,
            max_iter,
            multi_class,
            shrinking: state_meta(state, "shrinking")?,
            fit: Some(fit),
        })
    }
}
