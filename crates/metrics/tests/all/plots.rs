//! Every plot is written as PNG and SVG with the requested size (run with KEEP_PLOTS=1 to keep
//! the images in the system's temporary folder).

use kindling_metrics::metrics::ConfusionMatrix;
use kindling_metrics::plot::{self, PlotOptions};
use kindling_metrics::{EpochLog, History};
use kindling_tensor::Tensor;
use std::path::{Path, PathBuf};

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("kindling-metrics-plots-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        // KEEP_PLOTS=1 leaves the images in the temporary folder, to look at them.
        if std::env::var_os("KEEP_PLOTS").is_none() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

/// Width and height from a PNG's IHDR chunk.
fn png_size(path: &Path) -> (u32, u32) {
    let bytes = std::fs::read(path).unwrap();
    assert!(bytes.len() > 100, "{} is nearly empty", path.display());
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "{} is not a PNG", path.display());
    assert_eq!(&bytes[12..16], b"IHDR");
    let be = |i: usize| u32::from_be_bytes(bytes[i..i + 4].try_into().unwrap());
    (be(16), be(20))
}

fn check_svg(path: &Path, width: u32, height: u32) {
    let text = std::fs::read_to_string(path).unwrap();
    assert!(
        text.trim_start().starts_with("<svg") || text.trim_start().starts_with("<?xml"),
        "{}",
        &text[..80.min(text.len())]
    );
    assert!(text.trim_end().ends_with("</svg>"), "the SVG is not closed");
    assert!(text.contains(&format!("width=\"{width}\"")) && text.contains(&format!("height=\"{height}\"")));
    assert!(text.contains("<text"), "the SVG has no text");
}

fn check_both(dir: &TempDir, name: &str, options: &PlotOptions, draw: impl Fn(&Path)) {
    let png = dir.0.join(format!("{name}.png"));
    let svg = dir.0.join(format!("{name}.svg"));
    draw(&png);
    draw(&svg);
    assert_eq!(png_size(&png), (options.width, options.height));
    check_svg(&svg, options.width, options.height);
}

fn history() -> History {
    let mut h = History::new();
    for e in 0..8 {
        let mut log = EpochLog::new(e);
        log.set("loss", 1.0 / (e as f64 + 1.0));
        log.set("accuracy", 1.0 - 0.5 / (e as f64 + 1.0));
        log.set("val_loss", 1.1 / (e as f64 + 1.0) + 0.01 * e as f64);
        log.set("val_accuracy", 0.95 - 0.5 / (e as f64 + 1.0));
        log.set("lr", 0.01);
        h.push(&log);
    }
    h
}

#[test]
fn training_curves() {
    let dir = TempDir::new("curves");
    let h = history();
    let options = PlotOptions::sized(640, 480).title("MLP on moons");
    check_both(&dir, "history", &options, |p| plot::history(&h, p, &options).unwrap());
    let options = PlotOptions::default();
    check_both(&dir, "loss", &options, |p| plot::curves(&h, "loss", p, &options).unwrap());
    let err = plot::curves(&h, "f1", dir.0.join("f1.png"), &options).unwrap_err().to_string();
    assert!(err.contains("f1"), "{err}");
    let err = plot::curves(&h, "loss", dir.0.join("loss.jpg"), &options).unwrap_err().to_string();
    assert!(err.contains(".png or .svg"), "{err}");
}

#[test]
fn confusion_matrix_heatmap() {
    let dir = TempDir::new("cm");
    let cm = ConfusionMatrix::from_labels(&[0, 0, 1, 1, 2, 2, 2], &[0, 1, 1, 1, 2, 0, 2], 3);
    let options = PlotOptions::sized(500, 500);
    check_both(&dir, "cm", &options, |p| plot::confusion_matrix(&cm, &["cat", "dog", "bird"], p, &options).unwrap());
}

#[test]
fn decision_boundary_of_a_2d_classifier() {
    let dir = TempDir::new("boundary");
    let (x, y) = kindling_data::synthetic::moons(100, 0.1, 0);
    let labels = y.to_vec();
    // A stand-in classifier: above or below a line.
    let classify = |grid: &Tensor<f32>| grid.to_vec().chunks(2).map(|p| i64::from(p[1] < 0.25)).collect::<Vec<i64>>();
    let options = PlotOptions::sized(600, 450);
    check_both(&dir, "boundary", &options, |p| {
        plot::decision_boundary(classify, &x, &labels, 60, p, &options).unwrap()
    });
    // Named axes and a key naming each class, beside the plot rather than over it.
    let svg = svg_text(&dir, "boundary");
    for label in ["x₁", "x₂", "class", "0", "1"] {
        assert!(has_text(&svg, label), "the decision boundary SVG lacks {label}");
    }
    assert!(!has_text(&svg, "2"), "a key entry for a class that is not there");
}

#[test]
fn predictions_against_targets() {
    let dir = TempDir::new("pred");
    let x: Vec<f32> = (0..50).map(|i| i as f32 / 50.0).collect();
    let t: Vec<f32> = x.iter().map(|x| 0.7 * x + 0.3).collect();
    let p: Vec<f32> = x.iter().map(|x| 0.6 * x + 0.35).collect();
    let options = PlotOptions::default();
    check_both(&dir, "pred", &options, |path| plot::predictions(&x, &t, &p, path, &options).unwrap());
}

#[test]
fn image_grid_with_true_and_predicted_labels() {
    let dir = TempDir::new("grid");
    let images = Tensor::from_vec((0..6 * 28 * 28).map(|i| (i % 28) as f32 / 27.0).collect(), [6, 28, 28]);
    let actual = [0, 1, 2, 3, 4, 5];
    let predicted = [0, 1, 2, 0, 4, 9];
    let names = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal"];
    let options = PlotOptions::sized(600, 400);
    check_both(&dir, "grid", &options, |p| {
        plot::image_grid(&images, &actual, Some(&predicted), &names, 3, p, &options).unwrap()
    });
    // The label over the prediction, each on its own line; a name without a class name is
    // its number.
    let svg = svg_text(&dir, "grid");
    for label in ["Dress", "pred: T-shirt/top", "Sandal", "pred: 9"] {
        assert!(has_text(&svg, label), "the grid SVG lacks {label}");
    }
    let options = PlotOptions::sized(300, 300);
    check_both(&dir, "grid_true", &options, |p| {
        plot::image_grid(&images, &actual, None, &names, 2, p, &options).unwrap()
    });
    // Without predictions a tile shows its label alone (feature maps read "channel 3").
    let svg = svg_text(&dir, "grid_true");
    assert!(has_text(&svg, "Pullover"), "the plain grid lacks its labels");
    assert!(!svg.contains("true:") && !svg.contains("pred:"), "{svg}");
}

fn svg_text(dir: &TempDir, name: &str) -> String {
    std::fs::read_to_string(dir.0.join(format!("{name}.svg"))).unwrap()
}

/// Whether the SVG writes `text` as a text element's whole content (plotters puts it on a
/// line of its own).
fn has_text(svg: &str, text: &str) -> bool {
    svg.lines().any(|line| line.trim() == text)
}

fn panic_message(f: impl FnOnce() + std::panic::UnwindSafe) -> String {
    let err = std::panic::catch_unwind(f).expect_err("expected a panic");
    err.downcast_ref::<String>().cloned().or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string())).unwrap()
}

#[test]
fn heatmap_of_attention_weights() {
    let dir = TempDir::new("heatmap");
    // 20 output steps attending over 20 input tokens, mostly along the anti-diagonal (reversal).
    let n = 20;
    let weights: Vec<f32> =
        (0..n * n).map(|i| if i % n == n - 1 - i / n { 0.8 } else { 0.2 / (n - 1) as f32 }).collect();
    let weights = Tensor::from_vec(weights, [n, n]);
    let inputs: Vec<String> = (0..n).map(|i| format!("in{i}")).collect();
    let outputs: Vec<String> = (0..n).map(|i| format!("out{i}")).collect();
    let options = PlotOptions::sized(700, 650).title("Attention");
    check_both(&dir, "attention", &options, |p| plot::heatmap(&weights, &outputs, &inputs, p, &options).unwrap());
    let svg = svg_text(&dir, "attention");
    for label in ["in0", "in19", "out0", "out19", "Attention", "0.800"] {
        assert!(has_text(&svg, label), "the heatmap SVG lacks {label}");
    }
    // A small grid prints its values in the cells.
    let small = Tensor::from_vec(vec![0.25f32, 0.75, 1.0, 0.0], [2, 2]);
    let names = ["a".to_string(), "b".to_string()];
    let options = PlotOptions::sized(400, 300);
    check_both(&dir, "small", &options, |p| plot::heatmap(&small, &names, &names, p, &options).unwrap());
    assert!(has_text(&svg_text(&dir, "small"), "0.75"));
}

#[test]
fn heatmap_shape_mismatches_panic() {
    let values = Tensor::from_vec(vec![0.0f32; 6], [2, 3]);
    let two = ["a", "b"];
    let msg = panic_message(|| {
        plot::heatmap(&values, &two, &two, "never.svg", &PlotOptions::default()).unwrap();
    });
    assert!(msg.contains("plot::heatmap: 2 column labels for 3 columns"), "{msg}");
    let msg = panic_message(|| {
        plot::heatmap(&values, &["a"], &["a", "b", "c"], "never.svg", &PlotOptions::default()).unwrap();
    });
    assert!(msg.contains("plot::heatmap: 1 row labels for 2 rows"), "{msg}");
    let msg = panic_message(|| {
        plot::heatmap(&Tensor::from_vec(vec![0.0f32; 6], [6]), &two, &two, "never.svg", &PlotOptions::default())
            .unwrap();
    });
    assert_eq!(msg, "plot::heatmap: values must be [rows, cols], got [6]");
}

#[test]
fn scatter_of_labelled_points() {
    let dir = TempDir::new("scatter");
    // About 60 "words" on a spiral, as a 2-D embedding projection would place them.
    let words: Vec<String> = (0..60).map(|i| format!("word{i}")).collect();
    let points: Vec<(f32, f32)> = (0..60)
        .map(|i| {
            let t = i as f32 * 0.3;
            (t.cos() * (1.0 + t), t.sin() * (1.0 + t))
        })
        .collect();
    let options = PlotOptions::sized(800, 700).title("Embeddings");
    check_both(&dir, "words", &options, |p| plot::scatter_labeled(&points, &words, p, &options).unwrap());
    let svg = svg_text(&dir, "words");
    for w in ["word0", "word31", "word59", "Embeddings"] {
        assert!(has_text(&svg, w), "the scatter SVG lacks {w}");
    }
    let msg = panic_message(|| {
        plot::scatter_labeled(&points[..3], &words[..2], "never.png", &PlotOptions::default()).unwrap();
    });
    assert!(msg.contains("plot::scatter_labeled: 3 points but 2 labels"), "{msg}");
}
