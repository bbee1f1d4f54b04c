//! Bag of words and TF-IDF against scikit-learn (fixtures from
//! `tests/fixtures/make_tfidf_fixtures.py`), the course's worked example (§3 #26), cosine
//! similarity and nearest rows.

use kindling_data::{
    cosine_similarity, nearest, CountOptions, CountVectorizer, DocFrequency, Norm, TfidfOptions, TfidfVectorizer,
};
use kindling_tensor::Tensor;
use serde_json::Value;

const FIXTURE: &str = include_str!("../fixtures/tfidf.json");

fn strings(v: &Value) -> Vec<String> {
    v.as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_string()).collect()
}

fn matrix(v: &Value) -> Vec<f64> {
    v.as_array().unwrap().iter().flat_map(|row| row.as_array().unwrap().iter().map(|x| x.as_f64().unwrap())).collect()
}

fn doc_frequency(v: &Value) -> DocFrequency {
    match v.as_u64() {
        Some(c) => DocFrequency::Count(c as usize),
        None => DocFrequency::Proportion(v.as_f64().unwrap()),
    }
}

/// scikit-learn's keyword arguments as options.
fn options(params: &Value) -> TfidfOptions {
    let mut o = TfidfOptions::default();
    for (key, value) in params.as_object().unwrap() {
        match key.as_str() {
            "smooth_idf" => o.smooth_idf = value.as_bool().unwrap(),
            "sublinear_tf" => o.sublinear_tf = value.as_bool().unwrap(),
            "use_idf" => o.use_idf = value.as_bool().unwrap(),
            "binary" => o.binary = value.as_bool().unwrap(),
            "lowercase" => o.lowercase = value.as_bool().unwrap(),
            "norm" => {
                o.norm = match value.as_str() {
                    Some("l1") => Some(Norm::L1),
                    Some("l2") => Some(Norm::L2),
                    _ => None,
                }
            }
            "ngram_range" => {
                let r = value.as_array().unwrap();
                o.ngram_range = (r[0].as_u64().unwrap() as usize, r[1].as_u64().unwrap() as usize);
            }
            "min_df" => o.min_df = doc_frequency(value),
            "max_df" => o.max_df = doc_frequency(value),
            "max_features" => o.max_features = Some(value.as_u64().unwrap() as usize),
            other => panic!("the fixture uses an option this test does not know: {other}"),
        }
    }
    o
}

fn max_abs_diff(name: &str, what: &str, actual: &Tensor<f64>, expected: &[f64]) -> f64 {
    let actual = actual.to_vec();
    assert_eq!(
        actual.len(),
        expected.len(),
        "{name}: {what} has {} values, scikit-learn {}",
        actual.len(),
        expected.len()
    );
    actual.iter().zip(expected).map(|(a, e)| (a - e).abs()).fold(0.0, f64::max)
}

#[test]
fn vectorizers_equal_scikit_learn() {
    let fixture: Value = serde_json::from_str(FIXTURE).unwrap();
    let corpus = strings(&fixture["corpus"]);
    let unseen = strings(&fixture["unseen"]);
    let mut worst = 0.0f64;
    for case in fixture["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let o = options(&case["params"]);
        let (vocabulary, fitted, transformed) = if case["kind"] == "count" {
            let mut v = CountVectorizer::new(o.count_options());
            let fitted = v.fit_transform(&corpus);
            (v.vocabulary().to_vec(), fitted, v.transform(&unseen))
        } else {
            let mut v = TfidfVectorizer::new(o.clone());
            let fitted = v.fit_transform(&corpus);
            if let Some(idf) = case["idf"].as_array() {
                let idf: Vec<f64> = idf.iter().map(|x| x.as_f64().unwrap()).collect();
                let diff = max_abs_diff(name, "idf", &Tensor::from_vec(v.idf().to_vec(), [v.idf().len()]), &idf);
                assert!(diff <= 1e-12, "{name}: idf differs from scikit-learn's by {diff:e}");
                worst = worst.max(diff);
            } else {
                assert!(v.idf().iter().all(|&x| x == 1.0), "{name}: without idf every weight is 1");
            }
            (v.vocabulary().to_vec(), fitted, v.transform(&unseen))
        };
        assert_eq!(vocabulary, strings(&case["vocabulary"]), "{name}: vocabulary");
        assert_eq!(fitted.shape(), [corpus.len(), vocabulary.len()], "{name}");
        for (what, actual, expected) in
            [("fit", &fitted, &case["fit"]), ("transform", &transformed, &case["transform"])]
        {
            let diff = max_abs_diff(name, what, actual, &matrix(expected));
            assert!(diff <= 1e-12, "{name}: the {what} matrix differs from scikit-learn's by {diff:e}");
            worst = worst.max(diff);
        }
    }
    println!("largest difference from scikit-learn over every case: {worst:e}");
}

#[test]
fn unseen_document_without_known_words_is_a_zero_row() {
    let mut tfidf = TfidfVectorizer::new(TfidfOptions::default());
    tfidf.fit(&["red apples", "green apples"]);
    let x = tfidf.transform(&["blue bananas", "red"]);
    assert_eq!(x.to_vec(), [0.0, 0.0, 0.0, 0.0, 0.0, 1.0]);
}

/// INVENTORY §3 #26: "I love NLP" and "I love machine learning".
#[test]
fn course_worked_example() {
    let docs = ["I love NLP", "I love machine learning"];
    let textbook = TfidfOptions::textbook();
    let mut bow = CountVectorizer::new(textbook.count_options());
    let counts = bow.fit_transform(&docs);
    assert_eq!(bow.vocabulary(), ["I", "love", "NLP", "machine", "learning"]);
    assert_eq!(counts.to_vec(), [1.0, 1.0, 1.0, 0.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0]);

    let mut tfidf = TfidfVectorizer::new(textbook);
    let x = tfidf.fit_transform(&docs).to_vec();
    // The course prints ln 2 as 0.693147.
    let ln2 = std::f64::consts::LN_2;
    let expected = [0.0, 0.0, ln2, 0.0, 0.0, 0.0, 0.0, 0.0, ln2, ln2];
    for (a, e) in x.iter().zip(expected) {
        assert!((a - e).abs() < 1e-15, "{x:?}");
    }
    assert_eq!(format!("{:.6}", x[2]), "0.693147");

    let bigrams = TfidfOptions { ngram_range: (2, 2), ..TfidfOptions::textbook() };
    let mut bow = CountVectorizer::new(bigrams.count_options());
    bow.fit(&docs[..1]);
    assert_eq!(bow.vocabulary(), ["I love", "love NLP"]);

    // scikit-learn's defaults on the same pair: "I" is too short, columns sorted, rows unit.
    let mut sk = TfidfVectorizer::new(TfidfOptions::default());
    let x = sk.fit_transform(&docs);
    assert_eq!(sk.vocabulary(), ["learning", "love", "machine", "nlp"]);
    let row0: f64 = x.to_vec()[..4].iter().map(|v| v * v).sum();
    assert!((row0 - 1.0).abs() < 1e-12);
}

#[test]
fn max_features_breaks_ties_alphabetically() {
    let mut bow = CountVectorizer::new(CountOptions { max_features: Some(2), ..CountOptions::default() });
    bow.fit(&["pear pear fig kiwi", "kiwi date"]);
    // kiwi 2 and pear 2 beat date 1 and fig 1; among the ones, none is kept.
    assert_eq!(bow.vocabulary(), ["kiwi", "pear"]);
    let mut bow = CountVectorizer::new(CountOptions { max_features: Some(1), ..CountOptions::default() });
    bow.fit(&["pear kiwi", "kiwi pear"]);
    assert_eq!(bow.vocabulary(), ["kiwi"]);
}

#[test]
fn cosine_similarity_and_nearest() {
    let a = Tensor::from_vec(vec![1.0f64, 0.0, 0.0, 0.0, 3.0, 4.0], [2, 3]);
    let b = Tensor::from_vec(vec![2.0f64, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 4.0, 3.0], [3, 3]);
    let s = cosine_similarity(&a, &b).to_vec();
    let expected = [1.0, 0.0, 0.0, 0.0, 0.0, 24.0 / 25.0];
    for (x, e) in s.iter().zip(expected) {
        assert!((x - e).abs() < 1e-15, "{s:?}");
    }
    let rows = Tensor::from_vec(vec![0.0f32, 1.0, 1.0, 0.0, 0.0, 2.0, 1.0, 1.0], [4, 2]);
    let found = nearest(&Tensor::from_vec(vec![0.0f32, 1.0], [2]), &rows, 3);
    assert_eq!(found.iter().map(|p| p.0).collect::<Vec<_>>(), [0, 2, 3], "ties keep row order: {found:?}");
    assert!((found[2].1 - std::f32::consts::FRAC_1_SQRT_2).abs() < 1e-6);
    assert_eq!(nearest(&Tensor::from_vec(vec![1.0f32, 0.0], [2]), &rows, 10).len(), 4);
}

fn panic_message(f: impl FnOnce() + std::panic::UnwindSafe) -> String {
    let err = std::panic::catch_unwind(f).expect_err("expected a panic");
    err.downcast_ref::<String>().cloned().or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string())).unwrap()
}

#[test]
fn bad_input_panics_with_names_and_values() {
    let msg = panic_message(|| {
        cosine_similarity(&Tensor::<f64>::zeros([2, 3]), &Tensor::<f64>::zeros([2, 4]));
    });
    assert!(msg.contains("cosine_similarity") && msg.contains("[2, 3]") && msg.contains("[2, 4]"), "{msg}");
    let msg = panic_message(|| {
        nearest(&Tensor::<f64>::zeros([3]), &Tensor::<f64>::zeros([2, 4]), 1);
    });
    assert!(msg.contains("nearest") && msg.contains('3') && msg.contains('4'), "{msg}");
    let msg = panic_message(|| {
        nearest(&Tensor::<f64>::zeros([4]), &Tensor::<f64>::zeros([4]), 1);
    });
    assert!(msg.contains("nearest: rows must be [rows, dim], got [4]"), "{msg}");
    let msg = panic_message(|| {
        let o = TfidfOptions { max_df: DocFrequency::Proportion(1.5), ..TfidfOptions::default() };
        TfidfVectorizer::new(o).fit(&["red fish"]);
    });
    assert!(msg.contains("CountVectorizer::fit: max_df proportion 1.5 is outside [0, 1]"), "{msg}");
    let msg = panic_message(|| {
        TfidfVectorizer::new(TfidfOptions::default()).transform(&["a"]);
    });
    assert!(msg.contains("TfidfVectorizer::transform") && msg.contains("fit"), "{msg}");
    let msg = panic_message(|| {
        CountVectorizer::new(CountOptions::default()).fit(&["a b", "! ?"]);
    });
    assert!(msg.contains("CountVectorizer::fit") && msg.contains("no term"), "{msg}");
    let msg = panic_message(|| {
        let o =
            CountOptions { min_df: DocFrequency::Count(3), max_df: DocFrequency::Count(2), ..CountOptions::default() };
        CountVectorizer::new(o).fit(&["a b"]);
    });
    assert!(msg.contains("max_df") && msg.contains("min_df"), "{msg}");
    let msg = panic_message(|| {
        CountVectorizer::new(CountOptions { ngram_range: (2, 1), ..CountOptions::default() });
    });
    assert!(msg.contains("ngram_range (2, 1)"), "{msg}");
}
