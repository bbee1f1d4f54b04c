//! Times `TfidfVectorizer` fit and transform on Tiny Shakespeare, one document per speech
//! (paragraphs split at blank lines), for comparison with scikit-learn
//! (`tools/peers/tfidf_sklearn.py` does the same there).
//!
//! ```sh
//! KINDLING_DATASETS=../shared/datasets cargo run --release -p kindling-data --example tfidf_speed
//! ```

use kindling_data::{datasets_dir, tiny_shakespeare, TfidfOptions, TfidfVectorizer};
use std::time::Instant;

const REPEATS: usize = 7;

fn median_seconds(mut run: impl FnMut()) -> f64 {
    let mut times: Vec<f64> = (0..REPEATS)
        .map(|_| {
            let start = Instant::now();
            run();
            start.elapsed().as_secs_f64()
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[REPEATS / 2]
}

fn main() {
    let text = datasets_dir().and_then(|dir| tiny_shakespeare(dir.join("tinyshakespeare"))).unwrap_or_else(|e| {
        eprintln!("tfidf_speed: {e}");
        std::process::exit(2);
    });
    let docs: Vec<&str> = text.split("\n\n").filter(|d| !d.trim().is_empty()).collect();
    let options = TfidfOptions { max_features: Some(2000), ..TfidfOptions::default() };
    let mut tfidf = TfidfVectorizer::new(options);
    let fit = median_seconds(|| {
        tfidf.fit(&docs);
    });
    let transform = median_seconds(|| {
        std::hint::black_box(tfidf.transform(&docs));
    });
    println!(
        "kindling docs={} terms={} fit_ms={:.1} transform_dense_ms={:.1}",
        docs.len(),
        tfidf.vocabulary().len(),
        fit * 1e3,
        transform * 1e3
    );
}
