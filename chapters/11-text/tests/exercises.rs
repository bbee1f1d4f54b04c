//! The checks of chapter 11's exercises. `cargo test -p ch11-text --features
//! learner` runs them against your `src/exercises.rs`; without the feature, against
//! the solutions. Every test name starts with its exercise number (`ex11_3_...`
//! checks exercise 11.3).

use ch11_text::checked::*;

fn close(a: f64, b: f64, tol: f64, what: &str) {
    assert!(
        (a - b).abs() <= tol,
        "{what}: got {a}, expected {b} (tolerance {tol})"
    );
}

fn close_all(a: &[f64], b: &[f64], tol: f64, what: &str) {
    assert_eq!(
        a.len(),
        b.len(),
        "{what}: {} values, expected {}",
        a.len(),
        b.len()
    );
    for (i, (&x, &y)) in a.iter().zip(b).enumerate() {
        close(x, y, tol, &format!("{what}[{i}]"));
    }
}

fn strings(s: &[&str]) -> Vec<String> {
    s.iter().map(|t| t.to_string()).collect()
}

/// A word split into single characters, with its count.
fn chars(word: &str, count: usize) -> (Vec<String>, usize) {
    (word.chars().map(String::from).collect(), count)
}

#[test]
fn ex11_1_course_unigrams_and_bigrams() {
    let tokens = ["I", "love", "NLP"];
    assert_eq!(ngrams(&tokens, 1), strings(&["I", "love", "NLP"]));
    assert_eq!(ngrams(&tokens, 2), strings(&["I love", "love NLP"]));
    assert_eq!(ngrams(&tokens, 3), strings(&["I love NLP"]));
}

#[test]
fn ex11_1_too_short_gives_none() {
    assert!(ngrams(&["to", "be"], 3).is_empty(), "two tokens have no trigram");
    assert!(ngrams(&[], 1).is_empty(), "no tokens, no unigram");
}

#[test]
#[should_panic(expected = "ngrams: n must be at least 1")]
fn ex11_1_zero_is_refused() {
    ngrams(&["a", "b"], 0);
}

#[test]
fn ex11_2_counts_are_weighted_by_word_frequency() {
    // "ab" once, "bc" in a word seen 3 times: (b, c) wins although (a, b) is first.
    let words = vec![chars("ab", 1), chars("bc", 3)];
    assert_eq!(
        most_frequent_pair(&words),
        Some(("b".to_string(), "c".to_string()))
    );
    // Sennrich et al.'s example: low 5, lower 2, newest 6, widest 3. (e, s) and (s,
    // t) tie at 9; the smaller pair wins.
    let words = vec![
        chars("low", 5),
        chars("lower", 2),
        chars("newest", 6),
        chars("widest", 3),
    ];
    assert_eq!(
        most_frequent_pair(&words),
        Some(("e".to_string(), "s".to_string()))
    );
    assert_eq!(
        most_frequent_pair(&vec![chars("a", 7)]),
        None,
        "one symbol has no pair"
    );
}

#[test]
fn ex11_2_merge_scans_left_to_right() {
    let pair = ("a".to_string(), "a".to_string());
    assert_eq!(
        merge_pair(&strings(&["a", "a", "a"]), &pair),
        strings(&["aa", "a"])
    );
    assert_eq!(
        merge_pair(&strings(&["a", "a", "a", "a"]), &pair),
        strings(&["aa", "aa"])
    );
    let es = ("e".to_string(), "s".to_string());
    assert_eq!(
        merge_pair(&strings(&["n", "e", "w", "e", "s", "t"]), &es),
        strings(&["n", "e", "w", "es", "t"])
    );
    assert_eq!(
        merge_pair(&strings(&["s", "e"]), &es),
        strings(&["s", "e"]),
        "order matters"
    );
}

#[test]
fn ex11_2_two_steps_of_training() {
    let mut words = vec![
        chars("low", 5),
        chars("lower", 2),
        chars("newest", 6),
        chars("widest", 3),
    ];
    let mut merges = Vec::new();
    for _ in 0..3 {
        let pair = most_frequent_pair(&words).expect("a pair");
        words = words.iter().map(|(s, c)| (merge_pair(s, &pair), *c)).collect();
        merges.push(format!("{}+{}", pair.0, pair.1));
    }
    // After e+s, (es, t) occurs 9 times; then (l, o) 7 times.
    assert_eq!(merges, ["e+s", "es+t", "l+o"]);
    assert_eq!(words[2].0, strings(&["n", "e", "w", "est"]));
}

#[test]
fn ex11_3_course_fixture_textbook() {
    // INVENTORY section 3, row 26: "I love NLP", "I love machine learning".
    let docs =
        vec![vec!["I", "love", "NLP"], vec!["I", "love", "machine", "learning"]];
    let (vocab, m) = tfidf_textbook(&docs);
    assert_eq!(vocab, strings(&["I", "love", "NLP", "machine", "learning"]));
    let ln2 = 2f64.ln(); // 0.693147...
    close_all(&m[0], &[0.0, 0.0, ln2, 0.0, 0.0], 1e-12, "doc 1");
    close_all(&m[1], &[0.0, 0.0, 0.0, ln2, ln2], 1e-12, "doc 2");
}

#[test]
fn ex11_3_textbook_weights_raw_counts() {
    let docs = vec![vec!["a", "b", "b"], vec!["a"], vec!["c"]];
    let (vocab, m) = tfidf_textbook(&docs);
    assert_eq!(vocab, strings(&["a", "b", "c"]));
    let (ln3, ln32) = (3f64.ln(), 1.5f64.ln());
    close_all(&m[0], &[ln32, 2.0 * ln3, 0.0], 1e-12, "doc 1 (b counted twice)");
    close_all(&m[2], &[0.0, 0.0, ln3], 1e-12, "doc 3");
}

#[test]
fn ex11_3_matches_scikit_learn() {
    // TfidfVectorizer(analyzer=lambda d: d) in scikit-learn 1.9 on these token
    // lists (tests/make_sklearn_tfidf.py prints them).
    let docs = vec![
        vec!["I", "love", "NLP"],
        vec!["I", "love", "machine", "learning"],
        vec!["I", "love", "love", "Rust"],
    ];
    let (vocab, m) = tfidf_sklearn(&docs, false);
    assert_eq!(
        vocab,
        strings(&["I", "NLP", "Rust", "learning", "love", "machine"])
    );
    close_all(
        &m[0],
        &[0.453294655227886, 0.767494567461988, 0.0, 0.0, 0.453294655227886, 0.0],
        1e-12,
        "doc 1",
    );
    close_all(
        &m[2],
        &[0.356535187467553, 0.0, 0.603666547431099, 0.0, 0.713070374935106, 0.0],
        1e-12,
        "doc 3",
    );
    let (_, m) = tfidf_sklearn(&docs, true);
    close_all(
        &m[2],
        &[0.385371627466401, 0.0, 0.652490884512534, 0.0, 0.652490884512534, 0.0],
        1e-12,
        "doc 3, sublinear tf",
    );
    let norm: f64 = m[1].iter().map(|w| w * w).sum::<f64>().sqrt();
    close(norm, 1.0, 1e-12, "every row has unit length");
}

#[test]
fn ex11_4_window_one() {
    assert_eq!(
        skipgram_pairs(&[10, 11, 12], 1),
        vec![(10, 11), (11, 10), (11, 12), (12, 11)]
    );
}

#[test]
fn ex11_4_window_two_and_the_ends() {
    let pairs = skipgram_pairs(&[0, 1, 2, 3, 4], 2);
    assert_eq!(&pairs[..5], &[(0, 1), (0, 2), (1, 0), (1, 2), (1, 3)]);
    // Every ordered pair at distance 1 or 2: 2·(4 + 3) = 14.
    assert_eq!(pairs.len(), 14);
    assert_eq!(pairs.last(), Some(&(4, 3)));
}

#[test]
fn ex11_4_window_wider_than_the_sentence() {
    assert_eq!(skipgram_pairs(&[5, 6], 10), vec![(5, 6), (6, 5)]);
    assert!(skipgram_pairs(&[5], 3).is_empty(), "one word has no context");
}

#[test]
fn ex11_5_zero_vectors() {
    // Every score is 0, so every term is ln 2, and every σ is 1/2.
    let zero = vec![0.0; 3];
    let g = sgns_loss_and_grads(
        &zero,
        &[1.0, 2.0, 3.0],
        &[vec![0.5, 0.0, -1.0], vec![2.0, 2.0, 2.0]],
    );
    close(
        g.loss,
        3.0 * 2f64.ln(),
        1e-12,
        "loss with one positive and two negatives",
    );
    // ∂L/∂v = −½ u_o + ½ (u_1 + u_2)
    close_all(&g.centre, &[0.75, 0.0, -1.0], 1e-12, "∂L/∂v");
    close_all(&g.context, &zero, 1e-12, "∂L/∂u_o is a multiple of v = 0");
}

#[test]
fn ex11_5_gradients_match_finite_differences() {
    let v = vec![0.3, -0.2, 0.5, 0.1];
    let u = vec![-0.4, 0.6, 0.2, 0.3];
    let negs = vec![vec![0.1, 0.7, -0.5, 0.2], vec![-0.3, -0.1, 0.4, 0.8]];
    let g = sgns_loss_and_grads(&v, &u, &negs);
    let h = 1e-6;
    let loss_at = |v: &[f64], u: &[f64], negs: &[Vec<f64>]| {
        sgns_loss_and_grads(v, u, negs).loss
    };
    for i in 0..4 {
        let (mut vp, mut vm) = (v.clone(), v.clone());
        vp[i] += h;
        vm[i] -= h;
        close(
            (loss_at(&vp, &u, &negs) - loss_at(&vm, &u, &negs)) / (2.0 * h),
            g.centre[i],
            1e-8,
            &format!("∂L/∂v[{i}]"),
        );
        let (mut up, mut um) = (u.clone(), u.clone());
        up[i] += h;
        um[i] -= h;
        close(
            (loss_at(&v, &up, &negs) - loss_at(&v, &um, &negs)) / (2.0 * h),
            g.context[i],
            1e-8,
            &format!("∂L/∂u_o[{i}]"),
        );
        for k in 0..2 {
            let (mut np, mut nm) = (negs.clone(), negs.clone());
            np[k][i] += h;
            nm[k][i] -= h;
            let numeric = (loss_at(&v, &u, &np) - loss_at(&v, &u, &nm)) / (2.0 * h);
            close(numeric, g.negatives[k][i], 1e-8, &format!("∂L/∂u_{k}[{i}]"));
        }
    }
}

#[test]
fn ex11_5_large_scores_stay_finite() {
    // Scores of +50 for the context and +60 for the negative: the negative costs
    // about 60.
    let g = sgns_loss_and_grads(&[10.0], &[5.0], &[vec![6.0]]);
    assert!(g.loss.is_finite(), "loss {} should be finite", g.loss);
    close(g.loss, 60.0, 1e-9, "loss ≈ −ln σ(50) − ln σ(−60)");
    close(g.negatives[0][0], 10.0, 1e-9, "σ(60)·v");
    // Scores of −800: σ underflows in a naive formula, the loss is still 800.
    let g = sgns_loss_and_grads(&[-40.0], &[20.0], &[]);
    close(g.loss, 800.0, 1e-9, "−ln σ(−800)");
}

#[test]
fn ex11_6_cosine() {
    close(cosine(&[1.0, 0.0], &[0.0, 3.0]), 0.0, 1e-12, "orthogonal");
    close(cosine(&[1.0, 2.0], &[2.0, 4.0]), 1.0, 1e-12, "parallel");
    close(cosine(&[1.0, 2.0], &[-1.0, -2.0]), -1.0, 1e-12, "opposite");
    close(cosine(&[1.0, 1.0], &[1.0, 0.0]), 0.5f64.sqrt(), 1e-12, "45 degrees");
    close(cosine(&[0.0, 0.0], &[1.0, 0.0]), 0.0, 0.0, "a zero vector");
}

#[test]
fn ex11_6_king_man_woman_on_made_up_vectors() {
    // Axes: royalty, maleness, femaleness, fruitiness. Lengths differ on purpose.
    let words = ["king", "queen", "man", "woman", "prince", "apple"];
    let vectors = vec![
        vec![2.0, 2.0, 0.0, 0.0],
        vec![1.0, 0.0, 1.0, 0.0],
        vec![0.0, 5.0, 0.0, 0.0],
        vec![0.0, 0.0, 3.0, 0.1],
        vec![1.0, 1.2, 0.0, 0.0],
        vec![0.0, 0.0, 0.2, 4.0],
    ];
    let best = analogy(&words, &vectors, "man", "king", "woman", 2);
    assert_eq!(best.len(), 2);
    assert_eq!(best[0].0, "queen", "man : king :: woman : ? gave {best:?}");
    // unit(king) − unit(man) + unit(woman) = (0.7071, −0.2929, 0.9994, 0.0333).
    close(best[0].1, 0.95826, 1e-4, "cosine of queen with the target");
    assert!(
        best.iter().all(|(w, _)| !["man", "king", "woman"].contains(&w.as_str())),
        "query words excluded: {best:?}"
    );
}

#[test]
fn ex11_6_query_words_are_left_out() {
    // Without the exclusion, "b" itself would win: b − a + c ≈ b when a ≈ c.
    let words = ["a", "b", "c", "d"];
    let vectors =
        vec![vec![1.0, 0.0], vec![0.0, 1.0], vec![1.0, 0.01], vec![0.5, 1.0]];
    let best = analogy(&words, &vectors, "a", "b", "c", 5);
    assert_eq!(best.iter().map(|(w, _)| w.as_str()).collect::<Vec<_>>(), ["d"]);
}
