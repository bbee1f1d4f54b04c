//! Reference answers to chapter 14's exercises (the tests check these unless the
//! `learner` feature is on). Try the exercises in `exercises.rs` first.

use kindling_transformer::gpt::GptConfig;

/// Exercise 14.1.
pub fn next_token_window(
    tokens: &[i64],
    start: usize,
    block: usize,
) -> (Vec<i64>, Vec<i64>) {
    let window = &tokens[start..start + block + 1];
    (window[..block].to_vec(), window[1..].to_vec())
}

/// Exercise 14.2.
pub fn warmup_cosine(
    it: usize,
    lr: f64,
    min_lr: f64,
    warmup: usize,
    decay_iters: usize,
) -> f64 {
    if it < warmup {
        return lr * (it + 1) as f64 / (warmup + 1) as f64;
    }
    if it > decay_iters {
        return min_lr;
    }
    let fraction = (it - warmup) as f64 / (decay_iters - warmup) as f64;
    min_lr + 0.5 * (1.0 + (std::f64::consts::PI * fraction).cos()) * (lr - min_lr)
}

/// Exercise 14.3.
pub fn should_decay(_name: &str, shape: &[usize]) -> bool {
    shape.len() >= 2
}

/// Exercise 14.4.
pub fn nucleus(probs: &[f64], p: f64) -> Vec<usize> {
    let mut order: Vec<usize> = (0..probs.len()).collect();
    order.sort_by(|&a, &b| probs[b].total_cmp(&probs[a]));
    let mut total = 0.0;
    let mut kept = Vec::new();
    for i in order {
        kept.push(i);
        total += probs[i];
        if total >= p {
            break;
        }
    }
    kept
}

/// Exercise 14.5.
pub fn repetition_penalty(
    logits: &[f64],
    history: &[i64],
    penalty: f64,
) -> Vec<f64> {
    let mut seen = vec![false; logits.len()];
    for &t in history {
        seen[t as usize] = true;
    }
    logits
        .iter()
        .zip(seen)
        .map(|(&z, s)| match (s, z > 0.0) {
            (false, _) => z,
            (true, true) => z / penalty,
            (true, false) => z * penalty,
        })
        .collect()
}

/// Exercise 14.6.
pub fn gpt_num_parameters(config: &GptConfig) -> usize {
    let (c, b) = (config.n_embd, usize::from(config.bias));
    let tables = (config.vocab_size + config.block_size) * c;
    let norm = c + b * c;
    let linear = |fan_in: usize, fan_out: usize| fan_in * fan_out + b * fan_out;
    let block = 2 * norm
        + linear(c, 3 * c)
        + linear(c, c)
        + linear(c, 4 * c)
        + linear(4 * c, c);
    tables + config.n_layer * block + norm
}
