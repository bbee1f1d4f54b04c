//! word2vec: training on small synthetic corpora (words that share contexts end up nearest
//! neighbours), the run report, and the word2vec text format and queries against gensim
//! (fixtures from tests/fixtures/make_word2vec_fixture.py).

use kindling_sequence::word2vec::{Architecture, Vocabulary, Word2Vec, Word2VecConfig, WordVectors, WordVectorsError};
use kindling_tensor::Rng;
use serde_json::Value;
use std::path::PathBuf;

/// Sentences "l l X r r" from six topics: the l and r words are drawn from the topic's own
/// left and right sets of four, and X is the topic's slot word; in topic 0 the slot word is
/// "twin_a" or "twin_b" at random, so those two share all their contexts with each other
/// and with no other word.
fn twin_corpus(sentences: usize, seed: u64) -> Vec<Vec<String>> {
    let mut rng = Rng::seed(seed);
    (0..sentences)
        .map(|_| {
            let topic = rng.below(6);
            let mut side = |s: &str| format!("{s}{topic}_{}", rng.below(4));
            let (l1, l2) = (side("l"), side("l"));
            let (r1, r2) = (side("r"), side("r"));
            let slot = match (topic, rng.below(2)) {
                (0, 0) => "twin_a".to_string(),
                (0, _) => "twin_b".to_string(),
                _ => format!("x{topic}"),
            };
            vec![l1, l2, slot, r1, r2]
        })
        .collect()
}

fn config(architecture: Architecture) -> Word2VecConfig {
    Word2VecConfig {
        architecture,
        dim: 20,
        window: 2,
        min_count: 1,
        sample: 0.0,
        epochs: 5,
        threads: 1,
        seed: 7,
        ..Default::default()
    }
}

fn check_twins(vectors: &WordVectors, what: &str) {
    let a = vectors.most_similar("twin_a", 3);
    let b = vectors.most_similar("twin_b", 3);
    assert_eq!(a[0].0, "twin_b", "{what}: neighbours of twin_a {a:?}");
    assert_eq!(b[0].0, "twin_a", "{what}: neighbours of twin_b {b:?}");
    // And a word of another topic is far from both.
    assert!(
        vectors.similarity("twin_a", "x3") < a[0].1 - 0.2,
        "{what}: twin_a vs x3 {}",
        vectors.similarity("twin_a", "x3")
    );
}

#[test]
fn skipgram_puts_words_with_shared_contexts_next_to_each_other() {
    let corpus = twin_corpus(3000, 1);
    let vectors = Word2Vec::train(&corpus, &config(Architecture::SkipGram));
    check_twins(&vectors, "skip-gram");
    // Words in the same position of the same topic are nearer than words of other topics.
    let near = vectors.most_similar("l2_1", 3);
    assert!(near.iter().all(|(w, _)| w.starts_with("l2_")), "neighbours of l2_1: {near:?}");
}

#[test]
fn cbow_puts_words_with_shared_contexts_next_to_each_other() {
    let corpus = twin_corpus(3000, 2);
    let vectors = Word2Vec::train(&corpus, &Word2VecConfig { epochs: 10, ..config(Architecture::Cbow) });
    check_twins(&vectors, "CBOW");
}

#[test]
fn one_thread_is_deterministic_and_two_threads_still_learn() {
    let corpus = twin_corpus(1500, 3);
    let cfg = config(Architecture::SkipGram);
    let first = Word2Vec::train(&corpus, &cfg);
    let second = Word2Vec::train(&corpus, &cfg);
    assert_eq!(first.vectors(), second.vectors());
    let other_seed = Word2Vec::train(&corpus, &Word2VecConfig { seed: 8, ..cfg.clone() });
    assert_ne!(first.vectors(), other_seed.vectors());
    let threaded = Word2Vec::train(&twin_corpus(3000, 1), &Word2VecConfig { threads: 2, ..cfg });
    check_twins(&threaded, "skip-gram on 2 threads");
}

#[test]
fn report_counts_words_and_ends_at_min_alpha() {
    // "the" twice in every sentence gives subsampling work; "hapax" is below min_count.
    let corpus: Vec<Vec<String>> = twin_corpus(1500, 4)
        .into_iter()
        .map(|mut s| {
            s.extend(["the".to_string(), "the".to_string()]);
            s
        })
        .chain(std::iter::once(vec!["hapax".to_string()]))
        .collect();
    let mut seen = Vec::new();
    let cfg = Word2VecConfig { min_count: 2, sample: 1e-3, ..config(Architecture::SkipGram) };
    let (vectors, report) = Word2Vec::train_with_report(&corpus, &cfg, |e| seen.push(e.epoch));
    assert_eq!(seen, [0, 1, 2, 3, 4]);
    assert_eq!(report.vocab_size, vectors.len());
    assert!(!vectors.contains("hapax"), "min_count 2 drops a word seen once");
    // The expected number of words kept: Σ count · min(1, keep probability).
    let vocab = Vocabulary::build(&corpus, 2);
    let expected: f64 =
        vocab.counts().iter().zip(vocab.keep_probabilities(1e-3)).map(|(&c, p)| c as f64 * p.min(1.0) as f64).sum();
    assert!(expected < 0.7 * vocab.retained_words() as f64, "subsampling should matter here: {expected}");
    for e in &report.epochs {
        assert_eq!(e.raw_words, 1500 * 7 + 1);
        let kept = e.effective_words as f64;
        assert!((kept - expected).abs() < 0.03 * expected, "epoch {}: kept {kept}, expected about {expected}", e.epoch);
        assert!(e.words_per_second() > 0.0 && e.raw_words_per_second() > e.words_per_second());
    }
    let last = report.epochs.last().unwrap();
    assert!((last.alpha - cfg.min_alpha).abs() < 1e-7, "final alpha {}", last.alpha);
    let first = report.epochs[0].alpha;
    assert!((first - (0.025 - 0.0249 / 5.0)).abs() < 1e-6, "alpha after 1 of 5 epochs {first}");
}

#[test]
#[should_panic(expected = "Word2Vec::train: threads must be at least 1, got 0")]
fn zero_threads_is_refused() {
    Word2Vec::train(&twin_corpus(10, 1), &Word2VecConfig { threads: 0, ..config(Architecture::Cbow) });
}

#[test]
#[should_panic(expected = "Word2Vec::train: no word occurs at least min_count=5 times in 1 sentences of 2 words")]
fn an_empty_vocabulary_is_refused() {
    let corpus = vec![vec!["a".to_string(), "b".to_string()]];
    Word2Vec::train(&corpus, &Word2VecConfig { min_count: 5, ..config(Architecture::Cbow) });
}

#[test]
#[should_panic(expected = "WordVectors::most_similar: \"unicorn\" is not among the 2 words")]
fn an_unknown_word_is_named() {
    WordVectors::new(vec!["a".into(), "b".into()], vec![1.0, 0.0, 0.0, 1.0], 2).most_similar("unicorn", 1);
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kindling-w2v-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn save_then_load_gives_back_the_same_vectors() {
    let vectors = Word2Vec::train(&twin_corpus(300, 5), &config(Architecture::SkipGram));
    let path = temp_dir("round").join("vectors.txt");
    vectors.save_text(&path).unwrap();
    let back = WordVectors::load_text(&path).unwrap();
    assert_eq!(back, vectors);
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn load_errors_name_the_file_and_the_line() {
    let dir = temp_dir("errors");
    let missing = dir.join("missing.txt");
    let err = WordVectors::load_text(&missing).unwrap_err();
    assert!(matches!(err, WordVectorsError::Io { .. }) && err.to_string().contains("missing.txt"), "{err}");
    let cases = [
        ("header.txt", "2 three\na 1 2 3\n", ":1: the header"),
        ("short.txt", "2 3\na 1 2 3\nb 1 2\n", ":3: the word \"b\" has 2 values, the header says 3"),
        ("nan.txt", "1 2\na 1 x\n", ":2: \"x\" is not a number"),
        ("count.txt", "3 1\na 1\nb 2\n", ":1: the header announces 3 words, the file has 2"),
        ("twice.txt", "2 1\na 1\na 2\n", ":3: the word \"a\" appears a second time"),
        // Found by kindling-fuzz: the header's sizes were reserved before any line was read
        // (terabytes for the first, an overflowing count * dim for the second).
        ("huge.txt", "1000000000000 300\na 1 2\n", ":2: the word \"a\" has 2 values, the header says 300"),
        ("overflow.txt", "18446744073709551615 2\na 1 2\n", ":1: the header announces 18446744073709551615 words"),
        // A non-finite value made every cosine with its word NaN, and NaN sorted first.
        ("inf.txt", "2 2\na 1 2\nb inf 0\n", ":3: the word \"b\" has the value \"inf\", which is not finite"),
        ("nan_value.txt", "1 1\na NaN\n", ":2: the word \"a\" has the value \"NaN\", which is not finite"),
        ("big.txt", "1 1\na 1e39\n", ":2: the word \"a\" has the value \"1e39\", which is not finite"),
    ];
    for (name, text, want) in cases {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        let err = WordVectors::load_text(&path).unwrap_err().to_string();
        assert!(err.contains(&format!("{name}{want}")), "{name}: {err}");
    }
    let bad_word = WordVectors::new(vec!["two words".into()], vec![1.0], 1);
    let err = bad_word.save_text(dir.join("bad.txt")).unwrap_err().to_string();
    assert!(err.contains("bad.txt:2: the word \"two words\""), "{err}");
    assert!(!dir.join("bad.txt").exists(), "nothing is written for an unwritable word");
}

/// Found by kindling-fuzz: with norms and dot products summed in f32, a value of 1e20 made its
/// squared length inf and every cosine with it NaN (inf / inf), and subnormal values lost the
/// digits of their squares (cosines above 1). Summed in f64, any finite values give [-1, 1].
#[test]
fn extreme_finite_values_give_cosines_in_range() {
    let path = temp_dir("extreme").join("extreme.txt");
    std::fs::write(&path, "4 2\nbig 3e38 -3e38\nsmall 1e-44 -1e-44\nmixed 1e20 1e-40\nzero 0 0\n").unwrap();
    let vectors = WordVectors::load_text(&path).unwrap();
    assert_eq!(vectors.similarity("big", "big"), 1.0);
    assert_eq!(vectors.similarity("big", "small"), 1.0);
    assert_eq!(vectors.similarity("zero", "big"), 0.0);
    for word in vectors.words() {
        for (other, s) in vectors.most_similar(word, 3) {
            assert!(s.is_finite() && s.abs() <= 1.0, "similarity({word}, {other}) = {s}");
        }
    }
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn project_2d_finds_the_two_directions_of_largest_spread() {
    // Points in 3-D: spread 10 along x, 3 along y, 0.1 along z, plus an offset that centring removes.
    let coords = [(-10.0f32, 0.0, 0.1), (10.0, 0.0, -0.1), (0.0, 3.0, 0.0), (0.0, -3.0, 0.0), (0.0, 0.0, 0.0)];
    let words: Vec<String> = (0..coords.len()).map(|i| format!("p{i}")).collect();
    let values: Vec<f32> = coords.iter().flat_map(|&(x, y, z)| [x + 5.0, y - 2.0, z + 1.0]).collect();
    let vectors = WordVectors::new(words.clone(), values, 3);
    let points = vectors.project_2d(&words);
    for (i, &(x, y, _)) in coords.iter().enumerate() {
        assert!((points[i].0.abs() - x.abs()).abs() < 1e-3, "point {i}: {:?}", points[i]);
        assert!((points[i].1.abs() - y.abs()).abs() < 1e-3, "point {i}: {:?}", points[i]);
    }
    // The sign rule makes the largest entry of each direction positive: here +x and +y.
    assert!(points[1].0 > 9.9 && points[2].1 > 2.9, "{points:?}");
    assert_eq!(vectors.project_2d(&words), points, "deterministic");
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(name)
}

fn pairs(v: &Value) -> Vec<(String, f32)> {
    v.as_array().unwrap().iter().map(|p| (p[0].as_str().unwrap().to_string(), p[1].as_f64().unwrap() as f32)).collect()
}

fn check_ranking(got: &[(String, f32)], want: &[(String, f32)], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: {got:?} vs gensim {want:?}");
    for (g, w) in got.iter().zip(want) {
        assert!(g.0 == w.0 && (g.1 - w.1).abs() < 1e-5, "{what}: {got:?} vs gensim {want:?}");
    }
}

#[test]
fn reads_gensims_file_and_answers_queries_as_gensim() {
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("word2vec_gensim.json")).unwrap()).unwrap();
    let vectors = WordVectors::load_text(fixture("word2vec_gensim.txt")).unwrap();
    let words: Vec<&str> = expected["words"].as_array().unwrap().iter().map(|w| w.as_str().unwrap()).collect();
    assert_eq!(vectors.words(), words);
    for (i, row) in expected["vectors"].as_array().unwrap().iter().enumerate() {
        let want: Vec<f32> = row.as_array().unwrap().iter().map(|x| x.as_f64().unwrap() as f32).collect();
        assert_eq!(vectors.get(words[i]).unwrap(), want, "row {i}");
    }
    for (word, want) in expected["most_similar"].as_object().unwrap() {
        check_ranking(&vectors.most_similar(word, 5), &pairs(want), &format!("most_similar({word})"));
    }
    for case in expected["similarity"].as_array().unwrap() {
        let (a, b) = (case[0].as_str().unwrap(), case[1].as_str().unwrap());
        let want = case[2].as_f64().unwrap() as f32;
        assert!((vectors.similarity(a, b) - want).abs() < 1e-5, "similarity({a}, {b})");
    }
    for case in expected["analogy"].as_array().unwrap() {
        let [a, b, c] = [0, 1, 2].map(|k| case[k].as_str().unwrap());
        check_ranking(&vectors.analogy(a, b, c, 3), &pairs(&case[3]), &format!("analogy({a}, {b}, {c})"));
    }
}

/// Our writer's output is pinned by a committed file, which the fixture script loaded with
/// gensim's `load_word2vec_format`; the words and numbers gensim read are in the JSON.
/// `KINDLING_WRITE_FIXTURES=1` rewrites the committed file (then rerun the script).
#[test]
fn gensim_reads_the_file_we_write() {
    let gensim = WordVectors::load_text(fixture("word2vec_gensim.txt")).unwrap();
    // A third of each value, so the numbers need many digits.
    let ours =
        WordVectors::new(gensim.words().to_vec(), gensim.vectors().iter().map(|x| x / 3.0).collect(), gensim.dim());
    let path = temp_dir("ours").join("ours.txt");
    ours.save_text(&path).unwrap();
    let written = std::fs::read_to_string(&path).unwrap();
    if std::env::var_os("KINDLING_WRITE_FIXTURES").is_some() {
        std::fs::write(fixture("word2vec_kindling.txt"), &written).unwrap();
    }
    assert_eq!(written, std::fs::read_to_string(fixture("word2vec_kindling.txt")).unwrap());
    let expected: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture("word2vec_gensim.json")).unwrap()).unwrap();
    let read = &expected["kindling_file_read_by_gensim"];
    let words: Vec<&str> = read["words"].as_array().unwrap().iter().map(|w| w.as_str().unwrap()).collect();
    assert_eq!(ours.words(), words);
    let values: Vec<f32> = read["vectors"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r.as_array().unwrap().clone())
        .map(|x| x.as_f64().unwrap() as f32)
        .collect();
    assert_eq!(ours.vectors(), values, "gensim read exactly the f32 values we wrote");
}
