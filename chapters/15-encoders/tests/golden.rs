//! Chapter 15's code in small: the masking the chapter shows, and a vision
//! transformer that learns a toy image task in a few seconds.

use ch15_encoders::*;
use kindling_tensor::{Rng, Tensor};
use kindling_transformer::bert::train::{
    train_tokenizer, FineTuneConfig, PretrainConfig, CLS_ID, SEP_ID,
};
use kindling_transformer::vit::{VitConfig, VitTrainConfig};

const TEXT: &str = "to be or not to be, that is the question. \
    whether tis nobler in the mind to suffer the slings and arrows of outrageous fortune, \
    or to take arms against a sea of troubles and by opposing end them. to die, to sleep, no more. ";

#[test]
fn thousands_groups_digits() {
    assert_eq!(thousands(0), "0");
    assert_eq!(thousands(999), "999");
    assert_eq!(thousands(30522), "30,522");
    assert_eq!(thousands(109_482_240), "109,482,240");
}

#[test]
fn masking_follows_the_80_10_10_rule_and_spares_special_tokens() {
    let text = format!("{}\n", TEXT).repeat(40);
    let tokenizer = train_tokenizer(&[TEXT], 120);
    assert_eq!(tokenizer.id("[MASK]"), Some(4));
    let ids = encode_lines(&tokenizer, &text, 64);
    assert_eq!(ids.len() % 40, 0);
    let (inputs, labels, counts) = mask_and_count(&ids, &tokenizer, 3);
    assert_eq!(
        counts.candidates,
        ids.len() - 80,
        "every token but [CLS] and [SEP] may be chosen"
    );
    for (t, (&id, &label)) in ids.iter().zip(&labels).enumerate() {
        if id == CLS_ID || id == SEP_ID {
            assert_eq!(
                (inputs[t], label),
                (id, -100),
                "[CLS] and [SEP] are never chosen"
            );
        }
    }
    assert_eq!(counts.chosen, counts.masked + counts.random + counts.kept);
    let fraction = counts.chosen as f64 / counts.candidates as f64;
    assert!((fraction - 0.15).abs() < 0.02, "chose {fraction}");
    assert!(
        (counts.masked as f64 / counts.chosen as f64 - 0.8).abs() < 0.05,
        "{counts:?}"
    );
    // The same seed masks the same way; the example shows every chosen position.
    assert_eq!(mask_and_count(&ids, &tokenizer, 3).0, inputs);
    let example = masking_example(
        &tokenizer,
        &encode_lines(&tokenizer, "To be, or not to be", 16),
        1,
    );
    assert!(example.starts_with("```text\npassage: [CLS] "), "{example}");
    assert!(
        example.contains("\ninput:   ") && example.contains("\nlabels:  "),
        "{example}"
    );
    // Token columns line up: a gap in the passage row is a gap in the other two.
    let block: Vec<&str> = example.lines().skip(1).take(3).collect();
    let starts = |row: &str| {
        let chars: Vec<char> = row.chars().collect();
        (1..chars.len())
            .filter(|&i| chars[i] != ' ' && chars[i - 1] == ' ')
            .collect::<Vec<_>>()
    };
    assert_eq!(starts(block[0]), starts(block[1]), "{example}");
    for line in example.lines() {
        assert!(line.chars().count() <= chapter_kit::CODE_BOX_COLUMNS, "{line}");
    }
    assert!(
        example.contains("| position | token | model reads | case |"),
        "{example}"
    );
}

/// Images of one bright 4×4 patch in one of four quadrants; the label is the
/// quadrant.
fn quadrants(n: usize, seed: u64) -> (Tensor<f32>, Tensor<i64>) {
    let mut rng = Rng::seed(seed);
    let mut pixels = vec![0.0f32; n * 64];
    let mut labels = Vec::with_capacity(n);
    for i in 0..n {
        let q = rng.below(4) as usize;
        let (r0, c0) = ((q / 2) * 4, (q % 2) * 4);
        for r in 0..4 {
            for c in 0..4 {
                pixels[i * 64 + (r0 + r) * 8 + c0 + c] =
                    0.5 + 0.5 * rng.uniform_f32();
            }
        }
        labels.push(q as i64);
    }
    (Tensor::from_vec(pixels, [n, 1, 8, 8]), Tensor::from_vec(labels, [n]))
}

#[test]
fn a_tiny_vision_transformer_learns_which_quadrant_is_lit() {
    let (train_x, train_y) = quadrants(256, 1);
    let (test_x, test_y) = quadrants(128, 2);
    let data = Fashion { train_x, train_y, test_x, test_y };
    let config = VitConfig {
        image_size: 8,
        patch_size: 4,
        in_channels: 1,
        num_classes: 4,
        dim: 16,
        depth: 1,
        heads: 2,
        mlp_dim: 32,
        dropout: 0.0,
    };
    let recipe = VitTrainConfig {
        epochs: 4,
        batch_size: 32,
        lr: 1e-2,
        warmup_steps: 4,
        augment: false,
        ..VitTrainConfig::fashion_mnist()
    };
    let mut seen = 0;
    let run = train_vit(config, &recipe, &data, |_| seen += 1);
    assert_eq!(seen, 4);
    assert_eq!(run.history.iter().map(|e| e.steps).collect::<Vec<_>>(), [8; 4]);
    let last = run.history.last().unwrap();
    assert!(last.test_accuracy > 0.9, "{:?}", run.history);
    assert!(
        last.train_loss < 0.5 * run.history[0].train_loss.max(1.0),
        "{:?}",
        run.history
    );
    let table = vit_table(&run);
    assert!(
        table.contains("| 4 |") && table.contains("2×2 patches of 4×4"),
        "{table}"
    );
}

/// A play of three speakers with words of their own, in a dozen scenes.
fn toy_play() -> String {
    let lines = [
        ("KING", "the crown and the throne are mine, my lords, and the realm obeys the crown"),
        ("FOOL", "a jest, a song, a merry tune; the fool laughs and sings and dances all day"),
        ("NURSE", "the child must sleep, the milk is warm, and the cradle rocks by the fire"),
    ];
    let mut play = String::new();
    for scene in 0..12 {
        for (i, (speaker, words)) in lines.iter().enumerate() {
            let shift = (scene + i) % 5;
            let rotated: Vec<&str> =
                words.split(' ').cycle().skip(shift).take(14).collect();
            play.push_str(&format!("{speaker}:\n{}.\n\n", rotated.join(" ")));
        }
    }
    play
}

#[test]
fn fine_tuning_and_retrieval_run_end_to_end_on_a_toy_play() {
    let settings = SpeakerSettings {
        speakers: 3,
        vocab_size: 80,
        max_len: 24,
        pretrain: PretrainConfig {
            steps: 6,
            batch_size: 8,
            warmup: 2,
            ..PretrainConfig::default()
        },
        fine_tune: FineTuneConfig {
            epochs: 12,
            batch_size: 8,
            lr: 2e-3,
            ..FineTuneConfig::default()
        },
        seed: 0,
    };
    let run = speaker_experiment(&toy_play(), &settings);
    assert_eq!(run.speakers.len(), 3);
    assert_eq!(run.pretrain.losses.len(), 6);
    assert_eq!((run.fine_tuned.len(), run.from_scratch.len()), (12, 12));
    // The held-out speeches are kept out of the pretraining text.
    assert_eq!(run.pretraining_passages, run.train.0.len());
    assert_eq!(run.train.0.len() + run.test.0.len(), 36);
    // Words tell the speakers apart: both models learn it.
    for history in [&run.fine_tuned, &run.from_scratch] {
        assert!(history[11].test_accuracy > 0.9, "{history:?}");
    }
    let (majority, chance) = baselines(&run.test.1, 3);
    assert!((chance - 1.0 / 3.0).abs() < 1e-12 && majority >= chance);
    // Each test speech's nearest training speech, by the fine-tuned encoder, has
    // its speaker.
    assert!(nearest_same_speaker(&run, run.classifier.bert(), 24) > 0.9);
    let hits = retrieve(
        run.encoder.bert(),
        &run.tokenizer,
        &run.train.0,
        &run.test.0[..2],
        4,
        24,
    );
    assert_eq!(hits.iter().map(Vec::len).collect::<Vec<_>>(), [4, 4]);
    assert!(
        hits[0].windows(2).all(|w| w[0].1 >= w[1].1),
        "most similar first: {hits:?}"
    );
}

#[test]
fn hugging_face_checkpoints_and_tokenizers_agree_with_what_transformers_computed() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let models =
        hf_parity(&root.join("crates/transformer/tests/fixtures/hf")).unwrap();
    assert_eq!(models.len(), 4);
    for p in &models {
        assert!(p.count > 0 && p.max_rel < 1e-5, "{p:?}");
    }
    let tokenizers =
        tokenizer_parity(&root.join("crates/data/tests/fixtures/hf")).unwrap();
    assert_eq!(tokenizers.len(), 3);
    for t in tokenizers {
        assert!(t.strings > 30 && t.equal == t.strings, "{t:?}");
    }
    // The measure itself: the largest gap, relative to the largest reference value.
    let p = parity("x", &[1.0, -2.0, 3.5], &[1.0, -2.5, 4.0]);
    assert_eq!((p.count, p.max_abs, p.max_rel), (3, 0.5, 0.125));
}

#[test]
fn the_comparison_examples_json_reads_back() {
    let json = r#"{"threads":"1","scale":0.25,"n_train":100,"n_held_out":20,"beam":4,"alpha":0.6,"runs":[
        {"model":"transformer","task":"reverse","parameters":10,"steps":5,"train_seconds":1.5,"decode_seconds":0.1,
         "greedy_exact_match":0.9,"beam_exact_match":0.95,"by_length":[[5,1.0,10],[6,0.8,10]],"losses":[[1,2.0]]},
        {"model":"GRU","task":"reverse","parameters":8,"steps":5,"train_seconds":1.0,"decode_seconds":0.1,
         "greedy_exact_match":0.7,"beam_exact_match":0.75,"by_length":[[5,0.9,10],[6,0.5,10]],"losses":[]}]}"#;
    let report = Seq2SeqReport::parse(json).unwrap();
    assert_eq!(report.tasks(), ["reverse"]);
    assert_eq!(report.runs[1].by_length, [(5, 0.9), (6, 0.5)]);
    let table = report.table();
    assert!(
        table.contains("| reverse | GRU | 8 | 5 | 1 | 70.00% | 75.00% | 50.00% |"),
        "{table}"
    );
    assert!(Seq2SeqReport::parse("{\"runs\": 3}").unwrap_err().contains("runs"));

    let curve = r#"{"epochs":[{"epoch":1,"seconds":80.0,"steps":469,"test_accuracy":0.8,"test_loss":0.5,"train_loss":0.9}],
                    "parameters":205962}"#;
    let run = read_vit_curve(curve, VitConfig::fashion_mnist()).unwrap();
    assert_eq!(
        (run.parameters, run.history.len(), run.history[0].steps),
        (205962, 1, 469)
    );
    assert!(read_vit_curve("{}", VitConfig::fashion_mnist()).is_err());
}
