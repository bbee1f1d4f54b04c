//! The hand-written trainer: the per-pair updates of skip-gram and CBOW with negative
//! sampling, the sentence loops around them, and the Hogwild threads around those.
//!
//! Version catalogue (bench: `cargo bench -p kindling-sequence --bench word2vec -- --sg
//! --threads 1`; Tiny Shakespeare, skip-gram, dim 100, one thread, effective words/s as gensim
//! counts them, medians of 3 alternating runs on a shared 2-core machine, so ±20%):
//! - v1: [`dot`] with 16 independent partial sums, [`axpy`] as a plain zip, a 1000-cell
//!   sigmoid table as the original, alias-method noise draws; built for baseline x86-64
//!   (SSE2, 4 lanes): 0.59M words/s (gensim 4.4 on the same machine: about 0.3 to 0.45M).
//! - v2 (this file): the same sentence loop compiled a second time with AVX2 enabled (8 lanes)
//!   and picked at run time ([`train_sentence`]): 0.96M words/s.

use super::vocab::NoiseSampler;
use super::{Architecture, Word2VecConfig};
use kindling_tensor::Rng;
use std::marker::PhantomData;

/// Scores beyond ±`MAX_SCORE` saturate the sigmoid (word2vec.c's `MAX_EXP`).
pub(crate) const MAX_SCORE: f32 = 6.0;
const SIGMOID_CELLS: usize = 1000;

/// The logistic sigmoid on [-6, 6] in 1000 cells, each holding the value at its centre, and
/// exactly 0 or 1 outside. The original and gensim both use such a table: one load instead of
/// an `exp` per (word, target) pair, which would cost about as much as the 100-wide dot
/// product beside it. The error is at most 0.25 · 0.006 = 0.0015 (the slope times half a
/// cell), far below the noise of stochastic gradients with learning rate 0.025; and a score
/// beyond ±6 already has gradient factor below 0.0025.
pub struct SigmoidTable {
    cells: Vec<f32>,
}

impl SigmoidTable {
    /// Fills the table.
    pub fn new() -> SigmoidTable {
        let width = 2.0 * MAX_SCORE as f64 / SIGMOID_CELLS as f64;
        let cells = (0..SIGMOID_CELLS)
            .map(|i| {
                let x = -(MAX_SCORE as f64) + (i as f64 + 0.5) * width;
                (1.0 / (1.0 + (-x).exp())) as f32
            })
            .collect();
        SigmoidTable { cells }
    }

    /// σ(x) = 1 / (1 + e^-x), looked up.
    #[inline(always)]
    pub fn sigmoid(&self, x: f32) -> f32 {
        if x >= MAX_SCORE {
            1.0
        } else if x <= -MAX_SCORE {
            0.0
        } else {
            let cell = ((x + MAX_SCORE) * (SIGMOID_CELLS as f32 / (2.0 * MAX_SCORE))) as usize;
            self.cells[cell.min(SIGMOID_CELLS - 1)]
        }
    }
}

impl Default for SigmoidTable {
    fn default() -> Self {
        SigmoidTable::new()
    }
}

/// Σ a_i · b_i with 16 independent partial sums, so LLVM keeps two AVX2 (or four SSE)
/// registers of products in flight instead of one serial chain of additions.
#[inline(always)]
pub(crate) fn dot(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len(), "dot: lengths {} and {} differ", a.len(), b.len());
    let mut lanes = [0.0f32; 16];
    let (a_body, b_body) = (a.chunks_exact(16), b.chunks_exact(16));
    let (a_tail, b_tail) = (a_body.remainder(), b_body.remainder());
    for (x, y) in a_body.zip(b_body) {
        for l in 0..16 {
            lanes[l] += x[l] * y[l];
        }
    }
    let mut sum = 0.0;
    for (x, y) in a_tail.iter().zip(b_tail) {
        sum += x * y;
    }
    for l in 0..8 {
        lanes[l] += lanes[l + 8];
    }
    sum + lanes[..8].iter().sum::<f32>()
}

/// y += alpha · x. Every lane is independent, so this vectorises as written.
#[inline(always)]
pub(crate) fn axpy(alpha: f32, x: &[f32], y: &mut [f32]) {
    assert_eq!(x.len(), y.len(), "axpy: lengths {} and {} differ", x.len(), y.len());
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += alpha * xi;
    }
}

/// A `[rows, dim]` matrix that several threads update at once without locks (Hogwild).
///
/// Why the races are accepted: each update touches two rows out of thousands, so two threads
/// rarely write the same row at the same time, and when they do, one thread's small step is
/// partly lost or mixed with the other's. SGD tolerates that noise (Recht et al., 2011, the
/// "Hogwild!" paper; word2vec.c and gensim train exactly this way). Locks or atomics per
/// element would cost more than the arithmetic they guard. In Rust's memory model these
/// unsynchronised writes are still a data race, which is why handing out rows is `unsafe`
/// and lives only here; on the hardware we target a racing f32 store is a plain store, and a
/// racing load sees either the old or the new value of each element.
pub(crate) struct SharedMatrix<'a> {
    ptr: *mut f32,
    rows: usize,
    dim: usize,
    _data: PhantomData<&'a mut [f32]>,
}

// SAFETY: see the type's comment; the pointer stays valid for 'a, and every row handed out
// is in bounds.
unsafe impl Send for SharedMatrix<'_> {}
// SAFETY: as for Send: shared use is the accepted Hogwild race described above.
unsafe impl Sync for SharedMatrix<'_> {}

impl<'a> SharedMatrix<'a> {
    /// Borrows `data` (`rows · dim` values, row-major) for shared updates.
    pub(crate) fn new(data: &'a mut [f32], dim: usize) -> SharedMatrix<'a> {
        assert!(
            dim > 0 && data.len().is_multiple_of(dim),
            "SharedMatrix::new: {} values do not make rows of {dim}",
            data.len()
        );
        SharedMatrix { ptr: data.as_mut_ptr(), rows: data.len() / dim, dim, _data: PhantomData }
    }

    /// Row `i`, to read and update.
    ///
    /// # Safety
    /// Other threads may read and write the same row concurrently (the accepted Hogwild race
    /// above). Within one thread the caller must not hold two rows with the same `i` at once.
    #[inline(always)]
    #[allow(clippy::mut_from_ref)]
    pub(crate) unsafe fn row(&self, i: u32) -> &mut [f32] {
        let i = i as usize;
        assert!(i < self.rows, "SharedMatrix::row: row {i} of {}", self.rows);
        // SAFETY: i < rows, so the dim values from i · dim lie inside the borrowed data.
        unsafe { std::slice::from_raw_parts_mut(self.ptr.add(i * self.dim), self.dim) }
    }
}

/// The model's two matrices: `input` holds the word vectors we keep (gensim's `syn0`,
/// `wv.vectors`), `output` the vectors words have as prediction targets (`syn1neg`).
pub(crate) struct Weights<'a> {
    pub input: SharedMatrix<'a>,
    pub output: SharedMatrix<'a>,
}

// ANCHOR: skipgram_pair
/// One skip-gram step with negative sampling: the input vector `h` of a context
/// word learns to score the centre word high and each noise word low.
///
/// For each target t with label y (1 for `centre`, 0 for each of `negatives`), with
/// output vector u_t and score s = h · u_t:
///
/// ```text
/// g    = alpha · (y − σ(s))   the loss −log σ(±s) falls fastest along this
/// u_t += g · h                move the target's output vector towards/away from h
/// dh  += g · u_t              (with u_t as it was before its update)
/// ```
///
/// and at the end h += dh, so every target saw the same h. `grad_h` is scratch of
/// length dim.
#[inline(always)]
pub(crate) fn skipgram_pair(
    h: &mut [f32],
    centre: u32,
    negatives: &[u32],
    output: &SharedMatrix,
    alpha: f32,
    sigmoid: &SigmoidTable,
    grad_h: &mut [f32],
) {
    grad_h.fill(0.0);
    let noise = negatives.iter().map(|&n| (n, 0.0));
    for (target, label) in std::iter::once((centre, 1.0)).chain(noise) {
        // SAFETY: one output row at a time in this thread; races with other threads
        // are accepted (the Hogwild trade: rare lost updates for no locks).
        let u = unsafe { output.row(target) };
        let g = alpha * (label - sigmoid.sigmoid(dot(h, u)));
        axpy(g, u, grad_h);
        axpy(g, h, u);
    }
    axpy(1.0, grad_h, h);
}
// ANCHOR_END: skipgram_pair

// ANCHOR: cbow_window
/// One CBOW step with negative sampling: the mean of the context words' input vectors,
/// h = (1/C) Σ v_c, plays the role of skip-gram's h, with the same per-target update; then
/// every context vector gets the whole of dh (gensim's `cbow_mean=1`, as word2vec.c: the
/// gradient is not divided by C).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(crate) fn cbow_window(
    context: &[u32],
    centre: u32,
    negatives: &[u32],
    weights: &Weights,
    alpha: f32,
    sigmoid: &SigmoidTable,
    h: &mut [f32],
    grad_h: &mut [f32],
) {
    h.fill(0.0);
    for &c in context {
        // SAFETY: read only here, one row at a time.
        axpy(1.0, unsafe { weights.input.row(c) }, h);
    }
    let inv = 1.0 / context.len() as f32;
    h.iter_mut().for_each(|x| *x *= inv);
    grad_h.fill(0.0);
    let targets = std::iter::once((centre, 1.0)).chain(negatives.iter().map(|&n| (n, 0.0)));
    for (target, label) in targets {
        // SAFETY: as in `skipgram_pair`.
        let u = unsafe { weights.output.row(target) };
        let g = alpha * (label - sigmoid.sigmoid(dot(h, u)));
        axpy(g, u, grad_h);
        axpy(g, h, u);
    }
    for &c in context {
        // SAFETY: one input row at a time in this thread.
        axpy(1.0, grad_h, unsafe { weights.input.row(c) });
    }
}
// ANCHOR_END: cbow_window

/// The learning rate after `progress` (0 to 1) of all epochs' words: linear from `alpha`
/// down to `min_alpha`, as gensim.
pub fn learning_rate(alpha: f32, min_alpha: f32, progress: f64) -> f32 {
    let p = progress.clamp(0.0, 1.0) as f32;
    (alpha - (alpha - min_alpha) * p).max(min_alpha)
}

/// Uniform in 0..n by multiply-shift (bias below n / 2^32, no division).
#[inline(always)]
fn below(rng: &mut Rng, n: usize) -> usize {
    (((rng.next_u64() >> 32) * n as u64) >> 32) as usize
}

/// Everything a worker thread reads but does not own.
pub(crate) struct Job<'a> {
    pub config: &'a Word2VecConfig,
    pub weights: Weights<'a>,
    pub sigmoid: SigmoidTable,
    pub noise: NoiseSampler,
    pub keep: Vec<f32>,
}

/// A worker's scratch vectors and random stream.
pub(crate) struct Worker {
    pub rng: Rng,
    kept: Vec<u32>,
    negatives: Vec<u32>,
    context: Vec<u32>,
    h: Vec<f32>,
    grad_h: Vec<f32>,
}

impl Worker {
    pub(crate) fn new(dim: usize, rng: Rng) -> Worker {
        Worker {
            rng,
            kept: Vec::new(),
            negatives: Vec::new(),
            context: Vec::new(),
            h: vec![0.0; dim],
            grad_h: vec![0.0; dim],
        }
    }
}

/// Trains on one sentence (word ids) at learning rate `alpha`; returns the number of words
/// left after subsampling (gensim's "effective words").
pub(crate) fn train_sentence(job: &Job, worker: &mut Worker, sentence: &[u32], alpha: f32) -> usize {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2, checked just above.
        return unsafe { train_sentence_avx2(job, worker, sentence, alpha) };
    }
    train_sentence_body(job, worker, sentence, alpha)
}

/// The same loop compiled for AVX2: 8 f32 lanes instead of SSE2's 4.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn train_sentence_avx2(job: &Job, worker: &mut Worker, sentence: &[u32], alpha: f32) -> usize {
    train_sentence_body(job, worker, sentence, alpha)
}

#[inline(always)]
fn train_sentence_body(job: &Job, worker: &mut Worker, sentence: &[u32], alpha: f32) -> usize {
    let Worker { rng, kept, negatives, context, h, grad_h } = worker;
    // Subsampling happens before windowing, so windows reach past the dropped words.
    kept.clear();
    for &w in sentence {
        let p = job.keep[w as usize];
        if p >= 1.0 || rng.uniform_f32() < p {
            kept.push(w);
        }
    }
    let window = job.config.window;
    for (i, &centre) in kept.iter().enumerate() {
        // The reduced window: b in 1..=window, so near words count more often than far ones.
        let b = 1 + below(rng, window);
        let (lo, hi) = (i.saturating_sub(b), (i + b + 1).min(kept.len()));
        match job.config.architecture {
            Architecture::SkipGram => {
                for (j, &word) in kept.iter().enumerate().take(hi).skip(lo) {
                    if j == i {
                        continue;
                    }
                    draw_negatives(job, rng, centre, negatives);
                    // SAFETY: the one input row this thread holds during the update.
                    let v = unsafe { job.weights.input.row(word) };
                    skipgram_pair(v, centre, negatives, &job.weights.output, alpha, &job.sigmoid, grad_h);
                }
            }
            Architecture::Cbow => {
                context.clear();
                context.extend(kept[lo..hi].iter().enumerate().filter(|&(j, _)| lo + j != i).map(|(_, &w)| w));
                if context.is_empty() {
                    continue;
                }
                draw_negatives(job, rng, centre, negatives);
                cbow_window(context, centre, negatives, &job.weights, alpha, &job.sigmoid, h, grad_h);
            }
        }
    }
    kept.len()
}

/// `negative` noise words, leaving out any draw of the centre word itself (as the original).
#[inline(always)]
fn draw_negatives(job: &Job, rng: &mut Rng, centre: u32, negatives: &mut Vec<u32>) {
    negatives.clear();
    for _ in 0..job.config.negative {
        let n = job.noise.sample(rng);
        if n != centre {
            negatives.push(n);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sigmoid_table_is_within_its_stated_error() {
        let table = SigmoidTable::new();
        for i in -800..=800 {
            let x = i as f32 * 0.01;
            let exact = 1.0 / (1.0 + (-x as f64).exp());
            let err = (table.sigmoid(x) as f64 - exact).abs();
            let bound = if x.abs() >= MAX_SCORE { 0.0025 } else { 0.0015 + 1e-6 };
            assert!(err <= bound, "sigmoid({x}): table {} exact {exact}", table.sigmoid(x));
        }
    }

    #[test]
    fn dot_and_axpy_match_plain_loops_at_odd_lengths() {
        let mut rng = Rng::seed(1);
        for n in [1, 7, 15, 16, 17, 63, 100, 257] {
            let a: Vec<f32> = (0..n).map(|_| rng.uniform_f32() - 0.5).collect();
            let b: Vec<f32> = (0..n).map(|_| rng.uniform_f32() - 0.5).collect();
            let want: f64 = a.iter().zip(&b).map(|(x, y)| *x as f64 * *y as f64).sum();
            assert!((dot(&a, &b) as f64 - want).abs() < 1e-5, "dot at n={n}");
            let mut y = b.clone();
            axpy(0.3, &a, &mut y);
            for k in 0..n {
                assert_eq!(y[k], b[k] + 0.3 * a[k], "axpy at n={n}, index {k}");
            }
        }
    }

    #[test]
    fn negatives_leave_out_the_centre_word() {
        let config = Word2VecConfig { negative: 5, ..Default::default() };
        let (mut input, mut output) = (vec![0.0f32; 3], vec![0.0f32; 3]);
        let job = Job {
            config: &config,
            weights: Weights { input: SharedMatrix::new(&mut input, 1), output: SharedMatrix::new(&mut output, 1) },
            sigmoid: SigmoidTable::new(),
            // Word 0 carries 1000^0.75 / (1000^0.75 + 2) ≈ 99% of the noise mass.
            noise: NoiseSampler::new(&[1000, 1, 1], 0.75),
            keep: vec![1.0; 3],
        };
        let (mut rng, mut negatives) = (Rng::seed(5), Vec::new());
        let mut drawn = 0;
        for _ in 0..200 {
            draw_negatives(&job, &mut rng, 0, &mut negatives);
            assert!(negatives.iter().all(|&n| n != 0), "{negatives:?}");
            drawn += negatives.len();
        }
        assert!((1..60).contains(&drawn), "about 1% of 1000 draws are not the centre, got {drawn}");
    }

    #[test]
    fn learning_rate_decays_linearly_to_min_alpha() {
        assert_eq!(learning_rate(0.025, 0.0001, 0.0), 0.025);
        assert!((learning_rate(0.025, 0.0001, 0.5) - 0.01255).abs() < 1e-7);
        assert!((learning_rate(0.025, 0.0001, 0.25) - (0.025 - 0.0249 * 0.25)).abs() < 1e-7);
        assert_eq!(learning_rate(0.025, 0.0001, 1.0), 0.0001);
        assert_eq!(learning_rate(0.025, 0.0001, 1.7), 0.0001);
    }

    /// The update equations by hand, in f64, with the sigmoid values taken from the table
    /// (whose own error is tested above), against one call of `skipgram_pair`.
    #[test]
    fn one_skipgram_step_matches_a_hand_computation() {
        let table = SigmoidTable::new();
        let h0 = [0.5f32, -1.0, 0.25];
        // Output rows: 0 = centre, 1 and 2 = negatives, 3 untouched.
        let u0 = [[0.2f32, 0.1, -0.3], [-0.4, 0.3, 0.5], [1.0, 0.0, 2.0], [9.0, 9.0, 9.0]];
        let alpha = 0.1f64;
        let mut h = h0;
        let mut out: Vec<f32> = u0.iter().flatten().copied().collect();
        let mut grad = [0.0f32; 3];
        skipgram_pair(&mut h, 0, &[1, 2], &SharedMatrix::new(&mut out, 3), alpha as f32, &table, &mut grad);

        let h64: Vec<f64> = h0.iter().map(|&x| x as f64).collect();
        let mut dh = [0.0f64; 3];
        let mut want_out: Vec<Vec<f64>> = u0.iter().map(|r| r.iter().map(|&x| x as f64).collect()).collect();
        for (t, y) in [(0, 1.0), (1, 0.0), (2, 0.0)] {
            let s: f64 = (0..3).map(|k| h64[k] * want_out[t][k]).sum();
            let g = alpha * (y - table.sigmoid(s as f32) as f64);
            for k in 0..3 {
                dh[k] += g * want_out[t][k];
                want_out[t][k] += g * h64[k];
            }
        }
        // Scores: 0.1 − 0.1 − 0.075 = −0.075; −0.2 − 0.3 + 0.125 = −0.375; 0.5 + 0.5 = 1.0.
        for k in 0..3 {
            assert!((h[k] as f64 - (h64[k] + dh[k])).abs() < 1e-6, "h[{k}] = {} want {}", h[k], h64[k] + dh[k]);
            for t in 0..4 {
                let got = out[t * 3 + k] as f64;
                assert!((got - want_out[t][k]).abs() < 1e-6, "u[{t}][{k}] = {got} want {}", want_out[t][k]);
            }
        }
        // The centre's vector moved towards h, each negative's away from it.
        assert!(out[0] > 0.2 && out[3] < -0.4 && out[6] < 1.0);
    }

    #[test]
    fn one_cbow_step_moves_every_context_vector_by_the_same_gradient() {
        let table = SigmoidTable::new();
        let mut input = vec![0.1f32, 0.2, -0.3, 0.4, 0.0, 0.0];
        let mut output = vec![0.5f32, -0.5, 0.25, 0.25];
        let before = input.clone();
        let (mut h, mut grad) = (vec![0.0; 2], vec![0.0; 2]);
        let weights = Weights { input: SharedMatrix::new(&mut input, 2), output: SharedMatrix::new(&mut output, 2) };
        cbow_window(&[0, 1], 0, &[1], &weights, 0.5, &table, &mut h, &mut grad);
        // h = mean of rows 0 and 1 = (-0.1, 0.3).
        let hh = [-0.1f64, 0.3];
        let g0 = 0.5 * (1.0 - table.sigmoid((-0.05f64 - 0.15) as f32) as f64);
        let u1 = [0.25 + 0.0, 0.25];
        let g1 = 0.5 * (0.0 - table.sigmoid((hh[0] * u1[0] + hh[1] * u1[1]) as f32) as f64);
        let dh = [g0 * 0.5 + g1 * 0.25, g0 * -0.5 + g1 * 0.25];
        for k in 0..2 {
            assert!((input[k] as f64 - (before[k] as f64 + dh[k])).abs() < 1e-6);
            assert!((input[2 + k] as f64 - (before[2 + k] as f64 + dh[k])).abs() < 1e-6);
            assert_eq!(input[4 + k], 0.0, "row 2 is not in the context");
        }
        assert!((output[0] as f64 - (0.5 + g0 * hh[0])).abs() < 1e-6);
        assert!((output[3] as f64 - (0.25 + g1 * hh[1])).abs() < 1e-6);
    }
}
