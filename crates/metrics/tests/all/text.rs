//! BLEU against sacrebleu and NLTK (fixtures from `tests/fixtures/make_bleu_fixtures.py`),
//! exact match and token accuracy.

use kindling_metrics::metrics::text::{bleu, exact_match, sentence_bleu, token_accuracy, BleuOptions, Smoothing};
use serde_json::Value;

const FIXTURE: &str = include_str!("../fixtures/bleu.json");

fn tokens(v: &Value) -> Vec<String> {
    v.as_array().unwrap().iter().map(|t| t.as_str().unwrap().to_string()).collect()
}

fn smoothing(case: &Value) -> Smoothing {
    let value = case["smooth_value"].as_f64();
    match case["smoothing"].as_str().unwrap() {
        "none" => Smoothing::None,
        "exp" => Smoothing::Exp,
        "floor" => value.map_or(Smoothing::FLOOR, Smoothing::Floor),
        "add-k" => value.map_or(Smoothing::ADD_K, Smoothing::AddK),
        "method1" => value.map_or(Smoothing::NLTK_METHOD1, |epsilon| Smoothing::NltkMethod1 { epsilon }),
        "method4" => value.map_or(Smoothing::NLTK_METHOD4, |k| Smoothing::NltkMethod4 { k }),
        other => panic!("unknown smoothing {other}"),
    }
}

#[test]
fn bleu_equals_sacrebleu_and_nltk() {
    let fixture: Value = serde_json::from_str(FIXTURE).unwrap();
    let (mut worst_sacrebleu, mut worst_nltk, mut cases) = (0.0f64, 0.0f64, 0);
    for case in fixture["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let hyps: Vec<Vec<String>> = case["hypotheses"].as_array().unwrap().iter().map(tokens).collect();
        let refs: Vec<Vec<Vec<String>>> = case["references"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_array().unwrap().iter().map(tokens).collect())
            .collect();
        let options = BleuOptions {
            max_n: case["max_n"].as_u64().unwrap() as usize,
            weights: case["weights"].as_array().map(|w| w.iter().map(|x| x.as_f64().unwrap()).collect()),
            smoothing: smoothing(case),
            effective_order: case["effective_order"].as_bool().unwrap(),
        };
        let result = if case["function"] == "sentence" {
            sentence_bleu(&hyps[0], &refs[0], &options)
        } else {
            bleu(&hyps, &refs, &options)
        };
        let expected = case["score"].as_f64().unwrap();
        let diff = (result.score - expected).abs();
        assert!(diff <= 1e-9, "{name}: BLEU {} but the fixture has {expected} ({result:?})", result.score);
        if case["library"] == "sacrebleu" {
            let precisions: Vec<f64> =
                case["precisions"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect();
            for (p, e) in result.precisions.iter().zip(&precisions) {
                assert!((p - e).abs() <= 1e-9, "{name}: precisions {:?}, sacrebleu {precisions:?}", result.precisions);
            }
            let bp = case["brevity_penalty"].as_f64().unwrap();
            assert!((result.brevity_penalty - bp).abs() <= 1e-12, "{name}: brevity penalty {}", result.brevity_penalty);
            assert_eq!(result.hyp_len as u64, case["hyp_len"].as_u64().unwrap(), "{name}");
            assert_eq!(result.ref_len as u64, case["ref_len"].as_u64().unwrap(), "{name}");
            worst_sacrebleu = worst_sacrebleu.max(diff);
        } else {
            worst_nltk = worst_nltk.max(diff);
        }
        cases += 1;
    }
    assert!(cases > 100);
    println!(
        "{cases} cases; largest score difference: sacrebleu {worst_sacrebleu:e}, NLTK {worst_nltk:e} (0..100 scale)"
    );
}

#[test]
fn bleu_by_hand() {
    // Hypothesis 4 tokens, reference 5: p1 = 3/4, p2 = 1/3, p3 = p4 = 0.
    let hyp = vec!["a", "b", "c", "x"];
    let refs = vec![vec!["a", "b", "d", "c", "e"]];
    let none = sentence_bleu(&hyp, &refs, &BleuOptions::default().smoothing(Smoothing::None));
    assert_eq!(none.score, 0.0);
    assert_eq!(none.matches, [3, 1, 0, 0]);
    assert_eq!(none.totals, [4, 3, 2, 1]);
    assert_eq!((none.hyp_len, none.ref_len), (4, 5));
    let bp = (1.0f64 - 5.0 / 4.0).exp();
    assert!((none.brevity_penalty - bp).abs() < 1e-15);
    // exp smoothing: p3 = 1 / (2 · 2), p4 = 1 / (4 · 1).
    let exp = sentence_bleu(&hyp, &refs, &BleuOptions::default());
    let expected = 100.0 * bp * (0.75f64 * (1.0 / 3.0) * 0.25 * 0.25).powf(0.25);
    assert!((exp.score - expected).abs() < 1e-9, "{} vs {expected}", exp.score);
    // Three orders with effective order: the 4-gram total of a 3-token hypothesis is 0.
    let short = sentence_bleu(&["a", "b", "c"], &[vec!["a", "b", "c"]], &BleuOptions::sentence());
    assert!((short.score - 100.0).abs() < 1e-9);
    // Token ids work as well as words, and the closest reference length wins (ties: shorter).
    let ids = bleu(&[vec![1u32, 2, 3, 4]], &[vec![vec![1, 2, 3], vec![1, 2, 3, 4, 5]]], &BleuOptions::default());
    assert_eq!(ids.ref_len, 3);
}

#[test]
fn exact_match_and_token_accuracy() {
    let hyps = vec![vec![1, 2, 3], vec![4, 5], vec![], vec![9, 9, 9, 9]];
    let refs = vec![vec![1, 2, 3], vec![4, 6, 7], vec![], vec![9, 8]];
    assert_eq!(exact_match(&hyps, &refs), 0.5);
    // 3 + 1 + 0 + 1 correct of 3 + 3 + 0 + 2 reference tokens.
    assert_eq!(token_accuracy(&hyps, &refs), 5.0 / 8.0);
    let empty: Vec<Vec<u8>> = Vec::new();
    assert_eq!(exact_match(&empty, &empty), 0.0);
}

fn panic_message(f: impl FnOnce() + std::panic::UnwindSafe) -> String {
    let err = std::panic::catch_unwind(f).expect_err("expected a panic");
    err.downcast_ref::<String>().cloned().or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string())).unwrap()
}

#[test]
fn mismatched_lengths_name_the_function_and_both_lengths() {
    let msg = panic_message(|| {
        bleu(&[vec!["a"], vec!["b"]], &[vec![vec!["a"]]], &BleuOptions::default());
    });
    assert!(msg.contains("bleu: 2 hypotheses but 1 reference lists"), "{msg}");
    let msg = panic_message(|| {
        exact_match(&[vec![1]], &[vec![1], vec![2], vec![3]]);
    });
    assert!(msg.contains("exact_match: 1 hypotheses but 3 references"), "{msg}");
    let msg = panic_message(|| {
        token_accuracy(&[vec![1], vec![2]], &[vec![1]]);
    });
    assert!(msg.contains("token_accuracy: 2 hypotheses but 1 references"), "{msg}");
    let msg = panic_message(|| {
        let options = BleuOptions { weights: Some(vec![0.5, 0.5]), ..BleuOptions::default() };
        bleu(&[vec!["a"]], &[vec![vec!["a"]]], &options);
    });
    assert!(msg.contains("bleu: 2 weights for max_n 4"), "{msg}");
    let msg = panic_message(|| {
        bleu(&[vec!["a"]], &[vec![]], &BleuOptions::default());
    });
    assert!(msg.contains("bleu: hypothesis 0 has no reference"), "{msg}");
}
