//! Small, obviously right estimators for testing the plumbing.

use kindling_classic::{ClassicError, Classifier, Persist, PredictProba, Regressor, Supervised, Transformer};
use kindling_tensor::safetensors::StateDict;
use kindling_tensor::Tensor;

/// The shape checks every estimator makes, with the messages the convention asks for.
pub fn check_fit(name: &str, x: &Tensor<f64>, targets: usize) {
    assert!(x.shape()[0] == targets, "{name}::fit: x has {} rows but y has {targets} values", x.shape()[0]);
}

pub fn check_predict(name: &str, x: &Tensor<f64>, fitted: usize) {
    assert!(x.shape()[1] == fitted, "{name}::predict: fitted on {fitted} features but x has {}", x.shape()[1]);
}

/// Rows of `x` as vectors.
pub fn rows(x: &Tensor<f64>) -> Vec<Vec<f64>> {
    let d = x.shape()[1];
    x.to_vec().chunks(d).map(|r| r.to_vec()).collect()
}

/// Predicts the class whose training mean is nearest (squared Euclidean distance).
#[derive(Clone, Debug, Default)]
pub struct NearestCentroid {
    classes: Vec<i64>,
    centroids: Vec<Vec<f64>>,
}

impl NearestCentroid {
    fn distances(&self, row: &[f64]) -> Vec<f64> {
        self.centroids.iter().map(|c| c.iter().zip(row).map(|(a, b)| (a - b) * (a - b)).sum()).collect()
    }
}

impl Supervised for NearestCentroid {
    type Target = i64;

    fn name(&self) -> &'static str {
        "NearestCentroid"
    }

    fn fit(&mut self, x: &Tensor<f64>, y: &[i64]) -> Result<(), ClassicError> {
        check_fit("NearestCentroid", x, y.len());
        let mut classes = y.to_vec();
        classes.sort_unstable();
        classes.dedup();
        if classes.len() < 2 {
            return Err(ClassicError::data("NearestCentroid", "needs at least two classes in y"));
        }
        let data = rows(x);
        self.centroids = classes
            .iter()
            .map(|&c| {
                let members: Vec<&Vec<f64>> = data.iter().zip(y).filter(|(_, &l)| l == c).map(|(r, _)| r).collect();
                (0..x.shape()[1]).map(|j| members.iter().map(|r| r[j]).sum::<f64>() / members.len() as f64).collect()
            })
            .collect();
        self.classes = classes;
        Ok(())
    }

    fn predict(&self, x: &Tensor<f64>) -> Vec<i64> {
        assert!(!self.classes.is_empty(), "NearestCentroid::predict: not fitted");
        check_predict("NearestCentroid", x, self.centroids[0].len());
        rows(x)
            .iter()
            .map(|r| {
                let d = self.distances(r);
                let best = (0..d.len()).min_by(|&a, &b| d[a].total_cmp(&d[b])).unwrap();
                self.classes[best]
            })
            .collect()
    }
}

impl Classifier for NearestCentroid {
    fn classes(&self) -> &[i64] {
        &self.classes
    }
}

/// Softmax of the negative squared distances.
impl PredictProba for NearestCentroid {
    fn predict_proba(&self, x: &Tensor<f64>) -> Tensor<f64> {
        let k = self.classes.len();
        let mut out = Vec::new();
        for r in rows(x) {
            let d = self.distances(&r);
            let m = d.iter().cloned().fold(f64::INFINITY, f64::min);
            let e: Vec<f64> = d.iter().map(|v| (m - v).exp()).collect();
            let s: f64 = e.iter().sum();
            out.extend(e.iter().map(|v| v / s));
        }
        let n = out.len() / k;
        Tensor::from_vec(out, [n, k])
    }
}

impl Persist for NearestCentroid {
    const KIND: &'static str = "NearestCentroid";

    fn to_state(&self) -> StateDict {
        assert!(!self.classes.is_empty(), "NearestCentroid::to_state: not fitted");
        let (k, d) = (self.classes.len(), self.centroids[0].len());
        let mut state = StateDict::new();
        state.insert("classes", Tensor::from_vec(self.classes.clone(), [k]));
        state.insert("centroids", Tensor::from_vec(self.centroids.concat(), [k, d]));
        state
    }

    fn from_state(state: &StateDict) -> Result<Self, String> {
        let classes = state.get("classes").ok_or("no \"classes\" tensor")?.cast::<i64>().to_vec();
        let centroids = state.get("centroids").ok_or("no \"centroids\" tensor")?.cast::<f64>();
        let d = centroids.shape()[1];
        Ok(NearestCentroid { classes, centroids: centroids.to_vec().chunks(d).map(|c| c.to_vec()).collect() })
    }
}

/// Predicts the mean of the training targets; fails on a NaN target.
#[derive(Clone, Debug, Default)]
pub struct MeanRegressor {
    pub mean: Option<f64>,
    pub features: usize,
}

impl Supervised for MeanRegressor {
    type Target = f64;

    fn name(&self) -> &'static str {
        "MeanRegressor"
    }

    fn fit(&mut self, x: &Tensor<f64>, y: &[f64]) -> Result<(), ClassicError> {
        check_fit("MeanRegressor", x, y.len());
        self.features = x.shape()[1];
        if y.iter().any(|v| v.is_nan()) {
            return Err(ClassicError::data("MeanRegressor", "y holds a NaN; drop or impute it"));
        }
        self.mean = Some(y.iter().sum::<f64>() / y.len() as f64);
        Ok(())
    }

    fn predict(&self, x: &Tensor<f64>) -> Vec<f64> {
        let mean = self.mean.expect("MeanRegressor::predict: not fitted");
        check_predict("MeanRegressor", x, self.features);
        vec![mean; x.shape()[0]]
    }
}

impl Regressor for MeanRegressor {}

/// Least squares on one feature (slope and intercept), in closed form.
#[derive(Clone, Debug, Default)]
pub struct LineRegressor {
    pub line: Option<(f64, f64)>,
}

impl Supervised for LineRegressor {
    type Target = f64;

    fn name(&self) -> &'static str {
        "LineRegressor"
    }

    fn fit(&mut self, x: &Tensor<f64>, y: &[f64]) -> Result<(), ClassicError> {
        let xs: Vec<f64> = x.to_vec().iter().step_by(x.shape()[1]).copied().collect();
        let n = xs.len() as f64;
        let (mx, my) = (xs.iter().sum::<f64>() / n, y.iter().sum::<f64>() / n);
        let sxy: f64 = xs.iter().zip(y).map(|(a, b)| (a - mx) * (b - my)).sum();
        let sxx: f64 = xs.iter().map(|a| (a - mx) * (a - mx)).sum();
        if sxx == 0.0 {
            return Err(ClassicError::data("LineRegressor", "x is constant; a slope is undefined"));
        }
        let slope = sxy / sxx;
        self.line = Some((slope, my - slope * mx));
        Ok(())
    }

    fn predict(&self, x: &Tensor<f64>) -> Vec<f64> {
        let (slope, intercept) = self.line.expect("LineRegressor::predict: not fitted");
        x.to_vec().iter().step_by(x.shape()[1]).map(|v| slope * v + intercept).collect()
    }
}

impl Regressor for LineRegressor {}

/// Adds a constant learned at fit time (the column means' sum) to every value: a step whose
/// output depends on what it was fitted on.
#[derive(Clone, Debug, Default)]
pub struct ShiftByTrainingMean {
    pub shift: Option<f64>,
}

impl Transformer for ShiftByTrainingMean {
    fn name(&self) -> &'static str {
        "ShiftByTrainingMean"
    }

    fn fit(&mut self, x: &Tensor<f64>) -> Result<(), ClassicError> {
        let v = x.to_vec();
        self.shift = Some(v.iter().sum::<f64>() / v.len() as f64);
        Ok(())
    }

    fn transform(&self, x: &Tensor<f64>) -> Tensor<f64> {
        let s = self.shift.expect("ShiftByTrainingMean::transform: not fitted");
        Tensor::from_vec(x.to_vec().iter().map(|v| v - s).collect(), x.shape().to_vec())
    }
}

/// Three well-separated blobs in 2-D, `per_class` points each, labels 0, 1, 2.
pub fn blobs(per_class: usize) -> (Tensor<f64>, Vec<i64>) {
    let centres = [(0.0, 0.0), (10.0, 0.0), (0.0, 10.0)];
    let (mut x, mut y) = (Vec::new(), Vec::new());
    for (label, (cx, cy)) in centres.iter().enumerate() {
        for i in 0..per_class {
            let t = i as f64;
            x.push(cx + (t * 0.7).sin());
            x.push(cy + (t * 1.3).cos());
            y.push(label as i64);
        }
    }
    let n = y.len();
    (Tensor::from_vec(x, [n, 2]), y)
}
