//! PCA and Ward agglomerative clustering on optdigits, timed for the comparison with
//! scikit-learn (`tools/peers/pca_sklearn.py` is the other side; run the two alternately).
//!
//! ```text
//! RAYON_NUM_THREADS=1 KINDLING_DATASETS=/work/shared/datasets cargo run --release -p kindling-classic \
//!     --example pca_vs_sklearn -- 7
//! ```
//!
//! `-- 7 --plot digits.svg` also writes the 2-D projection of the training digits (PCA(2)
//! scores, one colour per digit) as an SVG scatter plot, the chapter's figure.
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

/// The rows of `scores` (`[n, 2]`) as an SVG scatter plot, one colour per digit, with a legend.
fn scatter_svg(scores: &[f64], digits: &[i64]) -> String {
    const COLOURS: [&str; 10] =
        ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"];
    let (size, margin) = (560.0, 40.0);
    let bounds = |axis: usize| {
        let values = scores.iter().skip(axis).step_by(2);
        let low = values.clone().cloned().fold(f64::INFINITY, f64::min);
        let high = values.cloned().fold(f64::NEG_INFINITY, f64::max);
        (low, (high - low).max(1e-12))
    };
    let ((x0, xw), (y0, yw)) = (bounds(0), bounds(1));
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{size}\" font-family=\"sans-serif\" \
         font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n",
        w = size + 80.0
    );
    for (point, &digit) in scores.chunks(2).zip(digits) {
        let x = margin + (point[0] - x0) / xw * (size - 2.0 * margin);
        let y = size - margin - (point[1] - y0) / yw * (size - 2.0 * margin);
        svg += &format!(
            "<circle cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"2\" fill=\"{}\" fill-opacity=\"0.6\"/>\n",
            COLOURS[digit as usize % 10]
        );
    }
    for (digit, colour) in COLOURS.iter().enumerate() {
        let y = margin + 20.0 * digit as f64;
        svg += &format!(
            "<circle cx=\"{:.0}\" cy=\"{y}\" r=\"5\" fill=\"{colour}\"/><text x=\"{:.0}\" y=\"{:.0}\">{digit}</text>\n",
            size + 20.0,
            size + 32.0,
            y + 4.0
        );
    }
    svg += &format!(
        "<text x=\"{:.0}\" y=\"{:.0}\" text-anchor=\"middle\">first component</text>\n<text x=\"14\" y=\"{:.0}\" \
         transform=\"rotate(-90 14 {:.0})\" text-anchor=\"middle\">second component</text>\n</svg>\n",
        size / 2.0,
        size - 10.0,
        size / 2.0,
        size / 2.0
    );
    svg
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let repeats: usize = args.first().map_or(Ok(5), |s| s.parse())?;
    let plot = args.iter().position(|a| a == "--plot").and_then(|i| args.get(i + 1)).cloned();
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
    if let Some(path) = plot {
        let mut pca = Pca::new(2);
        let scores = pca.fit_transform(&x)?;
        std::fs::write(&path, scatter_svg(&scores.to_vec(), &digits))?;
        eprintln!("wrote the 2-D projection of {} digits to {path}", digits.len());
    }
    println!(
        "{{\"side\": \"kindling\", \"pca_fit_s\": {:.6}, \"ward_fit_s\": {:.6}, \"pca_ratio_sum\": {ratio:.12}, \"ward_ari\": {ari:.6}}}",
        median(pca_times),
        median(ward_times)
    );
    Ok(())
}
