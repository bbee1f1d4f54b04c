//! Small, fast checks of what the chapter's code and figures rest on (the demo runs
//! the full versions).

use ch11_text::*;
use kindling_data::text::{BpeTrainOptions, ByteBpe};
use std::io::Write;

const PLAY: &str = "First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n\n\
                    First Citizen:\nYou are all resolved rather to die than to famish?\n\nno colon here\n";

#[test]
fn speeches_are_blocks_with_a_speaker() {
    let found = speeches(PLAY);
    assert_eq!(found.len(), 3, "{found:?}");
    assert_eq!(found[0].speaker, "First Citizen");
    assert_eq!(
        found[1],
        Speech { speaker: "All".into(), text: "Speak, speak.".into() }
    );
    assert!(found[2].text.starts_with("You are all resolved"));
}

#[test]
fn a_speech_of_several_lines_is_joined_by_spaces() {
    let found = speeches("ROMEO:\nBut soft,\nwhat light\n");
    assert_eq!(
        found,
        vec![Speech {
            speaker: "ROMEO".into(),
            text: "But soft, what light".into()
        }]
    );
}

#[test]
fn noise_distribution_lifts_rare_words() {
    let p = noise_distribution(&[1000, 10], 0.75);
    assert!((p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    // Counts 100:1, probabilities 100^0.75 ≈ 31.6:1.
    assert!(
        (p[0] / p[1] - 100f64.powf(0.75)).abs() < 1e-9,
        "ratio {}",
        p[0] / p[1]
    );
    let flat = noise_distribution(&[1000, 10], 0.0);
    assert_eq!(flat, vec![0.5, 0.5]);
}

#[test]
fn subsampling_keeps_rare_words_and_thins_frequent_ones() {
    assert_eq!(keep_probability(1e-4, 1e-3), 1.0, "a rare word is always kept");
    // A word making up 4 % of the corpus: (sqrt(40) + 1) / 40 ≈ 0.183.
    let p = keep_probability(0.04, 1e-3);
    assert!((p - (40f64.sqrt() + 1.0) / 40.0).abs() < 1e-12, "{p}");
}

#[test]
fn learning_rate_falls_in_a_straight_line() {
    assert_eq!(linear_decay(0.025, 0.0001, 0.0), 0.025);
    assert!((linear_decay(0.025, 0.0001, 0.5) - 0.01255).abs() < 1e-12);
    assert!(
        (linear_decay(0.025, 0.0001, 1.5) - 0.0001).abs() < 1e-15,
        "clamped after the end"
    );
}

#[test]
fn sgns_update_is_a_gradient_step_of_exercise_11_5() {
    // Three words of dimension 2: centre 0, context 1, negative 2.
    let mut input = vec![0.3f32, -0.2, 0.0, 0.0, 0.0, 0.0];
    let mut output = vec![0.0f32, 0.0, -0.4, 0.6, 0.1, 0.7];
    let f64s = |s: &[f32]| s.iter().map(|&x| x as f64).collect::<Vec<_>>();
    let g = solutions::sgns_loss_and_grads(
        &f64s(&input[0..2]),
        &f64s(&output[2..4]),
        &[f64s(&output[4..6])],
    );
    let (before_in, before_out) = (input.clone(), output.clone());
    let lr = 0.1;
    let loss = sgns_update(&mut input, &mut output, 2, 0, 1, &[2], lr);
    assert!((loss as f64 - g.loss).abs() < 1e-6, "loss {loss} against {}", g.loss);
    for k in 0..2 {
        let step = |after: f32, before: f32| (after - before) as f64;
        assert!(
            (step(input[k], before_in[k]) + lr as f64 * g.centre[k]).abs() < 1e-6,
            "centre[{k}]"
        );
        assert!(
            (step(output[2 + k], before_out[2 + k]) + lr as f64 * g.context[k])
                .abs()
                < 1e-6,
            "context[{k}]"
        );
        assert!(
            (step(output[4 + k], before_out[4 + k])
                + lr as f64 * g.negatives[0][k])
                .abs()
                < 1e-6,
            "negative[{k}]"
        );
    }
}

#[test]
fn repeated_sgns_updates_drive_the_loss_down() {
    let mut input = vec![0.1f32, 0.2, -0.1, 0.05, 0.3, -0.2];
    let mut output = vec![0.0f32; 6];
    let first = sgns_update(&mut input, &mut output, 2, 0, 1, &[2], 0.5);
    let mut last = first;
    for _ in 0..200 {
        last = sgns_update(&mut input, &mut output, 2, 0, 1, &[2], 0.5);
    }
    assert!(
        (first - 2.0 * 2f32.ln()).abs() < 1e-6,
        "zero output vectors: loss 2 ln 2, got {first}"
    );
    assert!(
        last < 0.1,
        "after 200 steps on one pair the loss should be small, got {last}"
    );
}

#[test]
fn word_sentences_are_lowercase_letter_runs_one_per_line() {
    let s = word_sentences("First Citizen:\nO'er the hill, 2 miles!\n\n\nAll:\n");
    let expect: Vec<Vec<String>> = vec![
        vec!["first".into(), "citizen".into()],
        vec!["o".into(), "er".into(), "the".into(), "hill".into(), "miles".into()],
        vec!["all".into()],
    ];
    assert_eq!(s, expect);
}

#[test]
fn search_ranks_by_cosine_over_terms_of_three_or_more_speeches() {
    let play = "A:\nthe light in the window\n\nB:\nthe light of day\n\nC:\nthe window is shut\n\n\
                D:\na light, a window, a door\n\nE:\nthe day is long\n\nF:\nday and night and day\n";
    let all = speeches(play);
    assert_eq!(all.len(), 6);
    let search = SpeechSearch::new(&all);
    // Indexed: the terms in at least 3 speeches (day, light, the, window).
    assert_eq!(search.terms(), 4);
    // D holds exactly light and window, as the query does; A adds "the".
    let best = search.search("window light", 2);
    assert_eq!(best.iter().map(|b| b.0).collect::<Vec<_>>(), [3, 0], "{best:?}");
    assert!((best[0].1 - 1.0).abs() < 1e-6, "{best:?}");
    let none = search.search("door", 3);
    assert!(
        none.iter().all(|&(_, s)| s == 0.0),
        "a term in one speech is not indexed: {none:?}"
    );
}

#[test]
fn the_chapter_trains_skip_gram_with_gensim_settings() {
    let c = word2vec_config(5, 1);
    assert_eq!(
        (c.dim, c.window, c.negative, c.min_count, c.epochs, c.threads),
        (100, 5, 5, 5, 5, 1)
    );
    assert_eq!(c.architecture, kindling_sequence::word2vec::Architecture::SkipGram);
}

#[test]
fn tiny_shakespeare_speeches_and_a_bpe_round_trip() {
    let dir = match kindling_data::datasets_dir() {
        Ok(dir) => dir,
        Err(e) => {
            // Straight to stderr, past the test harness's capture, so the skip is
            // seen.
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED: KINDLING_DATASETS is unset ({e})"
            );
            return;
        }
    };
    let play = kindling_data::tiny_shakespeare(dir.join("tinyshakespeare"))
        .expect("Tiny Shakespeare");
    let all = speeches(&play);
    assert_eq!(all.len(), 7097, "the speeches the retrieval demo indexes");
    assert_eq!(all[0].speaker, "First Citizen");
    // A small tokenizer on the first 100,000 bytes still round-trips the end of the
    // play.
    let bpe = ByteBpe::train(&play[..100_000], 400, &BpeTrainOptions::default());
    let tail = &play[play.len() - 20_000..];
    let ids = bpe.encode(tail);
    assert!(ids.len() < tail.len(), "merges make tokens longer than a byte");
    assert_eq!(bpe.decode(&ids), tail);
}
