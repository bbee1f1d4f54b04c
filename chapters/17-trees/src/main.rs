//! Chapter 17's demo: `cargo run --release -p ch17-trees [-- --only SECTION]`, with
//! `KINDLING_DATASETS` set to the folder holding `optdigits/` for the sections on real data
//! (they say what they skipped without it and keep earlier files).
//!
//! Sections, in order (`--only` runs one):
//!
//! - `tree-by-hand`: the fruit table's impurities and every candidate threshold;
//! - `pca`: PCA of optdigits by SVD, the 2-D projection and the explained variance.
//!
//! Timings run on one thread (the rule for comparisons with scikit-learn); `--threads N`
//! changes that. Everything goes to `book/src/generated/17-trees/`.

use ch17_trees::plots;
use ch17_trees::*;
use chapter_kit::{markdown_table, LineChart, Output};
use kindling_data::datasets::{self, Split};
use std::path::PathBuf;

type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

const PROGRAM: &str = "ch17-trees";

/// One section of the demo: its name for `--only`, and what it runs.
type Section = (&'static str, fn(&Output) -> Result);

fn main() -> Result {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let only = chapter_kit::flag_value(PROGRAM, &args, "--only");
    let threads = chapter_kit::flag_number(PROGRAM, &args, "--threads").unwrap_or(1);
    rayon::ThreadPoolBuilder::new().num_threads(threads).build_global()?;
    let out = Output::for_chapter("17-trees")?;
    let sections: [Section; 2] = [("tree-by-hand", tree_by_hand), ("pca", pca)];
    if let Some(name) = &only {
        if !sections.iter().any(|(s, _)| s == name) {
            let names: Vec<&str> = sections.iter().map(|(s, _)| *s).collect();
            return Err(format!("--only {name}: no such section (the sections are {})", names.join(", ")).into());
        }
    }
    for (name, run) in sections {
        if only.as_deref().is_none_or(|o| o == name) {
            run(&out)?;
        }
    }
    Ok(())
}

/// The folder of real datasets, or `None` (and a loud line) when `KINDLING_DATASETS` is unset.
fn datasets_dir(out: &Output, section: &str) -> Option<PathBuf> {
    match std::env::var_os("KINDLING_DATASETS") {
        Some(dir) => Some(PathBuf::from(dir)),
        None => {
            out.step(&format!("{section}: skipped: KINDLING_DATASETS is unset (earlier files are kept)"));
            None
        }
    }
}

/// Class counts as "4 / 5 / 0" (plums / apples / melons).
fn counts_text(counts: &[usize]) -> String {
    counts.iter().map(usize::to_string).collect::<Vec<_>>().join(" / ")
}

fn tree_by_hand(out: &Output) -> Result {
    out.step("a tree by hand: the fruit table, its root impurity and every candidate split");
    let (x, y, features, classes) = fruit();
    let values = x.to_vec();
    let mut root = [0usize; 3];
    y.iter().for_each(|&c| root[c] += 1);
    let mut rows = Vec::new();
    let root_gini = Impurity::Gini.of(&root);
    let root_entropy = Impurity::Entropy.of(&root);
    let mut chart = LineChart::new("What each split of the fruit leaves of the root's impurity")
        .x_label("diameter threshold (cm)")
        .y_label("weighted impurity / root impurity");
    for (j, feature) in features.iter().enumerate() {
        let column: Vec<f64> = values.iter().skip(j).step_by(2).copied().collect();
        let gini = scan_thresholds(&column, &y, 3, Impurity::Gini);
        let entropy = scan_thresholds(&column, &y, 3, Impurity::Entropy);
        for (g, e) in gini.iter().zip(&entropy) {
            rows.push(vec![
                feature.to_string(),
                format!("{}", g.threshold),
                counts_text(&g.left),
                counts_text(&g.right),
                format!("{:.4}", g.weighted_impurity),
                format!("{:.4}", e.weighted_impurity),
            ]);
        }
        if *feature == "diameter" {
            let relative = |c: &[Candidate], root: f64| c.iter().map(|c| (c.threshold, c.weighted_impurity / root)).collect();
            chart = chart.series("Gini", relative(&gini, root_gini)).dashed_series("entropy", relative(&entropy, root_entropy));
        }
    }
    let header = format!("right (>): {}", classes.join(" / "));
    let table = markdown_table(
        &["feature", "threshold", "left (≤)", &header, "weighted Gini", "weighted entropy (bits)"],
        &rows,
    );
    out.write(
        "fruit-splits.md",
        &format!(
            "{table}\nThe root holds {} {}: Gini {root_gini:.4}, entropy {root_entropy:.4} bits.\n",
            counts_text(&root),
            classes.join(" / "),
        ),
    )?;
    out.write("fruit-scan.svg", &chart.include_y(0.0, 1.0).to_svg())?;
    Ok(())
}

fn pca(out: &Output) -> Result {
    let Some(dir) = datasets_dir(out, "pca") else { return Ok(()) };
    out.step("PCA of optdigits (training file, standardised) by SVD");
    let train = datasets::optdigits(dir.join("optdigits"), Split::Train)?;
    let x = standardise(&train.features);
    let d = x.shape()[1];
    let (_, projected, variance) = pca_by_hand(&x, d);
    let total: f64 = variance.iter().sum();
    let ratio: Vec<f64> = variance.iter().map(|v| v / total).collect();
    let labels: Vec<usize> = train.labels.to_vec().iter().map(|&l| l as usize).collect();
    let p = projected.to_vec();
    let points: Vec<(f64, f64)> = p.chunks(d).map(|r| (r[0], r[1])).collect();
    let names: Vec<String> = (0..10).map(|k| format!("digit {k}")).collect();
    out.write(
        "pca-digits.svg",
        &plots::scatter_by_class(
            &format!("optdigits on its first two principal components ({:.1}% of the variance)", 100.0 * (ratio[0] + ratio[1])),
            &points,
            &labels,
            &names,
            ("component 1", "component 2"),
        ),
    )?;
    let mut cumulative = 0.0;
    let curve: Vec<(f64, f64)> = ratio
        .iter()
        .enumerate()
        .map(|(i, r)| {
            cumulative += r;
            ((i + 1) as f64, cumulative)
        })
        .collect();
    let chart = LineChart::new("Explained variance of optdigits' principal components")
        .x_label("components kept")
        .y_label("fraction of the variance")
        .series("cumulative", curve.clone())
        .series("each component", ratio.iter().enumerate().map(|(i, r)| ((i + 1) as f64, *r)).collect())
        .include_y(0.0, 1.0);
    out.write("pca-variance.svg", &chart.to_svg())?;
    let needed = |fraction: f64| curve.iter().position(|&(_, c)| c >= fraction).map_or(d, |i| i + 1);
    let rows = vec![
        vec!["first component".into(), format!("{:.4}", ratio[0])],
        vec!["first two".into(), format!("{:.4}", ratio[0] + ratio[1])],
        vec!["components for 50%".into(), needed(0.5).to_string()],
        vec!["components for 90%".into(), needed(0.9).to_string()],
        vec!["components for 99%".into(), needed(0.99).to_string()],
        vec!["components with zero variance".into(), variance.iter().filter(|&&v| v < 1e-20).count().to_string()],
    ];
    out.write("pca.md", &markdown_table(&["", "optdigits, standardised"], &rows))?;
    Ok(())
}
