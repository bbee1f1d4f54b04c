//! PCA and Ward agglomerative clustering on optdigits, timed for the comparison with
//! scikit-learn (`tools/peers/pca_sklearn.py` is the other side; run the two alternately).
//!
//! ```text
//! RAYON_NUM_THREADS=1 KINDLING_DATASETS=/work/shared/datasets cargo run --release -p kindling-classic \
//!     --example pca_vs_sklearn -- 7
//! ```
//!
//! Data: the optdigits training file (3823 rows), standardised with a scaler fitted on it.
//! Prints one JSON line: the median fit times in seconds over the given number of repeats
//! (PCA, far quicker, is repeated eight times as often),
//! PCA(2)'s explained variance ratio sum, and Ward(10)'s adjusted Rand index against the digits.

use kindling_classic::cluster::AgglomerativeClustering;
use kindling_classic::decomposition::Pca;
use kindling_classic::{Clusterer, Transformer};
use kindling_data::{datasets, StandardScaler};
use std::collections::HashMap;
use std::time::Instant;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The adjusted Rand index from the contingency table (the metrics crate's is written in
/// parallel with this example).
fn adjusted_rand(a: &[i64], b: &[usize]) -> f64 {
    let pairs = |c: f64| c * (c - 1.0) / 2.0;
    let (mut table, mut rows, mut cols) = (HashMap::new(), HashMap::new(), HashMap::new());
    for (&x, &y) in a.iter().zip(b) {
        *table.entry((x, y)).or_insert(0.0) += 1.0;
        *rows.entry(x).or_insert(0.0) += 1.0;
        *cols.entry(y).or_insert(0.0) += 1.0;
    }
    let index: f64 = table.values().map(|&c| pairs(c)).sum();
    let sum_a: f64 = rows.values().map(|&c| pairs(c)).sum();
    let sum_b: f64 = cols.values().map(|&c| pairs(c)).sum();
    let expected = sum_a * sum_b / pairs(a.len() as f64);
    (index - expected) / (0.5 * (sum_a + sum_b) - expected)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let repeats: usize = std::env::args().nth(1).map_or(Ok(5), |s| s.parse())?;
    let root = kindling_data::datasets_dir()?;
    let table = datasets::optdigits(root.join("optdigits"), kindling_data::Split::Train)?;
    let x = StandardScaler::new().fit_transform(&table.features)?;
    let digits = table.labels.to_vec();

    let (mut pca_times, mut ward_times) = (Vec::new(), Vec::new());
    let (mut ratio, mut ari) = (0.0, 0.0);
    for _ in 0..repeats {
        for _ in 0..8 {
            let mut pca = Pca::new(2);
            let start = Instant::now();
            pca.fit(&x)?;
            pca_times.push(start.elapsed().as_secs_f64());
            ratio = pca.explained_variance_ratio().iter().sum();
        }
        let mut ward = AgglomerativeClustering::new(10);
        let start = Instant::now();
        ward.fit(&x)?;
        ward_times.push(start.elapsed().as_secs_f64());
        ari = adjusted_rand(&digits, ward.labels());
    }
    println!(
        "{{\"side\": \"kindling\", \"pca_fit_s\": {:.6}, \"ward_fit_s\": {:.6}, \"pca_ratio_sum\": {ratio:.12}, \"ward_ari\": {ari:.6}}}",
        median(pca_times),
        median(ward_times)
    );
    Ok(())
}
