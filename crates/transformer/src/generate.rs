//! Decoding: how the next token is chosen from the model's logits (book chapter 14).
//!
//! [`sample_next`] applies, in Hugging Face's order, a repetition penalty, a temperature, a
//! top-k and a top-p (nucleus) filter, then draws from what is left; a temperature of 0 is
//! greedy search (the argmax, after the penalty). [`Gpt::generate`] repeats it token by
//! token, with or without the model's key-value cache.
//!
//! ```
//! use kindling_transformer::generate::{sample_next, Sampler};
//! use kindling_tensor::Rng;
//!
//! let logits = [1.0f32, 3.0, 2.0, 3.0];
//! let mut rng = Rng::seed(0);
//! assert_eq!(sample_next(&logits, &[], &Sampler::greedy(), &mut rng), 1); // first of the tie
//! let top2 = Sampler { top_k: Some(2), ..Sampler::default() };
//! assert!([1, 3].contains(&sample_next(&logits, &[], &top2, &mut rng)));
//! ```

use crate::gpt::{Gpt, KvCache};
use kindling_autograd::no_grad;
use kindling_tensor::{Float, Rng, Tensor};

/// How to pick the next token. The default samples from the model's distribution as it is
/// (temperature 1, no filter, no penalty).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Sampler {
    /// Divides the logits: below 1 sharpens the distribution, above 1 flattens it; 0 means
    /// greedy search (always the most likely token).
    pub temperature: f64,
    /// Keep only the tokens whose logit is at least the k-th largest (ties with the k-th are
    /// kept too, as Hugging Face's `TopKLogitsWarper` does).
    pub top_k: Option<usize>,
    /// Keep the smallest set of most likely tokens whose probability reaches `p` (at least one
    /// token; ties in probability go to the lower id).
    pub top_p: Option<f64>,
    /// CTRL's penalty on every token already in the history: a positive logit is divided by
    /// it, a negative one multiplied, so values above 1 discourage repeats. 1 = none.
    pub repetition_penalty: f64,
}

impl Default for Sampler {
    fn default() -> Self {
        Sampler { temperature: 1.0, top_k: None, top_p: None, repetition_penalty: 1.0 }
    }
}

impl Sampler {
    /// Greedy search: the argmax of the logits, every time.
    pub fn greedy() -> Self {
        Sampler { temperature: 0.0, ..Sampler::default() }
    }

    fn check(&self) {
        if !(self.temperature >= 0.0 && self.temperature.is_finite()) {
            panic!("Sampler: temperature must be finite and ≥ 0 (0 = greedy), got {}", self.temperature);
        }
        if self.top_k == Some(0) {
            panic!("Sampler: top_k must be at least 1, got 0 (use None for no top-k filter)");
        }
        if let Some(p) = self.top_p {
            if !(p > 0.0 && p <= 1.0) {
                panic!("Sampler: top_p must lie in (0, 1], got {p}");
            }
        }
        if !(self.repetition_penalty > 0.0 && self.repetition_penalty.is_finite()) {
            panic!("Sampler: repetition_penalty must be finite and > 0 (1 = none), got {}", self.repetition_penalty);
        }
    }
}

/// The logits after the penalty, the temperature and the filters: filtered-out tokens are
/// −∞. With temperature 0 only the penalty is applied (greedy takes the argmax of that).
pub fn filtered_logits(logits: &[f32], history: &[i64], sampler: &Sampler) -> Vec<f64> {
    sampler.check();
    if logits.is_empty() {
        panic!("sample_next: no logits to choose from");
    }
    let n = logits.len();
    let mut z: Vec<f64> = logits.iter().map(|&l| l as f64).collect();
    if sampler.repetition_penalty != 1.0 {
        let mut seen = vec![false; n];
        for &token in history {
            if !(0..n as i64).contains(&token) {
                panic!("sample_next: history token {token} is out of range for {n} logits");
            }
            seen[token as usize] = true;
        }
        for (zi, _) in z.iter_mut().zip(&seen).filter(|(_, &s)| s) {
            *zi = if *zi > 0.0 { *zi / sampler.repetition_penalty } else { *zi * sampler.repetition_penalty };
        }
    }
    if sampler.temperature == 0.0 {
        return z;
    }
    z.iter_mut().for_each(|zi| *zi /= sampler.temperature);
    if let Some(k) = sampler.top_k.filter(|&k| k < n) {
        let mut sorted = z.clone();
        sorted.sort_by(|a, b| b.total_cmp(a));
        let kth = sorted[k - 1];
        z.iter_mut().filter(|zi| **zi < kth).for_each(|zi| *zi = f64::NEG_INFINITY);
    }
    if let Some(p) = sampler.top_p {
        let probs = softmax(&z);
        let mut order: Vec<usize> = (0..n).collect();
        // Most likely first; equal probabilities by lower id (a stable sort keeps id order).
        order.sort_by(|&a, &b| probs[b].total_cmp(&probs[a]));
        let mut total = 0.0;
        let mut kept = 0;
        for &i in &order {
            if probs[i] == 0.0 && kept > 0 {
                break;
            }
            total += probs[i];
            kept += 1;
            if total >= p {
                break;
            }
        }
        for &i in &order[kept..] {
            z[i] = f64::NEG_INFINITY;
        }
    }
    z
}

/// softmax(z) in f64; −∞ entries get probability 0.
fn softmax(z: &[f64]) -> Vec<f64> {
    let max = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let e: Vec<f64> = z.iter().map(|&zi| (zi - max).exp()).collect();
    let sum: f64 = e.iter().sum();
    e.into_iter().map(|ei| ei / sum).collect()
}

/// The index of the largest value (the first one on ties).
fn argmax(z: &[f64]) -> usize {
    let mut best = 0;
    for (i, &zi) in z.iter().enumerate() {
        if zi > z[best] {
            best = i;
        }
    }
    best
}

/// Picks the next token from one position's `logits` (`[V]`), given the tokens so far
/// (`history`, for the repetition penalty), as `sampler` says: penalty, temperature, top-k,
/// top-p, then a draw from `rng` (or the argmax when the temperature is 0).
pub fn sample_next(logits: &[f32], history: &[i64], sampler: &Sampler, rng: &mut Rng) -> i64 {
    let z = filtered_logits(logits, history, sampler);
    if sampler.temperature == 0.0 {
        return argmax(&z) as i64;
    }
    let probs = softmax(&z);
    let u = rng.uniform_f64();
    let mut total = 0.0;
    let mut last_kept = argmax(&z);
    for (i, &p) in probs.iter().enumerate() {
        if p > 0.0 {
            total += p;
            last_kept = i;
            if u < total {
                return i as i64;
            }
        }
    }
    // Rounding left the total just under 1 and u above it.
    last_kept as i64
}

impl<T: Float> Gpt<T> {
    /// Continues `prompt` by `max_new` tokens chosen by `sampler` and returns the whole
    /// sequence (prompt first), as nanoGPT's `generate` does. Records no graph and applies no
    /// dropout.
    ///
    /// With `cache`, the prompt is encoded once and each new token costs one position's work
    /// ([`Gpt::forward_cached`]); without it, every step runs the whole context again. Both
    /// condition on the last `block_size` tokens and pick the same tokens: once the sequence
    /// outgrows the context, the cache is rebuilt from the last `block_size` tokens (learned
    /// positions cannot be shifted), so from then on each step re-encodes the context.
    pub fn generate(&self, prompt: &[i64], max_new: usize, sampler: &Sampler, rng: &mut Rng, cache: bool) -> Vec<i64> {
        if prompt.is_empty() {
            panic!("Gpt::generate: the prompt needs at least one token");
        }
        sampler.check();
        let block = self.config().block_size;
        let mut tokens = prompt.to_vec();
        let mut kv = cache.then(|| KvCache::new(self.config(), 1));
        // The cache holds tokens[window..window + kv.len()].
        let mut window = 0;
        for _ in 0..max_new {
            if tokens.len() - window > block {
                window = tokens.len() - block;
                if let Some(kv) = kv.as_mut() {
                    kv.clear();
                }
            }
            let logits: Tensor<T> = match kv.as_mut() {
                Some(kv) => {
                    let new = &tokens[window + kv.len()..];
                    self.forward_cached(&Tensor::from_vec(new.to_vec(), [1, new.len()]), kv)
                }
                None => {
                    let context = &tokens[window..];
                    let idx = Tensor::from_vec(context.to_vec(), [1, context.len()]);
                    self.check_tokens("Gpt::generate", &idx, 0);
                    no_grad(|| self.last_logits(&self.hidden(&idx, 0, None, false), 1, context.len()))
                }
            };
            let logits: Vec<f32> = logits.to_vec().into_iter().map(|l| l.to_f64() as f32).collect();
            tokens.push(sample_next(&logits, &tokens, sampler, rng));
        }
        tokens
    }
}
