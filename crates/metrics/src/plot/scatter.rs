//! Points in the plane, each with its text label: a 2-D projection of word embeddings, where
//! the question is which words land near which.

use super::{class_color, err, padded_range, register_fonts, xy_chart, DrawResult, PlotOptions};
use crate::MetricsError;
use plotters::prelude::*;
use std::path::Path;

/// A scatter of `points`, each written with its label just above and to the right of it.
///
/// ```no_run
/// use kindling_metrics::plot::{self, PlotOptions};
///
/// let points = [(0.1f32, 0.2f32), (0.15, 0.25), (-0.8, 0.4)];
/// let words = ["king", "queen", "apple"];
/// plot::scatter_labeled(&points, &words, "embeddings.png", &PlotOptions::default()).unwrap();
/// ```
///
/// # Panics
/// If the numbers of points and labels differ.
pub fn scatter_labeled<S: AsRef<str>>(
    points: &[(f32, f32)],
    labels: &[S],
    path: impl AsRef<Path>,
    options: &PlotOptions,
) -> Result<(), MetricsError> {
    assert_eq!(
        points.len(),
        labels.len(),
        "plot::scatter_labeled: {} points but {} labels",
        points.len(),
        labels.len()
    );
    let (x0, x1) = padded_range(points.iter().map(|p| f64::from(p.0)));
    // Extra room on the right and top so the last labels stay inside the frame.
    let x1 = x1 + (x1 - x0) * 0.08;
    let (y0, y1) = padded_range(points.iter().map(|p| f64::from(p.1)));
    let y1 = y1 + (y1 - y0) * 0.04;
    let color = class_color(0);
    render!(path, options, |root| {
        (|| -> DrawResult {
            let mut chart = xy_chart(&root, options, "Points", x0..x1, y0..y1)?;
            chart.configure_mesh().light_line_style(WHITE.mix(0.0)).draw().map_err(err)?;
            let font = ("sans-serif", 13).into_font();
            chart
                .draw_series(points.iter().zip(labels).map(|(&(x, y), label)| {
                    EmptyElement::at((f64::from(x), f64::from(y)))
                        + Circle::new((0, 0), 3, color.filled())
                        + Text::new(label.as_ref().to_string(), (5, -14), font.clone())
                }))
                .map_err(err)?;
            Ok(())
        })()
    })
}
