//! Reference answers to chapter 12's exercises (`src/exercises.rs` has the stubs).

use kindling_autograd::Variable;

/// Exercise 12.1.
pub fn masked_softmax(scores: &[f64], len: usize) -> Vec<f64> {
    assert!(
        (1..=scores.len()).contains(&len),
        "masked_softmax: length {len} outside 1..={}",
        scores.len()
    );
    let top = scores[..len].iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let exps: Vec<f64> = scores[..len].iter().map(|s| (s - top).exp()).collect();
    let total: f64 = exps.iter().sum();
    let mut out: Vec<f64> = exps.iter().map(|e| e / total).collect();
    out.resize(scores.len(), 0.0);
    out
}

/// Exercise 12.2.
pub fn additive_scores(
    query: &Variable<f64>,
    keys: &Variable<f64>,
    w_q: &Variable<f64>,
    w_k: &Variable<f64>,
    v: &Variable<f64>,
) -> Variable<f64> {
    let hidden = (&keys.matmul(&w_k.t()) + &w_q.matmul(query)).tanh();
    hidden.matmul(v)
}

/// Exercise 12.3.
pub fn beam_step(
    beams: &[(Vec<i64>, f64)],
    next: &[Vec<f64>],
    k: usize,
) -> Vec<(Vec<i64>, f64)> {
    let mut candidates: Vec<(f64, usize, usize)> = Vec::new();
    for (i, (_, score)) in beams.iter().enumerate() {
        candidates
            .extend(next[i].iter().enumerate().map(|(v, lp)| (score + lp, i, v)));
    }
    candidates.sort_by(|a, b| b.0.total_cmp(&a.0));
    candidates
        .into_iter()
        .take(k)
        .map(|(score, i, v)| ([&beams[i].0[..], &[v as i64]].concat(), score))
        .collect()
}

/// Exercise 12.4.
pub fn best_normalized(hypotheses: &[(usize, f64)], alpha: f64) -> usize {
    let score =
        |&(len, lp): &(usize, f64)| lp / ((5.0 + len as f64) / 6.0).powf(alpha);
    let mut best = 0;
    for i in 1..hypotheses.len() {
        if score(&hypotheses[i]) > score(&hypotheses[best]) {
            best = i;
        }
    }
    best
}

/// Exercise 12.5.
pub fn scheduled_inputs(
    gold: &[i64],
    predicted: &[i64],
    coins: &[f64],
    k: f64,
    step: usize,
) -> Vec<i64> {
    let ratio = k / (k + (step as f64 / k).exp());
    gold.iter()
        .zip(predicted)
        .zip(coins)
        .map(|((&g, &p), &c)| if c < ratio { g } else { p })
        .collect()
}

/// Exercise 12.6.
pub fn token_accuracy(outputs: &[Vec<i64>], references: &[Vec<i64>]) -> f64 {
    let total: usize = references.iter().map(Vec::len).sum();
    if total == 0 {
        return 0.0;
    }
    let right: usize = outputs
        .iter()
        .zip(references)
        .map(|(o, r)| r.iter().zip(o).filter(|(a, b)| a == b).count())
        .sum();
    right as f64 / total as f64
}
