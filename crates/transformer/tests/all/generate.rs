//! Decoding strategies: exact filtered sets for top-k (ties), top-p (the boundary), the
//! repetition penalty (both signs), the temperature, their order, and sampling frequencies.

use kindling_tensor::Rng;
use kindling_transformer::generate::{filtered_logits, sample_next, Sampler};

/// The ids left after filtering (finite logits).
fn kept(logits: &[f32], history: &[i64], sampler: &Sampler) -> Vec<usize> {
    let z = filtered_logits(logits, history, sampler);
    (0..z.len()).filter(|&i| z[i].is_finite()).collect()
}

fn top_k(k: usize) -> Sampler {
    Sampler { top_k: Some(k), ..Sampler::default() }
}

fn top_p(p: f64) -> Sampler {
    Sampler { top_p: Some(p), ..Sampler::default() }
}

#[test]
fn greedy_takes_the_first_of_tied_maxima() {
    let mut rng = Rng::seed(0);
    assert_eq!(sample_next(&[0.5, 2.0, -1.0, 2.0], &[], &Sampler::greedy(), &mut rng), 1);
    assert_eq!(sample_next(&[3.0, 2.0], &[], &Sampler::greedy(), &mut rng), 0);
    // Top-k of 1 is greedy whatever the draw.
    for _ in 0..20 {
        assert_eq!(sample_next(&[0.1, 0.3, 0.2], &[], &top_k(1), &mut rng), 1);
    }
}

#[test]
fn top_k_keeps_ties_with_the_kth_largest() {
    let logits = [1.0, 3.0, 2.0, 3.0, 2.0, 0.0];
    assert_eq!(kept(&logits, &[], &top_k(1)), [1, 3]);
    assert_eq!(kept(&logits, &[], &top_k(2)), [1, 3]);
    assert_eq!(kept(&logits, &[], &top_k(3)), [1, 2, 3, 4]);
    assert_eq!(kept(&logits, &[], &top_k(5)), [0, 1, 2, 3, 4]);
    assert_eq!(kept(&logits, &[], &top_k(6)), [0, 1, 2, 3, 4, 5]);
    assert_eq!(kept(&logits, &[], &top_k(100)), [0, 1, 2, 3, 4, 5]);
    // The kept logits are untouched.
    let z = filtered_logits(&logits, &[], &top_k(2));
    assert_eq!((z[1], z[3]), (3.0, 3.0));
}

#[test]
fn top_p_keeps_the_smallest_set_that_reaches_p() {
    // Four equal logits: probabilities exactly 1/4 each, so the boundaries are exact.
    let flat = [0.0f32; 4];
    assert_eq!(kept(&flat, &[], &top_p(0.25)), [0]);
    assert_eq!(kept(&flat, &[], &top_p(0.5)), [0, 1], "reaching p exactly is enough");
    assert_eq!(kept(&flat, &[], &top_p(0.5000001)), [0, 1, 2]);
    assert_eq!(kept(&flat, &[], &top_p(1.0)), [0, 1, 2, 3]);
    assert_eq!(kept(&flat, &[], &top_p(1e-9)), [0], "at least one token");
    // Probabilities 0.5, 0.3, 0.2 (in a shuffled order).
    let logits = [0.2f32.ln(), 0.5f32.ln(), 0.3f32.ln()];
    assert_eq!(kept(&logits, &[], &top_p(0.45)), [1]);
    assert_eq!(kept(&logits, &[], &top_p(0.79)), [1, 2]);
    assert_eq!(kept(&logits, &[], &top_p(0.81)), [0, 1, 2]);
}

#[test]
fn the_repetition_penalty_divides_positive_and_multiplies_negative_logits() {
    let sampler = Sampler { repetition_penalty: 2.0, ..Sampler::greedy() };
    // Tokens 0 and 1 seen (1 twice: penalised once); 2 and 3 not.
    let z = filtered_logits(&[2.0, -2.0, 1.0, 0.5], &[1, 0, 1], &sampler);
    assert_eq!(z, [1.0, -4.0, 1.0, 0.5]);
    // Greedy after the penalty: the tie between 0 and 2 goes to 0; with more penalty, to 2.
    let mut rng = Rng::seed(0);
    assert_eq!(sample_next(&[2.0, -2.0, 1.0, 0.5], &[0], &sampler, &mut rng), 0);
    let harder = Sampler { repetition_penalty: 3.0, ..Sampler::greedy() };
    assert_eq!(sample_next(&[2.0, -2.0, 1.0, 0.5], &[0], &harder, &mut rng), 2);
    // Below 1 it encourages repeats.
    let z = filtered_logits(&[2.0, -2.0], &[0, 1], &Sampler { repetition_penalty: 0.5, ..Sampler::greedy() });
    assert_eq!(z, [4.0, -1.0]);
}

#[test]
fn the_temperature_divides_the_logits_after_the_penalty() {
    let hot = Sampler { temperature: 2.0, ..Sampler::default() };
    assert_eq!(filtered_logits(&[2.0, -2.0, 1.0], &[], &hot), [1.0, -1.0, 0.5]);
    let both = Sampler { temperature: 0.5, repetition_penalty: 4.0, ..Sampler::default() };
    assert_eq!(filtered_logits(&[2.0, -2.0, 1.0], &[0, 1], &both), [1.0, -16.0, 2.0]);
}

#[test]
fn filters_apply_in_order_penalty_temperature_top_k_top_p() {
    // The penalty pushes token 0 below token 2 before top-k chooses.
    let sampler = Sampler { temperature: 1.0, top_k: Some(2), top_p: None, repetition_penalty: 4.0 };
    assert_eq!(kept(&[4.0, 3.0, 2.0, -1.0], &[0], &sampler), [1, 2]);
    // Top-p renormalises over what top-k kept: two equal survivors of 1/2 each.
    let sampler = Sampler { top_k: Some(2), top_p: Some(0.5), ..Sampler::default() };
    assert_eq!(kept(&[1.0, 5.0, 5.0, 4.9], &[], &sampler), [1]);
    // A low temperature concentrates the mass, so top-p keeps fewer tokens.
    let warm = Sampler { top_p: Some(0.9), ..Sampler::default() };
    let cold = Sampler { temperature: 0.1, ..warm };
    assert_eq!(kept(&[1.0, 0.8, 0.6], &[], &warm), [0, 1, 2]);
    assert_eq!(kept(&[1.0, 0.8, 0.6], &[], &cold), [0, 1]);
}

#[test]
fn sampling_follows_the_probabilities() {
    let logits = [0.6f32.ln(), 0.3f32.ln(), 0.1f32.ln()];
    let mut rng = Rng::seed(42);
    let mut counts = [0usize; 3];
    let n = 20_000;
    for _ in 0..n {
        counts[sample_next(&logits, &[], &Sampler::default(), &mut rng) as usize] += 1;
    }
    for (count, p) in counts.iter().zip([0.6, 0.3, 0.1]) {
        let freq = *count as f64 / n as f64;
        assert!((freq - p).abs() < 0.015, "frequency {freq} for probability {p}");
    }
    // Filtered tokens are never drawn.
    for _ in 0..1000 {
        assert_ne!(sample_next(&logits, &[], &top_k(2), &mut rng), 2);
    }
}

#[test]
#[should_panic(expected = "Sampler: temperature must be finite and ≥ 0 (0 = greedy), got -1")]
fn a_negative_temperature_panics() {
    sample_next(&[1.0], &[], &Sampler { temperature: -1.0, ..Sampler::default() }, &mut Rng::seed(0));
}

#[test]
#[should_panic(expected = "Sampler: top_k must be at least 1, got 0")]
fn top_k_zero_panics() {
    sample_next(&[1.0], &[], &top_k(0), &mut Rng::seed(0));
}

#[test]
#[should_panic(expected = "Sampler: top_p must lie in (0, 1], got 1.5")]
fn top_p_above_one_panics() {
    sample_next(&[1.0], &[], &top_p(1.5), &mut Rng::seed(0));
}

#[test]
#[should_panic(expected = "Sampler: repetition_penalty must be finite and > 0 (1 = none), got 0")]
fn a_zero_penalty_panics() {
    sample_next(&[1.0], &[], &Sampler { repetition_penalty: 0.0, ..Sampler::default() }, &mut Rng::seed(0));
}

#[test]
#[should_panic(expected = "sample_next: history token 3 is out of range for 3 logits")]
fn a_history_token_outside_the_logits_panics() {
    let sampler = Sampler { repetition_penalty: 1.2, ..Sampler::default() };
    sample_next(&[1.0, 2.0, 3.0], &[0, 3], &sampler, &mut Rng::seed(0));
}
