//! [`PolynomialFeatures`]: every product of the input columns up to a degree, so that a linear
//! model can fit curves.

use super::{not_fitted, Table, Transform};
use kindling_tensor::{Float, Tensor};

/// Expands features into all their products up to a total degree: for one feature `x` and
/// degree 2, `[1, x, x²]`; for two features `a, b`, `[1, a, b, a², ab, b²]`.
///
/// Terms come by increasing degree, and within a degree in lexicographic order of the feature
/// indices. `include_bias(false)` drops the constant column; `interaction_only(true)` keeps only
/// products of distinct features (`[1, a, b, ab]`). A linear model on these features fits
/// polynomial curves.
#[derive(Clone, Debug)]
pub struct PolynomialFeatures {
    degree: usize,
    include_bias: bool,
    interaction_only: bool,
    terms: Option<(usize, Vec<Vec<usize>>)>,
}

impl PolynomialFeatures {
    /// All products up to `degree`, with the bias column. Panics if `degree == 0`.
    pub fn new(degree: usize) -> Self {
        assert!(degree >= 1, "PolynomialFeatures::new: degree must be at least 1");
        PolynomialFeatures { degree, include_bias: true, interaction_only: false, terms: None }
    }

    /// Whether to emit the constant column `1` first (default `true`).
    pub fn include_bias(mut self, on: bool) -> Self {
        self.include_bias = on;
        self
    }

    /// Whether to keep only products of distinct features (default `false`).
    pub fn interaction_only(mut self, on: bool) -> Self {
        self.interaction_only = on;
        self
    }

    /// The highest total power of a term.
    pub fn degree(&self) -> usize {
        self.degree
    }

    /// Whether the constant column comes first.
    pub fn has_bias(&self) -> bool {
        self.include_bias
    }

    /// Whether only products of distinct features are kept.
    pub fn is_interaction_only(&self) -> bool {
        self.interaction_only
    }

    /// The number of input columns seen by `fit` (`None` before).
    pub fn input_features(&self) -> Option<usize> {
        self.terms.as_ref().map(|(inputs, _)| *inputs)
    }

    /// The fitted terms, each as the list of input columns multiplied together (`[]` is the bias).
    pub fn terms(&self) -> Option<&[Vec<usize>]> {
        self.terms.as_ref().map(|(_, t)| t.as_slice())
    }

    /// Human-readable names of the output columns, for input columns named `inputs`
    /// (`["1", "a", "b", "a^2", "a b", "b^2"]`).
    pub fn feature_names(&self, inputs: &[&str]) -> Vec<String> {
        let (n, terms) = self.terms.as_ref().unwrap_or_else(|| not_fitted("PolynomialFeatures::feature_names"));
        assert_eq!(
            inputs.len(),
            *n,
            "PolynomialFeatures::feature_names: fitted on {n} columns, got {} names",
            inputs.len()
        );
        terms
            .iter()
            .map(|term| {
                if term.is_empty() {
                    return "1".to_string();
                }
                let mut parts = Vec::new();
                let mut i = 0;
                while i < term.len() {
                    let power = term[i..].iter().take_while(|&&c| c == term[i]).count();
                    parts.push(if power == 1 {
                        inputs[term[i]].to_string()
                    } else {
                        format!("{}^{power}", inputs[term[i]])
                    });
                    i += power;
                }
                parts.join(" ")
            })
            .collect()
    }
}

/// All non-decreasing index lists of length `len` over `0..n` (strictly increasing when
/// `distinct`), in lexicographic order.
fn combinations(n: usize, len: usize, distinct: bool) -> Vec<Vec<usize>> {
    fn extend(n: usize, len: usize, distinct: bool, start: usize, current: &mut Vec<usize>, out: &mut Vec<Vec<usize>>) {
        if current.len() == len {
            out.push(current.clone());
            return;
        }
        for i in start..n {
            current.push(i);
            extend(n, len, distinct, if distinct { i + 1 } else { i }, current, out);
            current.pop();
        }
    }
    let mut out = Vec::new();
    extend(n, len, distinct, 0, &mut Vec::new(), &mut out);
    out
}

impl Transform for PolynomialFeatures {
    fn fit<T: Float>(&mut self, x: &Tensor<T>) -> &mut Self {
        let t = Table::read("PolynomialFeatures::fit", x);
        let first = if self.include_bias { 0 } else { 1 };
        let terms = (first..=self.degree).flat_map(|deg| combinations(t.cols, deg, self.interaction_only)).collect();
        self.terms = Some((t.cols, terms));
        self
    }

    fn transform<T: Float>(&self, x: &Tensor<T>) -> Tensor<T> {
        let step = "PolynomialFeatures::transform";
        let (n, terms) = self.terms.as_ref().unwrap_or_else(|| not_fitted(step));
        let t = Table::read(step, x);
        t.check_cols(step, *n);
        let mut out = Vec::with_capacity(t.rows * terms.len());
        for r in 0..t.rows {
            for term in terms {
                out.push(T::from_f64(term.iter().map(|&c| t.at(r, c)).product()));
            }
        }
        Tensor::from_vec(out, [t.rows, terms.len()])
    }
}
