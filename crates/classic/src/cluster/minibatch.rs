//! [`MiniBatchKMeans`]: k-means on random mini-batches, as scikit-learn's `MiniBatchKMeans`.
//!
//! Each step draws `batch_size` rows (with replacement), assigns them to their nearest center
//! and moves each center toward the mean of its new rows with a per-center learning rate
//! 1 / (rows seen so far): the center stays the running mean of every row ever assigned to it.
//! Centers that attract almost nothing (fewer than `reassignment_ratio` × the busiest center's
//! count) are moved onto random rows of the batch now and then, so none stays stranded. The
//! run stops after `max_iter` passes over the data, or earlier when an exponentially weighted
//! average of the batch inertia has not improved for `max_no_improvement` steps.

use super::kmeans::{column_means, Init, KMeans};
use super::kmeans_lloyd::{self as lloyd, Rows};
use crate::input;
use crate::{ClassicError, Clusterer, Persist};
use kindling_tensor::safetensors::StateDict;
use kindling_tensor::{Rng, Tensor};

#[derive(Clone, Debug)]
struct Fitted {
    centers: Tensor<f64>,
    labels: Vec<usize>,
    inertia: f64,
    n_steps: usize,
}

/// k-means by mini-batches.
///
/// ```
/// use kindling_classic::cluster::MiniBatchKMeans;
/// use kindling_classic::Clusterer;
/// use kindling_tensor::Tensor;
///
/// let x = Tensor::from_vec(vec![0.0, 0.0, 0.2, 0.1, 10.0, 10.0, 10.1, 9.9], [4, 2]);
/// let mut model = MiniBatchKMeans::new(2).batch_size(4).seed(1);
/// let labels = model.fit_predict(&x).unwrap();
/// assert_eq!(labels[0], labels[1]);
/// assert_ne!(labels[0], labels[3]);
/// ```
#[derive(Clone, Debug)]
pub struct MiniBatchKMeans {
    k: usize,
    batch_size: usize,
    max_iter: usize,
    n_init: usize,
    init: Init,
    reassignment_ratio: f64,
    max_no_improvement: Option<usize>,
    seed: u64,
    fitted: Option<Fitted>,
}

impl MiniBatchKMeans {
    /// k clusters; batches of 1024, at most 100 passes, 3 initialisations (each k-means++ on a
    /// random subset of 3 × batch_size rows), reassignment ratio 0.01, early stop after 10
    /// steps without improvement, seed 0.
    pub fn new(k: usize) -> Self {
        MiniBatchKMeans {
            k,
            batch_size: 1024,
            max_iter: 100,
            n_init: 3,
            init: Init::KMeansPlusPlus,
            reassignment_ratio: 0.01,
            max_no_improvement: Some(10),
            seed: 0,
            fitted: None,
        }
    }

    /// Rows per step (at most the number of rows).
    pub fn batch_size(mut self, batch_size: usize) -> Self {
        self.batch_size = batch_size;
        self
    }

    /// The most passes over the data (steps = max_iter × rows / batch_size).
    pub fn max_iter(mut self, max_iter: usize) -> Self {
        self.max_iter = max_iter;
        self
    }

    /// Initialisations tried; the one with the lowest inertia on a held subset is kept.
    pub fn n_init(mut self, n_init: usize) -> Self {
        self.n_init = n_init;
        self
    }

    /// How the first centers are chosen.
    pub fn init(mut self, init: Init) -> Self {
        self.init = init;
        self
    }

    /// Centers with fewer rows than this fraction of the busiest one's are moved onto random
    /// rows (0 turns reassignment off).
    pub fn reassignment_ratio(mut self, ratio: f64) -> Self {
        self.reassignment_ratio = ratio;
        self
    }

    /// Steps without improvement of the smoothed batch inertia before stopping (`None`: never).
    pub fn max_no_improvement(mut self, steps: Option<usize>) -> Self {
        self.max_no_improvement = steps;
        self
    }

    /// The seed of every random choice.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    fn state(&self, op: &str) -> &Fitted {
        self.fitted.as_ref().unwrap_or_else(|| panic!("MiniBatchKMeans::{op}: the model is not fitted; call fit first"))
    }

    /// The centers, `[k, features]`.
    pub fn centers(&self) -> &Tensor<f64> {
        &self.state("centers").centers
    }

    /// Σ ‖xᵢ − c_{labelᵢ}‖² over all training rows with the final centers.
    pub fn inertia(&self) -> f64 {
        self.state("inertia").inertia
    }

    /// Mini-batch steps taken.
    pub fn n_steps(&self) -> usize {
        self.state("n_steps").n_steps
    }

    /// The nearest center of each row of `x`.
    pub fn predict(&self, x: &Tensor<f64>) -> Vec<usize> {
        let fitted = self.state("predict");
        let d = fitted.centers.shape()[1];
        let (values, n, cols) = input::matrix("MiniBatchKMeans::predict", x);
        input::check_features("MiniBatchKMeans::predict", d, cols);
        lloyd::nearest(&Rows::new(values, n, d), fitted.centers.as_slice().expect("contiguous"), self.k).0
    }

    fn subset(rows: &Rows, picked: &[usize]) -> Rows {
        let mut out = Rows::new(Vec::new(), 0, rows.d);
        out.refill(rows, picked);
        out
    }

    /// The initial centers: the best of `n_init` starts, each drawn from its own random subset,
    /// judged by the inertia of one held subset (as scikit-learn).
    fn initial_centers(&self, rows: &Rows, mean: &[f64], rng: &mut Rng) -> Vec<f64> {
        let (n, d) = (rows.n, rows.d);
        let mut init_size = (3 * self.batch_size).min(n);
        if init_size < self.k {
            init_size = (3 * self.k).min(n);
        }
        let draw = |rng: &mut Rng| -> Vec<usize> { (0..init_size).map(|_| rng.below(n as u64) as usize).collect() };
        let held = Self::subset(rows, &draw(rng));
        let runs = if matches!(self.init, Init::Centers(_)) { 1 } else { self.n_init };
        let mut best: Option<(f64, Vec<f64>)> = None;
        for _ in 0..runs {
            let sample = Self::subset(rows, &draw(rng));
            let centers = match &self.init {
                Init::KMeansPlusPlus => lloyd::plus_plus(&sample, self.k, rng),
                Init::Random => lloyd::random_rows(&sample, self.k, rng),
                Init::Centers(c) => {
                    assert!(
                        c.shape() == [self.k, d],
                        "MiniBatchKMeans::fit: the initial centers have shape {:?} but k = {} clusters of x's {d} features need [{}, {d}]",
                        c.shape(),
                        self.k,
                        self.k
                    );
                    let mut c = c.contiguous().to_vec();
                    for center in c.chunks_mut(d.max(1)) {
                        center.iter_mut().zip(mean).for_each(|(v, m)| *v -= m);
                    }
                    c
                }
            };
            let (_, distances) = lloyd::nearest(&held, &centers, self.k);
            let inertia: f64 = distances.iter().sum();
            if best.as_ref().is_none_or(|(b, _)| inertia < *b) {
                best = Some((inertia, centers));
            }
        }
        best.expect("at least one start").1
    }
}

/// The running state of the early stop on the smoothed batch inertia.
struct Plateau {
    smoothed: Option<f64>,
    lowest: Option<f64>,
    without_improvement: usize,
}

impl Clusterer for MiniBatchKMeans {
    fn name(&self) -> &'static str {
        "MiniBatchKMeans"
    }

    fn fit(&mut self, x: &Tensor<f64>) -> Result<(), ClassicError> {
        let name = "MiniBatchKMeans";
        let (mut values, n, d) = KMeans::check_fit(name, x, self.k)?;
        if self.batch_size == 0 || self.n_init == 0 {
            return Err(ClassicError::param(name, "batch_size and n_init", "must be at least 1"));
        }
        let mean = column_means(&values, n, d);
        for row in values.chunks_mut(d.max(1)) {
            row.iter_mut().zip(&mean).for_each(|(v, m)| *v -= m);
        }
        let rows = Rows::new(values, n, d);
        let batch = self.batch_size.min(n);
        let mut rng = Rng::seed(self.seed);
        let mut centers = self.initial_centers(&rows, &mean, &mut rng);
        let mut counts = vec![0.0; self.k];
        let steps = (self.max_iter * n) / batch;
        let mut since_reassign = 0;
        let mut plateau = Plateau { smoothed: None, lowest: None, without_improvement: 0 };
        let mut taken = 0;
        let (mut picked, mut sample) = (vec![0; batch], Rows::new(Vec::new(), 0, d));
        for step in 0..steps {
            taken = step + 1;
            picked.iter_mut().for_each(|p| *p = rng.below(n as u64) as usize);
            sample.refill(&rows, &picked);
            let (labels, distances) = lloyd::nearest(&sample, &centers, self.k);
            // Reassign on the first step (no counts yet) and then every 10 passes' worth of rows.
            since_reassign += batch;
            let reassign = counts.contains(&0.0) || since_reassign >= 10 * n;
            if reassign {
                since_reassign = 0;
            }
            self.update(&sample, &labels, &mut centers, &mut counts);
            if reassign && self.reassignment_ratio > 0.0 {
                self.reassign_small(&sample, &mut centers, &mut counts, &mut rng);
            }
            let batch_inertia = distances.iter().sum::<f64>() / batch as f64;
            if self.converged(step, batch, n, batch_inertia, &mut plateau) {
                break;
            }
        }
        let (labels, _) = lloyd::nearest(&rows, &centers, self.k);
        let inertia = lloyd::inertia(&rows, &centers, &labels);
        for center in centers.chunks_mut(d.max(1)) {
            center.iter_mut().zip(&mean).for_each(|(v, m)| *v += m);
        }
        self.fitted = Some(Fitted { centers: Tensor::from_vec(centers, [self.k, d]), labels, inertia, n_steps: taken });
        Ok(())
    }

    fn labels(&self) -> &[usize] {
        &self.state("labels").labels
    }
}

impl MiniBatchKMeans {
    /// Each center becomes the running mean of all rows ever assigned to it.
    fn update(&self, sample: &Rows, labels: &[usize], centers: &mut [f64], counts: &mut [f64]) {
        let d = sample.d;
        let mut sums = vec![0.0; self.k * d];
        let mut added = vec![0.0; self.k];
        for (i, &c) in labels.iter().enumerate() {
            added[c] += 1.0;
            sums[c * d..(c + 1) * d].iter_mut().zip(sample.row(i)).for_each(|(s, v)| *s += v);
        }
        for c in 0..self.k {
            if added[c] > 0.0 {
                let total = counts[c] + added[c];
                for j in 0..d {
                    centers[c * d + j] = (centers[c * d + j] * counts[c] + sums[c * d + j]) / total;
                }
                counts[c] = total;
            }
        }
    }

    /// Moves the centers that attracted too few rows onto distinct random rows of the batch.
    fn reassign_small(&self, sample: &Rows, centers: &mut [f64], counts: &mut [f64], rng: &mut Rng) {
        let d = sample.d;
        let busiest = counts.iter().copied().fold(0.0, f64::max);
        let mut small: Vec<usize> = (0..self.k).filter(|&c| counts[c] < self.reassignment_ratio * busiest).collect();
        if small.is_empty() {
            return;
        }
        if 2 * small.len() > sample.n {
            // Never more than half the batch: the least used ones first.
            small.sort_by(|&a, &b| counts[a].total_cmp(&counts[b]).then(a.cmp(&b)));
            small.truncate(sample.n / 2);
        }
        let kept_min = (0..self.k).filter(|c| !small.contains(c)).map(|c| counts[c]).fold(f64::INFINITY, f64::min);
        let rows = rng.permutation(sample.n);
        for (&c, &i) in small.iter().zip(&rows) {
            centers[c * d..(c + 1) * d].copy_from_slice(sample.row(i));
            counts[c] = if kept_min.is_finite() { kept_min } else { 0.0 };
        }
    }

    /// scikit-learn's early stop: an exponentially weighted average of the per-row batch
    /// inertia (the first step, measured against the initial centers, is skipped).
    fn converged(&self, step: usize, batch: usize, n: usize, batch_inertia: f64, plateau: &mut Plateau) -> bool {
        if step == 0 {
            return false;
        }
        let alpha = (batch as f64 * 2.0 / (n as f64 + 1.0)).min(1.0);
        let smoothed = match plateau.smoothed {
            None => batch_inertia,
            Some(s) => s * (1.0 - alpha) + batch_inertia * alpha,
        };
        plateau.smoothed = Some(smoothed);
        if plateau.lowest.is_none_or(|low| smoothed < low) {
            plateau.lowest = Some(smoothed);
            plateau.without_improvement = 0;
        } else {
            plateau.without_improvement += 1;
        }
        self.max_no_improvement.is_some_and(|limit| plateau.without_improvement >= limit)
    }
}

impl Persist for MiniBatchKMeans {
    const KIND: &'static str = "MiniBatchKMeans";

    fn to_state(&self) -> StateDict {
        let fitted = self.state("to_state");
        let mut state = StateDict::new();
        state.insert("centers", fitted.centers.clone());
        let labels: Vec<i64> = fitted.labels.iter().map(|&l| l as i64).collect();
        let n = labels.len();
        state.insert("labels", Tensor::from_vec(labels, [n]));
        let init = match &self.init {
            Init::KMeansPlusPlus => "k-means++",
            Init::Random => "random",
            Init::Centers(c) => {
                state.insert("init_centers", c.contiguous());
                "centers"
            }
        };
        state.set_metadata("init", init);
        let patience = self.max_no_improvement.map_or("none".to_string(), |p| p.to_string());
        for (key, value) in [
            ("k", self.k.to_string()),
            ("batch_size", self.batch_size.to_string()),
            ("max_iter", self.max_iter.to_string()),
            ("n_init", self.n_init.to_string()),
            ("reassignment_ratio", format!("{:e}", self.reassignment_ratio)),
            ("max_no_improvement", patience),
            ("seed", self.seed.to_string()),
            ("inertia", format!("{:e}", fitted.inertia)),
            ("n_steps", fitted.n_steps.to_string()),
        ] {
            state.set_metadata(key, value);
        }
        state
    }

    fn from_state(state: &StateDict) -> Result<Self, String> {
        let mut model = MiniBatchKMeans::new(input::state_meta(state, "k")?)
            .batch_size(input::state_meta(state, "batch_size")?)
            .max_iter(input::state_meta(state, "max_iter")?)
            .n_init(input::state_meta(state, "n_init")?)
            .reassignment_ratio(input::state_meta(state, "reassignment_ratio")?)
            .seed(input::state_meta(state, "seed")?);
        model.max_no_improvement = match state.metadata().get("max_no_improvement").map(String::as_str) {
            Some("none") => None,
            _ => Some(input::state_meta(state, "max_no_improvement")?),
        };
        model.init = match state.metadata().get("init").map(String::as_str) {
            Some("k-means++") => Init::KMeansPlusPlus,
            Some("random") => Init::Random,
            Some("centers") => Init::Centers(input::state_f64(state, "init_centers")?),
            other => return Err(format!("unknown init {other:?}")),
        };
        let centers = input::state_f64(state, "centers")?.contiguous();
        if centers.rank() != 2 || centers.shape()[0] != model.k {
            return Err(format!("centers have shape {:?}, which does not fit k = {}", centers.shape(), model.k));
        }
        let labels = input::state_i64(state, "labels")?;
        if labels.iter().any(|&l| l < 0 || l as usize >= model.k) {
            return Err(format!("a label lies outside 0..{}", model.k));
        }
        model.fitted = Some(Fitted {
            centers,
            labels: labels.into_iter().map(|l| l as usize).collect(),
            inertia: input::state_meta(state, "inertia")?,
            n_steps: input::state_meta(state, "n_steps")?,
        });
        Ok(model)
    }
}
