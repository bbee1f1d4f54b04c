//! The checks of chapter 15's exercises. `cargo test -p ch15-encoders --features
//! learner` runs them against your `src/exercises.rs`; without the feature, against
//! the solutions. Every test name starts with its exercise number (`ex15_3_...`
//! checks exercise 15.3).

use ch15_encoders::checked::*;
use kindling_autograd::Variable;
use kindling_data::text::tfidf::nearest;
use kindling_tensor::conv::{conv2d, Conv2dOptions};
use kindling_tensor::{Rng, Tensor};
use kindling_transformer::layer::{AttentionMasks, TransformerEncoderLayer};

fn close(a: &[f64], b: &[f64], tol: f64) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() <= tol)
}

// 15.1: a long sequence of ordinary ids with special ids (0, 1, 2) sprinkled in.
fn long_sequence() -> Vec<i64> {
    let mut rng = Rng::seed(11);
    (0..40_000)
        .map(|i| {
            if i % 50 == 0 {
                (i / 50 % 3) as i64
            } else {
                5 + rng.below(995) as i64
            }
        })
        .collect()
}

#[test]
fn ex15_1_chooses_fifteen_percent_and_splits_them_80_10_10() {
    let ids = long_sequence();
    let (mask_id, special) = (3, [0, 1, 2, 3]);
    let (inputs, labels) =
        mlm_mask(&ids, &special, mask_id, 1000, 0.15, &mut Rng::seed(5));
    assert_eq!((inputs.len(), labels.len()), (ids.len(), ids.len()));
    let (mut chosen, mut masked, mut replaced, mut kept) =
        (0usize, 0usize, 0usize, 0usize);
    let mut random_ids = std::collections::HashSet::new();
    for ((&id, &input), &label) in ids.iter().zip(&inputs).zip(&labels) {
        if label == -100 {
            assert_eq!(input, id, "a position that is not chosen keeps its id");
            continue;
        }
        assert!(!special.contains(&id), "special id {id} was chosen");
        assert_eq!(label, id, "a chosen position's label is its original id");
        chosen += 1;
        if input == mask_id {
            masked += 1;
        } else if input == id {
            kept += 1;
        } else {
            replaced += 1;
            random_ids.insert(input);
        }
    }
    let candidates = ids.iter().filter(|id| !special.contains(id)).count() as f64;
    let fraction = chosen as f64 / candidates;
    assert!(
        (fraction - 0.15).abs() < 0.01,
        "chose {fraction:.4} of the ordinary positions, not 0.15"
    );
    let share = |n: usize| n as f64 / chosen as f64;
    assert!(
        (share(masked) - 0.8).abs() < 0.025,
        "[MASK] for {:.3} of the chosen, not 0.8",
        share(masked)
    );
    assert!(
        (share(replaced) - 0.1).abs() < 0.02,
        "a random id for {:.3} of the chosen, not 0.1",
        share(replaced)
    );
    assert!(
        (share(kept) - 0.1).abs() < 0.02,
        "unchanged for {:.3} of the chosen, not 0.1",
        share(kept)
    );
    assert!(
        random_ids.len() > 300,
        "the random ids should spread over the vocabulary: {} distinct",
        random_ids.len()
    );
    assert!(
        random_ids.iter().all(|&r| (0..1000).contains(&r)),
        "a random id outside the vocabulary"
    );
}

#[test]
fn ex15_1_is_seeded_and_respects_the_extremes() {
    let ids = long_sequence()[..500].to_vec();
    let once = mlm_mask(&ids, &[0, 1, 2], 3, 1000, 0.15, &mut Rng::seed(9));
    assert_eq!(
        once,
        mlm_mask(&ids, &[0, 1, 2], 3, 1000, 0.15, &mut Rng::seed(9)),
        "same seed, same masking"
    );
    assert_ne!(
        once,
        mlm_mask(&ids, &[0, 1, 2], 3, 1000, 0.15, &mut Rng::seed(10)),
        "another seed, another masking"
    );
    let (inputs, labels) =
        mlm_mask(&ids, &[0, 1, 2], 3, 1000, 0.0, &mut Rng::seed(9));
    assert_eq!(inputs, ids);
    assert!(labels.iter().all(|&l| l == -100));
    let (_, labels) = mlm_mask(&ids, &[0, 1, 2], 3, 1000, 1.0, &mut Rng::seed(9));
    for (&id, &label) in ids.iter().zip(&labels) {
        assert_eq!(
            label,
            if [0, 1, 2].contains(&id) { -100 } else { id },
            "probability 1 chooses every ordinary id"
        );
    }
}

#[test]
fn ex15_2_hand_values() {
    let (t, f) = (true, false);
    assert_eq!(
        attention_allowed(&[t, t, f], false),
        vec![vec![t, t, f], vec![t, t, f], vec![t, t, f]]
    );
    assert_eq!(
        attention_allowed(&[t, t, f], true),
        vec![vec![t, f, f], vec![t, t, f], vec![t, t, f]]
    );
    assert_eq!(
        attention_allowed(&[t, t, t], true),
        vec![vec![t, f, f], vec![t, t, f], vec![t, t, t]]
    );
}

#[test]
fn ex15_2_matches_the_weights_an_encoder_layer_computes() {
    // Two sequences of 5, the second padded after 3 tokens; the layer's weights are
    // zero exactly where the mask forbids and positive elsewhere, for both kinds of
    // mask.
    let mut rng = Rng::seed(2);
    let layer = TransformerEncoderLayer::<f64>::new(8, 2, 16, &mut rng)
        .batch_first(true)
        .dropout(0.0);
    let src = Variable::constant(Tensor::<f64>::randn([2, 5, 8], &mut rng));
    let is_token = [[true; 5], [true, true, true, false, false]];
    let padding: Vec<bool> = is_token.iter().flatten().map(|&tok| !tok).collect();
    for causal in [false, true] {
        let masks = AttentionMasks {
            is_causal: causal,
            ..AttentionMasks::key_padding(Tensor::from_vec(padding.clone(), [2, 5]))
        };
        let weights = layer.attention_weights(&src, &masks).value();
        assert_eq!(weights.shape(), [2, 2, 5, 5]);
        for (b, tokens) in is_token.iter().enumerate() {
            let allowed = attention_allowed(tokens, causal);
            assert_eq!(allowed.len(), 5);
            for head in 0..2 {
                for (i, row) in allowed.iter().enumerate() {
                    for (j, &ok) in row.iter().enumerate() {
                        let w = weights.get(&[b, head, i, j]);
                        assert_eq!(ok, w > 0.0, "sequence {b}, causal {causal}: query {i}, key {j} has weight {w}");
                    }
                }
            }
        }
    }
}

#[test]
fn ex15_3_hand_values() {
    // One sequence of three tokens (the last one padding), one of three real
    // tokens.
    let hidden = Tensor::from_vec(
        vec![1.0, 2.0, 3.0, 4.0, 100.0, 100.0, 0.0, 0.0, 3.0, 3.0, 6.0, -6.0],
        [2, 3, 2],
    );
    let pooled = mean_pool(&hidden, &[vec![1, 1, 0], vec![1, 1, 1]]);
    assert_eq!(pooled.shape(), [2, 2]);
    assert!(
        close(&pooled.to_vec(), &[2.0, 3.0, 3.0, -1.0], 1e-12),
        "{:?}",
        pooled.to_vec()
    );
}

#[test]
fn ex15_3_padding_changes_nothing_and_empty_rows_are_zero() {
    let mut rng = Rng::seed(4);
    let hidden = Tensor::<f64>::randn([3, 6, 4], &mut rng);
    let mask = vec![vec![1, 1, 1, 1, 0, 0], vec![1, 1, 1, 1, 1, 1], vec![0; 6]];
    let mut noisy = hidden.to_vec();
    for (b, row) in mask.iter().enumerate() {
        for (t, &m) in row.iter().enumerate() {
            if m == 0 {
                noisy[(b * 6 + t) * 4..(b * 6 + t + 1) * 4]
                    .iter_mut()
                    .for_each(|v| *v += 50.0);
            }
        }
    }
    let (a, b) = (
        mean_pool(&hidden, &mask),
        mean_pool(&Tensor::from_vec(noisy, [3, 6, 4]), &mask),
    );
    assert!(
        close(&a.to_vec(), &b.to_vec(), 1e-12),
        "padding vectors changed the pooled vectors"
    );
    assert_eq!(
        a.to_vec()[8..],
        [0.0; 4],
        "a sequence with no tokens pools to zeros"
    );
    // The full sequence is the plain mean over its six tokens.
    let values = hidden.to_vec();
    let mean: Vec<f64> = (0..4)
        .map(|k| (0..6).map(|t| values[(6 + t) * 4 + k]).sum::<f64>() / 6.0)
        .collect();
    assert!(close(&a.to_vec()[4..8], &mean, 1e-12));
}

#[test]
fn ex15_4_hand_values() {
    let docs = vec![
        vec![1.0, 0.0],
        vec![0.0, 2.0],
        vec![3.0, 3.0],
        vec![0.0, 0.0],
        vec![-1.0, 0.0],
    ];
    let top = cosine_top_k(&[1.0, 1.0], &docs, 3);
    let s = std::f64::consts::FRAC_1_SQRT_2;
    assert_eq!(
        top.iter().map(|p| p.0).collect::<Vec<_>>(),
        [2, 0, 1],
        "ties in index order"
    );
    assert!(
        close(&top.iter().map(|p| p.1).collect::<Vec<_>>(), &[1.0, s, s], 1e-12),
        "{top:?}"
    );
    let all = cosine_top_k(&[1.0, 0.0], &docs, 10);
    assert_eq!(all.len(), 5, "at most as many as there are documents");
    assert_eq!(
        all.iter().map(|p| p.0).collect::<Vec<_>>(),
        [0, 2, 1, 3, 4],
        "{all:?}"
    );
    assert_eq!(all[3].1, 0.0, "the zero vector is 0-similar");
}

#[test]
fn ex15_4_agrees_with_the_library_search() {
    let mut rng = Rng::seed(8);
    let rows = Tensor::<f64>::randn([40, 16], &mut rng);
    let docs: Vec<Vec<f64>> =
        rows.to_vec().chunks(16).map(<[f64]>::to_vec).collect();
    for _ in 0..5 {
        let query = Tensor::<f64>::randn([16], &mut rng);
        let mine = cosine_top_k(&query.to_vec(), &docs, 7);
        let theirs = nearest(&query, &rows, 7);
        assert_eq!(
            mine.iter().map(|p| p.0).collect::<Vec<_>>(),
            theirs.iter().map(|p| p.0).collect::<Vec<_>>()
        );
        assert!(close(
            &mine.iter().map(|p| p.1).collect::<Vec<_>>(),
            &theirs.iter().map(|p| p.1).collect::<Vec<_>>(),
            1e-12
        ));
    }
}

#[test]
fn ex15_5_hand_values() {
    // One channel, 4x4, patches of 2: four patches in reading order.
    let image = Tensor::from_vec((0..16).map(f64::from).collect(), [1, 4, 4]);
    let patches = patchify(&image, 2);
    assert_eq!(patches.shape(), [4, 4]);
    assert_eq!(
        patches.to_vec(),
        [
            0.0, 1.0, 4.0, 5.0, 2.0, 3.0, 6.0, 7.0, 8.0, 9.0, 12.0, 13.0, 10.0,
            11.0, 14.0, 15.0
        ]
    );
    // Two channels: each patch holds its first channel, then its second.
    let image = Tensor::from_vec((0..8).map(f64::from).collect(), [2, 2, 2]);
    assert_eq!(
        patchify(&image, 2).to_vec(),
        (0..8).map(f64::from).collect::<Vec<_>>()
    );
    assert_eq!(patchify(&image, 1).shape(), [4, 2]);
    assert_eq!(
        patchify(&image, 1).to_vec(),
        [0.0, 4.0, 1.0, 5.0, 2.0, 6.0, 3.0, 7.0]
    );
}

#[test]
fn ex15_5_patches_times_a_matrix_is_the_strided_convolution() {
    // A vision transformer's patch embedding is a convolution with kernel = stride
    // = patch; on patchified images it is one matrix product with the kernel
    // flattened.
    let mut rng = Rng::seed(6);
    let (c, side, p, dim) = (3, 12, 4, 5);
    let image = Tensor::<f64>::randn([c, side, side], &mut rng);
    let kernel = Tensor::<f64>::randn([dim, c, p, p], &mut rng);
    let conv = conv2d(
        &image.reshape([1, c as isize, side as isize, side as isize]),
        &kernel,
        None,
        &Conv2dOptions::default().stride(p),
    );
    // [1, dim, 3, 3] -> [9, dim]
    let by_conv = conv.reshape([dim as isize, 9]).t().contiguous().to_vec();
    let by_patches = patchify(&image, p)
        .matmul(&kernel.reshape([dim as isize, (c * p * p) as isize]).t())
        .to_vec();
    assert!(close(&by_conv, &by_patches, 1e-10));
}

#[test]
#[should_panic(expected = "patchify")]
fn ex15_5_refuses_patches_that_do_not_tile_the_image() {
    patchify(&Tensor::<f64>::zeros([1, 28, 28]), 5);
}

#[test]
fn ex15_6_class_token_first_then_positions() {
    let patches = vec![vec![1.0, 2.0], vec![3.0, 4.0]];
    let tokens = vit_tokens(
        &patches,
        &[10.0, 20.0],
        &[vec![0.5, 0.5], vec![0.0, 1.0], vec![-1.0, 0.0]],
    );
    assert_eq!(tokens, vec![vec![10.5, 20.5], vec![1.0, 3.0], vec![2.0, 4.0]]);
}

#[test]
#[should_panic(expected = "vit_tokens")]
fn ex15_6_refuses_a_position_table_of_the_wrong_length() {
    vit_tokens(&[vec![1.0], vec![2.0]], &[0.0], &[vec![0.0], vec![0.0]]);
}

#[test]
fn ex15_7_sums_the_three_tables() {
    // row r = 3r, 3r+1, 3r+2
    let word = Tensor::from_vec((0..12).map(f64::from).collect(), [4, 3]);
    let position = Tensor::from_vec(
        vec![100.0, 0.0, 0.0, 200.0, 0.0, 0.0, 300.0, 0.0, 0.0],
        [3, 3],
    );
    let segment = Tensor::from_vec(vec![0.0, 0.0, 0.0, 0.0, 0.0, 1000.0], [2, 3]);
    let out =
        bert_embedding_sum(&[2, 0, 3], &[0, 0, 1], &word, &position, &segment);
    assert_eq!(out.shape(), [3, 3]);
    assert_eq!(
        out.to_vec(),
        [106.0, 7.0, 8.0, 200.0, 1.0, 2.0, 309.0, 10.0, 1011.0]
    );
    // The same token in another position or segment gets another vector.
    let twice =
        bert_embedding_sum(&[1, 1], &[0, 1], &word, &position, &segment).to_vec();
    assert_ne!(twice[..3], twice[3..]);
}

#[test]
#[should_panic(expected = "bert_embedding_sum")]
fn ex15_7_refuses_a_sequence_longer_than_the_position_table() {
    let table = Tensor::<f64>::zeros([4, 2]);
    bert_embedding_sum(
        &[0, 1, 2, 3, 0],
        &[0; 5],
        &table,
        &table,
        &Tensor::zeros([2, 2]),
    );
}

#[test]
fn ex15_8_conv1d_weights_are_transposed_into_linear_weights() {
    let mut rng = Rng::seed(3);
    let x = Tensor::<f32>::randn([4, 6], &mut rng);
    // Conv1D: [in, out], x·W
    let conv_weight = Tensor::<f32>::randn([6, 18], &mut rng);
    for name in [
        "transformer.h.0.attn.c_attn.weight",
        "h.3.attn.c_proj.weight",
        "transformer.h.1.mlp.c_fc.weight",
        "h.0.mlp.c_proj.weight",
    ] {
        let linear_weight = gpt2_tensor_for_linear(name, &conv_weight);
        assert_eq!(linear_weight.shape(), [18, 6], "{name}");
        assert!(linear_weight.is_contiguous(), "{name}: make it contiguous");
        let by_conv = x.matmul(&conv_weight).to_vec();
        let by_linear = Variable::constant(x.clone())
            .linear(&Variable::constant(linear_weight), None)
            .value()
            .to_vec();
        assert!(
            by_conv.iter().zip(&by_linear).all(|(a, b)| (a - b).abs() < 1e-5),
            "{name}"
        );
    }
}

#[test]
fn ex15_8_other_tensors_load_unchanged() {
    let mut rng = Rng::seed(3);
    let matrix = Tensor::<f32>::randn([10, 6], &mut rng);
    let vector = Tensor::<f32>::randn([6], &mut rng);
    for name in
        ["transformer.wte.weight", "transformer.wpe.weight", "lm_head.weight"]
    {
        assert_eq!(
            gpt2_tensor_for_linear(name, &matrix).to_vec(),
            matrix.to_vec(),
            "{name}"
        );
        assert_eq!(
            gpt2_tensor_for_linear(name, &matrix).shape(),
            [10, 6],
            "{name}"
        );
    }
    for name in [
        "transformer.h.0.attn.c_attn.bias",
        "transformer.h.0.ln_1.weight",
        "transformer.ln_f.bias",
    ] {
        assert_eq!(
            gpt2_tensor_for_linear(name, &vector).to_vec(),
            vector.to_vec(),
            "{name}"
        );
    }
}
