//! Chapter 13's code in small: the worked example's numbers, the scaling
//! measurement, the tagger's parts, and a quick training run that learns to
//! reverse.

use ch13_attention::*;
use kindling_data::synthetic::StringTask;
use kindling_nn::Module;
use kindling_tensor::Rng;

#[test]
fn the_worked_example_has_the_numbers_the_book_prints() {
    let (q, k, v) = tiny_example();
    let (weights, outputs) = attention_by_hand(&q, &k, &v, false);
    let round = |x: f64| (x * 1e4).round() / 1e4;
    assert_eq!(
        weights[0].iter().map(|&w| round(w)).collect::<Vec<_>>(),
        [0.5065, 0.1863, 0.3072]
    );
    assert_eq!(
        outputs[0].iter().map(|&o| round(o)).collect::<Vec<_>>(),
        [0.8137, 0.4935]
    );
    assert!(weights[2].iter().all(|&w| (w - 1.0 / 3.0).abs() < 1e-12));
    let (causal, _) = attention_by_hand(&q, &k, &v, true);
    assert_eq!(causal[0], [1.0, 0.0, 0.0]);
    assert_eq!(
        causal[1].iter().map(|&w| round(w)).collect::<Vec<_>>(),
        [0.2689, 0.7311, 0.0]
    );
}

#[test]
fn unscaled_scores_spread_like_the_square_root_of_d_k() {
    let mut rng = Rng::seed(1);
    let (spread, raw, scaled) = score_spread(256, 16, 300, &mut rng);
    assert!((spread / 16.0 - 1.0).abs() < 0.1, "std of q·k at d_k = 256: {spread}");
    assert!(raw > 0.7, "unscaled, one key takes most of the weight: {raw}");
    assert!(scaled < 0.4, "scaled, the weights stay spread: {scaled}");
}

#[test]
fn the_tagger_names_its_parts_and_only_learned_positions_add_parameters() {
    let r = Recipe::new(StringTask::Reverse, Positions::Sinusoidal);
    let sinusoidal = Tagger::new(&r, &mut Rng::seed(0));
    let learned = Tagger::new(
        &Recipe { positions: Positions::Learned, ..r.clone() },
        &mut Rng::seed(0),
    );
    assert_eq!(
        learned.num_parameters() - sinusoidal.num_parameters(),
        r.len * r.d_model
    );
    let names: Vec<String> =
        learned.named_parameters().into_iter().map(|(n, _)| n).collect();
    assert!(names.contains(&"positions.weight".to_string()));
    assert!(
        names.contains(&"encoder.layers.1.self_attn.in_proj_weight".to_string())
    );
    assert!(names.contains(&"encoder.norm.weight".to_string()));
}

#[test]
fn a_short_run_learns_to_reverse() {
    let mut r = Recipe::new(StringTask::Reverse, Positions::Learned);
    (
        r.len,
        r.n_train,
        r.n_held_out,
        r.d_model,
        r.heads,
        r.layers,
        r.dim_feedforward,
        r.steps,
        r.batch,
        r.lr,
    ) = (5, 2000, 200, 32, 2, 1, 64, 150, 32, 3e-3);
    let (train_set, held_out) = r.data();
    let model = Tagger::new(&r, &mut Rng::seed(r.seed));
    let log = train(&model, &r, &train_set);
    assert_eq!(log.losses.len(), 3);
    assert!(log.losses[2].1 < log.losses[0].1 / 3.0, "losses {:?}", log.losses);
    let (token_acc, exact) = evaluate(&model, &held_out);
    assert!(
        token_acc > 0.9 && exact > 0.6,
        "token accuracy {token_acc}, exact match {exact}"
    );
    let maps = model.attention_maps(&batch_tokens(&held_out.sources[..2]));
    assert_eq!(maps.len(), 1);
    assert_eq!(maps[0].shape(), [2, 2, 5, 5]);
}
