//! Chapter 12's code in small: a quick training run that learns, the recipe's
//! schedule, and the helpers the demo reports with.

use ch12_seq2seq::*;
use kindling_data::synthetic::{StringPairs, StringTask};
use kindling_metrics::metrics::text::exact_match;
use kindling_sequence::seq2seq::Attention;

#[test]
fn the_recipe_schedule_warms_up_then_decays_to_a_tenth() {
    let r = Recipe::new(StringTask::Reverse, Attention::Multiplicative);
    assert!(r.lr_at(0) < r.lr / 50.0);
    assert!((r.lr_at(99) - r.lr).abs() < 1e-12);
    assert!((r.lr_at(r.steps) - r.lr / 10.0).abs() < 1e-9);
    assert_eq!((r.min_len, r.max_len, r.max_output()), (5, 20, 21));
    assert_eq!(Recipe::new(StringTask::Add, Attention::None).max_output(), 5);
}

#[test]
fn a_short_run_learns_to_sort_short_strings() {
    let mut r = Recipe::new(StringTask::Sort, Attention::Multiplicative);
    (r.min_len, r.max_len, r.n_train, r.n_held_out, r.steps, r.lr) =
        (4, 4, 3000, 100, 200, 1e-2);
    r.model = r.model.hidden(32).embed(16).attention_dim(32);
    let (train_set, held_out) = task_data(&r);
    let model = new_model(&r);
    let log = train(&model, &r, &train_set, None, |_, _| {});
    assert_eq!(log.steps, 200);
    assert!(
        log.losses.last().unwrap().1 < log.losses[0].1 / 3.0,
        "losses {:?}",
        log.losses
    );
    let outs: Vec<Vec<i64>> = decode_all(&model, &held_out.sources, 1, 6)
        .into_iter()
        .map(|d| d.tokens)
        .collect();
    let em = exact_match(&outs, &held_out.targets);
    assert!(em > 0.8, "exact match {em}");
    let by_len = exact_match_by_length(&outs, &held_out);
    assert_eq!(by_len.len(), 1);
    assert_eq!((by_len[0].0, by_len[0].2), (4, 100));
}

#[test]
fn exact_match_by_length_groups_by_source_length() {
    let pairs = StringPairs {
        sources: vec![vec![3], vec![4, 5], vec![6, 7]],
        targets: vec![vec![3], vec![5, 4], vec![7, 6]],
    };
    let outs = vec![vec![3], vec![5, 4], vec![6, 7]];
    assert_eq!(
        exact_match_by_length(&outs, &pairs),
        vec![(1, 1.0, 1), (2, 0.5, 2)]
    );
    assert!((exact_match(&outs, &pairs.targets) - 2.0 / 3.0).abs() < 1e-12);
}
