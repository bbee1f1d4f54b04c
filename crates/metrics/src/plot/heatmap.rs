//! Matrices as coloured cell grids: the confusion matrix and a general heatmap with row and
//! column labels (attention weights of a sequence-to-sequence model, for example). Both draw
//! through [`CellGrid`].

use super::{err, register_fonts, DrawResult, PlotOptions};
use crate::metrics::ConfusionMatrix;
use crate::MetricsError;
use kindling_tensor::Tensor;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::path::Path;

/// White to dark blue.
fn heat(fraction: f64) -> RGBColor {
    let f = fraction.clamp(0.0, 1.0);
    let lerp = |a: f64, b: f64| (a + (b - a) * f).round() as u8;
    RGBColor(lerp(247.0, 8.0), lerp(251.0, 48.0), lerp(255.0, 107.0))
}

/// Columns beyond this many get their labels turned upright so they do not overlap.
const UPRIGHT_LABELS_FROM: usize = 8;

/// A grid of shaded cells, row 0 at the top, with a label per row and per column.
struct CellGrid<'a> {
    row_labels: &'a [String],
    col_labels: &'a [String],
    x_desc: &'a str,
    y_desc: &'a str,
    /// The shade of cell (row, col), 0 (white) to 1 (dark blue).
    shade: &'a dyn Fn(usize, usize) -> f64,
    /// The text written in cell (row, col), if any.
    text: Option<&'a dyn Fn(usize, usize) -> String>,
}

fn draw_cell_grid<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, caption: &str, grid: &CellGrid) -> DrawResult {
    let (rows, cols) = (grid.row_labels.len(), grid.col_labels.len());
    let upright = cols >= UPRIGHT_LABELS_FROM;
    let longest = |labels: &[String]| labels.iter().map(|l| l.chars().count()).max().unwrap_or(1) as u32;
    let x_area = if upright { 30 + 8 * longest(grid.col_labels).min(20) } else { 60 };
    let y_area = (30 + 8 * longest(grid.row_labels).min(20)).max(60);
    let mut chart = ChartBuilder::on(area)
        .caption(caption, ("sans-serif", 22))
        .margin(15)
        .x_label_area_size(x_area)
        .y_label_area_size(y_area)
        .build_cartesian_2d((0..cols.max(1) - 1).into_segmented(), (0..rows.max(1) - 1).into_segmented())
        .map_err(err)?;
    // Upright labels are drawn below (plotters centres axis labels on their tick, which would
    // put half of an upright one inside the grid).
    let x_label = |v: &SegmentValue<usize>| match v {
        SegmentValue::CenterOf(c) if *c < cols && !upright => grid.col_labels[*c].clone(),
        _ => String::new(),
    };
    // Row r is drawn at y = rows − 1 − r so that row 0 is on top, as a matrix is read.
    let y_label = |v: &SegmentValue<usize>| match v {
        SegmentValue::CenterOf(r) if *r < rows => grid.row_labels[rows - 1 - *r].clone(),
        _ => String::new(),
    };
    let label_size = if cols > 30 { 10 } else { 13 };
    let x_style = TextStyle::from(("sans-serif", label_size).into_font());
    chart
        .configure_mesh()
        .disable_mesh()
        .x_desc(grid.x_desc)
        .y_desc(grid.y_desc)
        .x_labels(cols)
        .y_labels(rows)
        .x_label_style(x_style.clone())
        .y_label_style(("sans-serif", if rows > 30 { 10 } else { 13 }))
        .x_label_formatter(&x_label)
        .y_label_formatter(&y_label)
        .draw()
        .map_err(err)?;
    if upright {
        let style = x_style.transform(FontTransform::Rotate90).pos(Pos::new(HPos::Left, VPos::Center));
        let (base_x, base_y) = area.get_base_pixel();
        for (c, label) in grid.col_labels.iter().enumerate() {
            let (x, y) = chart.backend_coord(&(SegmentValue::CenterOf(c), SegmentValue::Exact(0)));
            area.draw(&Text::new(label.as_str(), (x - base_x, y - base_y + 6), style.clone())).map_err(err)?;
        }
    }
    for r in 0..rows {
        let y = rows - 1 - r;
        for c in 0..cols {
            let shade = (grid.shade)(r, c);
            let corners = [
                (SegmentValue::Exact(c), SegmentValue::Exact(y)),
                (SegmentValue::Exact(c + 1), SegmentValue::Exact(y + 1)),
            ];
            chart.draw_series(std::iter::once(Rectangle::new(corners, heat(shade).filled()))).map_err(err)?;
            if let Some(text) = grid.text {
                let color = if shade > 0.5 { WHITE } else { BLACK };
                let style = TextStyle::from(("sans-serif", 16).into_font())
                    .color(&color)
                    .pos(Pos::new(HPos::Center, VPos::Center));
                let at = (SegmentValue::CenterOf(c), SegmentValue::CenterOf(y));
                chart.draw_series(std::iter::once(Text::new(text(r, c), at, style))).map_err(err)?;
            }
        }
    }
    Ok(())
}

/// A heatmap of the matrix: actual classes down, predicted across, each cell shaded by its
/// share of its row (recall) and labelled with its count.
pub fn confusion_matrix(
    matrix: &ConfusionMatrix,
    class_names: &[&str],
    path: impl AsRef<Path>,
    options: &PlotOptions,
) -> Result<(), MetricsError> {
    let k = matrix.num_classes();
    let names: Vec<String> =
        (0..k).map(|c| class_names.get(c).map_or_else(|| c.to_string(), |s| s.to_string())).collect();
    let row_totals: Vec<u64> = (0..k).map(|a| (0..k).map(|p| matrix.get(a, p)).sum()).collect();
    let shade = |a: usize, p: usize| {
        if row_totals[a] > 0 {
            matrix.get(a, p) as f64 / row_totals[a] as f64
        } else {
            0.0
        }
    };
    let text = |a: usize, p: usize| matrix.get(a, p).to_string();
    let grid = CellGrid {
        row_labels: &names,
        col_labels: &names,
        x_desc: "predicted",
        y_desc: "actual",
        shade: &shade,
        text: Some(&text),
    };
    render!(path, options, |root| {
        root.fill(&WHITE)
            .map_err(err)
            .and_then(|_| draw_cell_grid(&root, options.title.as_deref().unwrap_or("Confusion matrix"), &grid))
    })
}

/// Cells written with their value when the grid is at most this many cells.
const VALUES_UP_TO_CELLS: usize = 64;

/// A heatmap of a `[rows, cols]` matrix with a label per row and per column, shaded from white
/// (its minimum) to dark blue (its maximum), with a colour bar giving both values. Small grids
/// (up to 64 cells) also print each value. For attention weights, rows are the output steps
/// and columns the input tokens.
///
/// ```no_run
/// use kindling_metrics::plot::{self, PlotOptions};
/// use kindling_tensor::Tensor;
///
/// let weights = Tensor::from_vec(vec![0.9f32, 0.1, 0.2, 0.8], [2, 2]);
/// let inputs = vec!["1".to_string(), "2".to_string()];
/// let outputs = vec!["2".to_string(), "1".to_string()];
/// plot::heatmap(&weights, &outputs, &inputs, "attention.svg", &PlotOptions::default()).unwrap();
/// ```
///
/// # Panics
/// If `values` is not a matrix or the label counts differ from its shape.
pub fn heatmap<S: AsRef<str>>(
    values: &Tensor<f32>,
    row_labels: &[S],
    col_labels: &[S],
    path: impl AsRef<Path>,
    options: &PlotOptions,
) -> Result<(), MetricsError> {
    let [rows, cols] = *values.shape() else {
        panic!("plot::heatmap: values must be [rows, cols], got {:?}", values.shape());
    };
    assert_eq!(row_labels.len(), rows, "plot::heatmap: {} row labels for {rows} rows", row_labels.len());
    assert_eq!(col_labels.len(), cols, "plot::heatmap: {} column labels for {cols} columns", col_labels.len());
    let data: Vec<f64> = values.to_vec().into_iter().map(f64::from).collect();
    let finite = data.iter().copied().filter(|v| v.is_finite());
    let lo = finite.clone().fold(f64::INFINITY, f64::min);
    let hi = finite.fold(f64::NEG_INFINITY, f64::max);
    let (lo, hi) = if lo.is_finite() { (lo, hi) } else { (0.0, 1.0) };
    let span = if hi > lo { hi - lo } else { 1.0 };
    let shade = |r: usize, c: usize| (data[r * cols + c] - lo) / span;
    let text = |r: usize, c: usize| format!("{:.2}", data[r * cols + c]);
    let owned = |labels: &[S]| labels.iter().map(|l| l.as_ref().to_string()).collect::<Vec<_>>();
    let (row_labels, col_labels) = (owned(row_labels), owned(col_labels));
    let grid = CellGrid {
        row_labels: &row_labels,
        col_labels: &col_labels,
        x_desc: "",
        y_desc: "",
        shade: &shade,
        text: (rows * cols <= VALUES_UP_TO_CELLS).then_some(&text as &dyn Fn(usize, usize) -> String),
    };
    render!(path, options, |root| {
        (|| -> DrawResult {
            root.fill(&WHITE).map_err(err)?;
            let bar_width = 90.min(options.width / 4);
            let (cells, bar) = root.split_horizontally(options.width.saturating_sub(bar_width));
            draw_cell_grid(&cells, options.title.as_deref().unwrap_or("Heatmap"), &grid)?;
            draw_colour_bar(&bar, lo, hi)
        })()
    })
}

/// A vertical strip from the maximum (top) to the minimum (bottom), labelled with both.
fn draw_colour_bar<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, lo: f64, hi: f64) -> DrawResult {
    let (_, height) = area.dim_in_pixel();
    let (top, bottom) = (50i32, height as i32 - 70);
    let (left, right) = (10i32, 30i32);
    let steps = (bottom - top).max(1);
    for i in 0..steps {
        let y = top + i;
        let fraction = 1.0 - f64::from(i) / f64::from(steps);
        area.draw(&Rectangle::new([(left, y), (right, y + 1)], heat(fraction).filled())).map_err(err)?;
    }
    area.draw(&Rectangle::new([(left, top), (right, bottom)], BLACK.stroke_width(1))).map_err(err)?;
    let style = TextStyle::from(("sans-serif", 13).into_font()).pos(Pos::new(HPos::Left, VPos::Center));
    for (value, y) in [(hi, top), (lo, bottom)] {
        area.draw(&Text::new(format!("{value:.3}"), (right + 4, y), style.clone())).map_err(err)?;
    }
    Ok(())
}
