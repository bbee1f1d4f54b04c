//! The checks of chapter 14's exercises. `cargo test -p ch14-gpt --features
//! learner` runs them against your `src/exercises.rs`; without the feature, against
//! the solutions. Every test name starts with its exercise number (`ex14_3_...`
//! checks exercise 14.3).

use ch14_gpt::checked::*;
use kindling_nn::Module;
use kindling_optim::schedule::{LrSchedule, WarmupCosineLr};
use kindling_optim::split_for_weight_decay;
use kindling_tensor::Rng;
use kindling_transformer::generate::{filtered_logits, Sampler};
use kindling_transformer::gpt::{Activation, Gpt, GptConfig};
use kindling_transformer::train::{LmData, Split};

#[test]
fn ex14_1_windows_are_inputs_and_next_tokens() {
    let tokens = [5i64, 8, 13, 21, 34, 55];
    assert_eq!(
        next_token_window(&tokens, 1, 3),
        (vec![8, 13, 21], vec![13, 21, 34])
    );
    assert_eq!(
        next_token_window(&tokens, 0, 5),
        (vec![5, 8, 13, 21, 34], vec![8, 13, 21, 34, 55])
    );
}

#[test]
fn ex14_1_matches_the_library_batches() {
    // The library draws one start per window from the generator: replay the draw.
    let tokens: Vec<i64> = (0..50).map(|i| (i * 7 % 11) as i64).collect();
    let data = LmData::new(tokens.clone(), vec![0; 10]);
    let (x, y) = data.batch(Split::Train, 1, 6, &mut Rng::seed(4));
    let start = Rng::seed(4).below((tokens.len() - 6) as u64) as usize;
    assert_eq!(next_token_window(&tokens, start, 6), (x.to_vec(), y.to_vec()));
}

#[test]
fn ex14_2_agrees_with_the_library_schedule_at_every_iteration() {
    let schedule = WarmupCosineLr { warmup: 100, decay_steps: 2000, min_lr: 1e-4 };
    for it in (0..2100).step_by(7).chain([99, 100, 1999, 2000, 2001]) {
        let (mine, theirs) =
            (warmup_cosine(it, 1e-3, 1e-4, 100, 2000), schedule.lr(1e-3, it));
        assert!(
            (mine - theirs).abs() <= 1e-15,
            "iteration {it}: {mine} vs {theirs}"
        );
    }
}

#[test]
fn ex14_2_hand_values() {
    assert_eq!(warmup_cosine(0, 1.0, 0.0, 3, 10), 0.25);
    assert!((warmup_cosine(3, 1.0, 0.0, 3, 10) - 1.0).abs() < 1e-15);
    assert!((warmup_cosine(10, 1.0, 0.1, 0, 20) - 0.55).abs() < 1e-15);
    assert_eq!(warmup_cosine(50, 1.0, 0.1, 0, 20), 0.1);
}

#[test]
fn ex14_3_splits_the_gpt_like_the_library() {
    let model = Gpt::<f32>::new(
        GptConfig { n_layer: 2, ..GptConfig::tiny(11) },
        &mut Rng::seed(0),
    );
    let split = split_for_weight_decay(model.named_parameters());
    for (name, p) in &split.decay {
        assert!(
            should_decay(name, &p.shape()),
            "{name} {:?} should be decayed",
            p.shape()
        );
    }
    for (name, p) in &split.no_decay {
        assert!(
            !should_decay(name, &p.shape()),
            "{name} {:?} should not be decayed",
            p.shape()
        );
    }
    assert!(
        should_decay("transformer.wte.weight", &[65, 128]),
        "embedding tables are decayed"
    );
}

#[test]
fn ex14_4_hand_computed_nucleus() {
    let probs = [0.1, 0.4, 0.2, 0.3];
    assert_eq!(nucleus(&probs, 0.5), vec![1, 3]);
    assert_eq!(nucleus(&probs, 0.7), vec![1, 3]);
    assert_eq!(nucleus(&probs, 0.71), vec![1, 3, 2]);
    assert_eq!(nucleus(&probs, 0.01), vec![1]);
    assert_eq!(nucleus(&[0.25; 4], 0.5), vec![0, 1], "ties go to the lower id");
}

#[test]
fn ex14_4_matches_the_sampler_filter() {
    let mut rng = Rng::seed(9);
    for trial in 0..20 {
        let logits: Vec<f32> =
            (0..13).map(|_| rng.normal_f64() as f32 * 2.0).collect();
        let p = 0.05 + 0.9 * rng.uniform_f64();
        let z: Vec<f64> = logits.iter().map(|&l| l as f64).collect();
        let max = z.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let sum: f64 = z.iter().map(|zi| (zi - max).exp()).sum();
        let probs: Vec<f64> = z.iter().map(|zi| (zi - max).exp() / sum).collect();
        let mut mine = nucleus(&probs, p);
        mine.sort_unstable();
        let kept = filtered_logits(
            &logits,
            &[],
            &Sampler { top_p: Some(p), ..Sampler::default() },
        );
        let theirs: Vec<usize> = (0..13).filter(|&i| kept[i].is_finite()).collect();
        assert_eq!(mine, theirs, "trial {trial}, p = {p}");
    }
}

#[test]
fn ex14_5_penalises_seen_tokens_once() {
    let out = repetition_penalty(&[2.0, -1.0, 0.5, 3.0], &[0, 1, 0, 0], 2.0);
    assert_eq!(out, vec![1.0, -2.0, 0.5, 3.0]);
}

#[test]
fn ex14_5_matches_the_sampler() {
    let logits = [1.5f32, -0.5, 0.25, -2.0, 4.0, 0.0];
    let history = [4i64, 1, 1, 5];
    let sampler = Sampler { repetition_penalty: 1.3, ..Sampler::default() };
    let theirs = filtered_logits(&logits, &history, &sampler);
    let mine = repetition_penalty(&logits.map(f64::from), &history, 1.3);
    assert_eq!(mine, theirs);
}

#[test]
fn ex14_6_counts_the_tiny_gpt() {
    let tiny = GptConfig::tiny(65);
    let model = Gpt::<f32>::new(tiny, &mut Rng::seed(0));
    assert_eq!(gpt_num_parameters(&tiny), model.num_parameters());
    assert_eq!(gpt_num_parameters(&tiny), 809_856);
}

#[test]
fn ex14_6_counts_other_shapes_with_and_without_bias() {
    for (layers, heads, width, bias) in
        [(1, 1, 8, true), (3, 2, 16, false), (2, 4, 32, true)]
    {
        let config = GptConfig {
            vocab_size: 17,
            block_size: 9,
            n_layer: layers,
            n_head: heads,
            n_embd: width,
            dropout: 0.0,
            bias,
            activation: Activation::Gelu,
            layer_norm_eps: 1e-5,
        };
        let model = Gpt::<f32>::new(config, &mut Rng::seed(1));
        assert_eq!(
            gpt_num_parameters(&config),
            model.num_parameters(),
            "{config:?}"
        );
    }
}
