//! Plots of a training run, drawn with `plotters`: loss and metric curves, a confusion-matrix
//! heatmap, the decision boundary of a 2-D classifier, predictions against targets, a grid of
//! images with their true and predicted labels, a labelled heatmap (attention weights) and a
//! scatter of labelled points (a 2-D map of word embeddings).
//!
//! - The file's extension picks the format: `.png` (a bitmap) or `.svg` (vector); anything
//!   else is an error.
//! - [`PlotOptions`] sets the size in pixels (default 800 × 600) and an optional title.
//! - Text uses DejaVu Sans, shipped inside this crate (`assets/DejaVuSans.ttf`, with its
//!   licence beside it) and rendered by `ab_glyph`, so no system font library is needed and
//!   the images look the same on every machine.
//! - Files are written in place (plots are outputs, not state: a crash leaves at worst a
//!   partial image that the next run overwrites).
//!
//! ```no_run
//! # use kindling_metrics::{History, EpochLog};
//! use kindling_metrics::plot::{self, PlotOptions};
//! # let history = History::new();
//! plot::history(&history, "curves.png", &PlotOptions::default()).unwrap();
//! ```

use crate::history::History;
use crate::MetricsError;
use kindling_tensor::Tensor;
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;
use std::path::Path;
use std::sync::Once;

static FONT: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");
static REGISTER: Once = Once::new();

fn register_fonts() {
    REGISTER.call_once(|| {
        for family in ["sans-serif", "serif", "monospace"] {
            if plotters::style::register_font(family, FontStyle::Normal, FONT).is_err() {
                panic!("plot: the bundled DejaVu Sans font could not be parsed");
            }
        }
    });
}

/// Size and title of a plot.
#[derive(Clone, Debug, PartialEq)]
pub struct PlotOptions {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// A caption above the plot (each plot has a sensible default).
    pub title: Option<String>,
}

impl Default for PlotOptions {
    fn default() -> Self {
        PlotOptions { width: 800, height: 600, title: None }
    }
}

impl PlotOptions {
    /// The default options with another size.
    pub fn sized(width: u32, height: u32) -> Self {
        PlotOptions { width, height, title: None }
    }

    /// The same options with a title.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }
}

type DrawResult = Result<(), String>;

fn err<E: std::fmt::Debug>(e: E) -> String {
    format!("{e:?}")
}

/// Runs `$draw` on a drawing area of the format named by the path's extension.
macro_rules! render {
    ($path:expr, $options:expr, |$root:ident| $draw:expr) => {{
        register_fonts();
        let path: &Path = $path.as_ref();
        let size = ($options.width, $options.height);
        let extension = path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase);
        let result: DrawResult = match extension.as_deref() {
            Some("png") => {
                let $root = BitMapBackend::new(path, size).into_drawing_area();
                $draw.and_then(|_| $root.present().map_err(err))
            }
            Some("svg") => {
                let $root = SVGBackend::new(path, size).into_drawing_area();
                $draw.and_then(|_| $root.present().map_err(err))
            }
            _ => Err("the file name must end in .png or .svg".to_string()),
        };
        result.map_err(|reason| MetricsError::Plot { path: path.to_path_buf(), reason })
    }};
}

mod heatmap;
mod scatter;

pub use heatmap::{confusion_matrix, heatmap};
pub use scatter::scatter_labeled;

/// A colour per series or class, distinguishable and colour-blind friendly (Okabe–Ito).
pub const PALETTE: [RGBColor; 8] = [
    RGBColor(0, 114, 178),
    RGBColor(230, 159, 0),
    RGBColor(0, 158, 115),
    RGBColor(204, 121, 167),
    RGBColor(86, 180, 233),
    RGBColor(213, 94, 0),
    RGBColor(240, 228, 66),
    RGBColor(0, 0, 0),
];

fn class_color(c: usize) -> RGBColor {
    PALETTE[c % PALETTE.len()]
}

/// Finite min/max of some values, widened a little so lines do not touch the frame.
fn padded_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for v in values.filter(|v| v.is_finite()) {
        lo = lo.min(v);
        hi = hi.max(v);
    }
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let pad = if hi > lo { (hi - lo) * 0.05 } else { lo.abs().max(1.0) * 0.05 };
    (lo - pad, hi + pad)
}

/// A white drawing with a caption (the plot's title, else `default_caption`) and axes over
/// `x` × `y`: the frame of every scatter-like plot.
fn xy_chart<'a, DB: DrawingBackend>(
    root: &'a DrawingArea<DB, Shift>,
    options: &PlotOptions,
    default_caption: &str,
    x: std::ops::Range<f64>,
    y: std::ops::Range<f64>,
) -> Result<ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>, String> {
    root.fill(&WHITE).map_err(err)?;
    ChartBuilder::on(root)
        .caption(options.title.as_deref().unwrap_or(default_caption), ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(35)
        .y_label_area_size(50)
        .build_cartesian_2d(x, y)
        .map_err(err)
}

// ---------------------------------------------------------------------------------------------
// Training curves
// ---------------------------------------------------------------------------------------------

/// One chart: `name` (training) and `val_name` (validation) against the epoch (from 1).
pub fn curves(
    history: &History,
    name: &str,
    path: impl AsRef<Path>,
    options: &PlotOptions,
) -> Result<(), MetricsError> {
    render!(path, options, |root| draw_curves(&root, history, name, options.title.as_deref()))
}

/// One panel per quantity in the history (`loss`, `accuracy`, ...; `lr` and `seconds`
/// left out), each with its training and validation curves: the chart for diagnosing
/// under- and overfitting.
pub fn history(history: &History, path: impl AsRef<Path>, options: &PlotOptions) -> Result<(), MetricsError> {
    let names: Vec<String> = history
        .names()
        .iter()
        .filter(|n| !n.starts_with("val_") && *n != "lr" && *n != "seconds")
        .cloned()
        .chain(history.names().iter().filter_map(|n| {
            // Validation-only quantities still get a panel.
            let base = n.strip_prefix("val_")?;
            (!history.names().iter().any(|m| m == base)).then(|| base.to_string())
        }))
        .collect();
    render!(path, options, |root| {
        (|| -> DrawResult {
            root.fill(&WHITE).map_err(err)?;
            let root = match &options.title {
                Some(t) => root.titled(t, ("sans-serif", 24)).map_err(err)?,
                None => root.clone(),
            };
            let n = names.len().max(1);
            let cols = if n == 1 { 1 } else { 2 };
            let rows = n.div_ceil(cols);
            let panels = root.split_evenly((rows, cols));
            for (panel, name) in panels.iter().zip(&names) {
                draw_curves(panel, history, name, None)?;
            }
            Ok(())
        })()
    })
}

fn draw_curves<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    history: &History,
    name: &str,
    title: Option<&str>,
) -> DrawResult {
    area.fill(&WHITE).map_err(err)?;
    let val_name = format!("val_{name}");
    let series: Vec<(String, Vec<f64>)> =
        [name.to_string(), val_name].into_iter().filter_map(|n| history.get(&n).map(|v| (n, v))).collect();
    if series.is_empty() {
        return Err(format!("the history has neither `{name}` nor `val_{name}`"));
    }
    let epochs = history.len().max(2) as f64;
    let (lo, hi) = padded_range(series.iter().flat_map(|(_, v)| v.iter().copied()));
    let caption = title.map_or_else(|| name.to_string(), str::to_string);
    let mut chart = ChartBuilder::on(area)
        .caption(caption, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(35)
        .y_label_area_size(55)
        .build_cartesian_2d(1.0..epochs, lo..hi)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("epoch")
        .y_desc(name)
        .x_labels(history.len().clamp(2, 12))
        .x_label_formatter(&|x| format!("{}", x.round() as i64))
        .draw()
        .map_err(err)?;
    // Put the legend where the curves are not: falling curves leave the upper right free.
    let falling = series[0].1.first().zip(series[0].1.last()).is_some_and(|(a, b)| b < a);
    for (i, (label, values)) in series.iter().enumerate() {
        let color = class_color(i);
        let points: Vec<(f64, f64)> =
            values.iter().enumerate().filter(|(_, v)| v.is_finite()).map(|(e, &v)| (e as f64 + 1.0, v)).collect();
        chart
            .draw_series(LineSeries::new(points.clone(), color.stroke_width(2)))
            .map_err(err)?
            .label(if label.starts_with("val_") { "validation" } else { "train" })
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2)));
        chart.draw_series(points.iter().map(|&p| Circle::new(p, 3, color.filled()))).map_err(err)?;
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .position(if falling { SeriesLabelPosition::UpperRight } else { SeriesLabelPosition::LowerRight })
        .draw()
        .map_err(err)?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Decision boundary
// ---------------------------------------------------------------------------------------------

/// The regions a 2-D classifier assigns to each class, with the data points on top.
///
/// `points` is `[n, 2]`, `labels` the `n` actual classes, and `classify` maps a `[m, 2]`
/// batch of grid points to `m` predicted classes (for a model:
/// `|grid| metrics::predicted_classes(&kindling_train::predict(&model, grid))`).
/// The grid has `resolution × resolution` points over the data's range plus a margin.
pub fn decision_boundary(
    classify: impl Fn(&Tensor<f32>) -> Vec<i64>,
    points: &Tensor<f32>,
    labels: &[i64],
    resolution: usize,
    path: impl AsRef<Path>,
    options: &PlotOptions,
) -> Result<(), MetricsError> {
    assert!(
        points.rank() == 2 && points.shape()[1] == 2,
        "decision_boundary: points must be [n, 2], got {:?}",
        points.shape()
    );
    assert!(resolution >= 2, "decision_boundary: the resolution must be at least 2");
    let xy = points.to_vec();
    let (x0, x1) = padded_range(xy.iter().step_by(2).map(|&v| f64::from(v)));
    let (y0, y1) = padded_range(xy.iter().skip(1).step_by(2).map(|&v| f64::from(v)));
    let (x0, x1, y0, y1) = (x0 - 0.1 * (x1 - x0), x1 + 0.1 * (x1 - x0), y0 - 0.1 * (y1 - y0), y1 + 0.1 * (y1 - y0));
    let step = |lo: f64, hi: f64, i: usize| lo + (hi - lo) * (i as f64 + 0.5) / resolution as f64;
    let mut grid = Vec::with_capacity(resolution * resolution * 2);
    for j in 0..resolution {
        for i in 0..resolution {
            grid.push(step(x0, x1, i) as f32);
            grid.push(step(y0, y1, j) as f32);
        }
    }
    let predicted = classify(&Tensor::from_vec(grid, [resolution * resolution, 2]));
    assert_eq!(
        predicted.len(),
        resolution * resolution,
        "decision_boundary: classify must return one class per grid point"
    );
    let mut classes: Vec<i64> = labels.iter().chain(&predicted).copied().collect();
    classes.sort_unstable();
    classes.dedup();
    render!(path, options, |root| {
        (|| -> DrawResult {
            root.fill(&WHITE).map_err(err)?;
            // A column on the right holds the class key, so it covers no point.
            let (plot_area, key) = root.split_horizontally(options.width.saturating_sub(90));
            let mut chart = xy_chart(&plot_area, options, "Decision boundary", x0..x1, y0..y1)?;
            chart
                .configure_mesh()
                .disable_mesh()
                .x_desc("x₁")
                .y_desc("x₂")
                .axis_desc_style(("sans-serif", 17))
                .draw()
                .map_err(err)?;
            class_key(&key, &classes)?;
            let (dx, dy) = ((x1 - x0) / resolution as f64, (y1 - y0) / resolution as f64);
            chart
                .draw_series(predicted.iter().enumerate().map(|(idx, &c)| {
                    let (i, j) = (idx % resolution, idx / resolution);
                    let (x, y) = (x0 + i as f64 * dx, y0 + j as f64 * dy);
                    Rectangle::new([(x, y), (x + dx, y + dy)], class_color(c.max(0) as usize).mix(0.25).filled())
                }))
                .map_err(err)?;
            chart
                .draw_series(xy.chunks(2).zip(labels).map(|(p, &c)| {
                    Circle::new((f64::from(p[0]), f64::from(p[1])), 3, class_color(c.max(0) as usize).filled())
                }))
                .map_err(err)?;
            Ok(())
        })()
    })
}

/// Swatches naming each class: a dot for its points over the tint of its region.
fn class_key<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, classes: &[i64]) -> DrawResult {
    let style = TextStyle::from(("sans-serif", 15).into_font());
    area.draw(&Text::new("class", (8, 60), style.clone())).map_err(err)?;
    for (k, &c) in classes.iter().enumerate() {
        let y = 90 + 26 * k as i32;
        let color = class_color(c.max(0) as usize);
        area.draw(&Rectangle::new([(8, y - 9), (26, y + 9)], color.mix(0.25).filled())).map_err(err)?;
        area.draw(&Circle::new((17, y), 4, color.filled())).map_err(err)?;
        area.draw(&Text::new(c.to_string(), (34, y - 8), style.clone())).map_err(err)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Predictions against targets
// ---------------------------------------------------------------------------------------------

/// A regression plot in the course's style: the targets (blue) and the model's predictions
/// (orange) against the input `x`, one point per sample.
pub fn predictions(
    x: &[f32],
    targets: &[f32],
    predictions: &[f32],
    path: impl AsRef<Path>,
    options: &PlotOptions,
) -> Result<(), MetricsError> {
    assert!(
        x.len() == targets.len() && x.len() == predictions.len(),
        "plot::predictions: {} inputs, {} targets and {} predictions",
        x.len(),
        targets.len(),
        predictions.len()
    );
    let (x0, x1) = padded_range(x.iter().map(|&v| f64::from(v)));
    let (y0, y1) = padded_range(targets.iter().chain(predictions).map(|&v| f64::from(v)));
    render!(path, options, |root| {
        (|| -> DrawResult {
            let mut chart = xy_chart(&root, options, "Predictions", x0..x1, y0..y1)?;
            chart.configure_mesh().x_desc("x").y_desc("y").draw().map_err(err)?;
            for (i, (label, ys)) in [("targets", targets), ("predictions", predictions)].into_iter().enumerate() {
                let color = class_color(i);
                chart
                    .draw_series(
                        x.iter().zip(ys).map(|(&a, &b)| Circle::new((f64::from(a), f64::from(b)), 3, color.filled())),
                    )
                    .map_err(err)?
                    .label(label)
                    .legend(move |(x, y)| Circle::new((x + 10, y), 4, color.filled()));
            }
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK)
                .position(SeriesLabelPosition::UpperLeft)
                .draw()
                .map_err(err)?;
            Ok(())
        })()
    })
}

// ---------------------------------------------------------------------------------------------
// Image grid
// ---------------------------------------------------------------------------------------------

/// Grayscale images in a grid, each captioned with its label and, when given, the
/// predicted one under it (green when right, red when wrong).
///
/// `images` is `[n, h, w]` or `[n, 1, h, w]` with values in `[0, 1]`; `class_names` names the
/// labels (numbers are shown for labels without a name).
pub fn image_grid(
    images: &Tensor<f32>,
    actual: &[i64],
    predicted: Option<&[i64]>,
    class_names: &[&str],
    columns: usize,
    path: impl AsRef<Path>,
    options: &PlotOptions,
) -> Result<(), MetricsError> {
    let shape = images.shape().to_vec();
    let (n, h, w) = match shape.as_slice() {
        [n, h, w] | [n, 1, h, w] => (*n, *h, *w),
        other => panic!("plot::image_grid: images must be [n, h, w] or [n, 1, h, w], got {other:?}"),
    };
    assert_eq!(actual.len(), n, "plot::image_grid: {n} images but {} labels", actual.len());
    if let Some(p) = predicted {
        assert_eq!(p.len(), n, "plot::image_grid: {n} images but {} predictions", p.len());
    }
    let pixels = images.to_vec();
    let name = |c: i64| class_names.get(c as usize).map_or_else(|| c.to_string(), |s| s.to_string());
    let columns = columns.clamp(1, n.max(1));
    let rows = n.div_ceil(columns).max(1);
    render!(path, options, |root| {
        (|| -> DrawResult {
            root.fill(&WHITE).map_err(err)?;
            let root = match &options.title {
                Some(t) => root.titled(t, ("sans-serif", 22)).map_err(err)?,
                None => root.clone(),
            };
            let cells = root.split_evenly((rows, columns));
            for (i, cell) in cells.iter().enumerate().take(n) {
                let (cw, ch) = cell.dim_in_pixel();
                // The label alone, or the label over the prediction: short lines that stay
                // readable when the book scales the grid to its column.
                let mut caption = vec![name(actual[i])];
                let mut color = BLACK;
                if let Some(p) = predicted {
                    caption.push(format!("pred: {}", name(p[i])));
                    color = if p[i] == actual[i] { RGBColor(0, 140, 60) } else { RGBColor(200, 0, 0) };
                }
                let longest = caption.iter().map(|l| l.chars().count()).max().unwrap_or(1);
                let font_size = (f64::from(cw) / (longest as f64 * 0.55)).clamp(11.0, 15.0);
                let line_h = font_size.ceil() as u32 + 2;
                let caption_h = line_h * caption.len() as u32;
                for (k, line) in caption.into_iter().enumerate() {
                    cell.draw(&Text::new(
                        line,
                        (2, 2 + (k as u32 * line_h) as i32),
                        TextStyle::from(("sans-serif", font_size).into_font()).color(&color),
                    ))
                    .map_err(err)?;
                }
                // Scale the image to fit under the caption, keeping its aspect ratio.
                let avail_h = ch.saturating_sub(caption_h + 4).max(1);
                let scale = (f64::from(cw.saturating_sub(4).max(1)) / w as f64).min(f64::from(avail_h) / h as f64);
                let (ox, oy) = (((f64::from(cw) - scale * w as f64) / 2.0) as i32, (caption_h + 2) as i32);
                let base = i * h * w;
                for r in 0..h {
                    for c in 0..w {
                        let v = (pixels[base + r * w + c].clamp(0.0, 1.0) * 255.0).round() as u8;
                        let x0 = ox + (c as f64 * scale) as i32;
                        let y0 = oy + (r as f64 * scale) as i32;
                        let x1 = ox + ((c + 1) as f64 * scale) as i32;
                        let y1 = oy + ((r + 1) as f64 * scale) as i32;
                        cell.draw(&Rectangle::new([(x0, y0), (x1, y1)], RGBColor(v, v, v).filled())).map_err(err)?;
                    }
                }
            }
            Ok(())
        })()
    })
}
