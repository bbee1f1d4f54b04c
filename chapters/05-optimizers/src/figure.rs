//! The chapter's one special figure: level sets of a 2-D loss surface with
//! optimizer paths drawn over them, as a standalone SVG (no fonts, no
//! dependencies). The level sets are found with marching squares on a grid.

use std::fmt::Write as _;

const COLORS: [&str; 9] = [
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b",
    "#e377c2", "#7f7f7f",
];

/// A contour plot of `f` over `[x0, x1] × [y0, y1]` with one path per entry of
/// `paths`.
pub struct ContourPlot<'a> {
    pub title: &'a str,
    pub x_range: (f64, f64),
    pub y_range: (f64, f64),
    /// The loss values at which level sets are drawn.
    pub levels: Vec<f64>,
    /// (name, points) of every path.
    pub paths: Vec<(String, Vec<[f64; 2]>)>,
    /// Where the minimum is (drawn as a star).
    pub minimum: [f64; 2],
}

impl ContourPlot<'_> {
    pub fn to_svg(&self, f: impl Fn(f64, f64) -> f64) -> String {
        let (w, h) = (680.0, 460.0);
        let (left, right, top, bottom) = (50.0, 190.0, 40.0, 40.0);
        let (x0, x1) = self.x_range;
        let (y0, y1) = self.y_range;
        let px = |x: f64| left + (x - x0) / (x1 - x0) * (w - left - right);
        let py = |y: f64| h - bottom - (y - y0) / (y1 - y0) * (h - top - bottom);
        let mut svg = format!(
            r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="{:.1}" y="24" text-anchor="middle" font-size="15">{}</text>
<defs><clipPath id="plot"><rect x="{left}" y="{top}" width="{}" height="{}"/></clipPath></defs>
"##,
            (left + w - right) / 2.0,
            self.title,
            w - left - right,
            h - top - bottom
        );
        // Level sets by marching squares on an nx × ny grid.
        let (nx, ny) = (160usize, 110usize);
        let gx = |i: usize| x0 + (x1 - x0) * i as f64 / nx as f64;
        let gy = |j: usize| y0 + (y1 - y0) * j as f64 / ny as f64;
        let grid: Vec<Vec<f64>> =
            (0..=ny).map(|j| (0..=nx).map(|i| f(gx(i), gy(j))).collect()).collect();
        for (k, &level) in self.levels.iter().enumerate() {
            let mut d = String::new();
            for j in 0..ny {
                for i in 0..nx {
                    let corners = [
                        (gx(i), gy(j), grid[j][i]),
                        (gx(i + 1), gy(j), grid[j][i + 1]),
                        (gx(i + 1), gy(j + 1), grid[j + 1][i + 1]),
                        (gx(i), gy(j + 1), grid[j + 1][i]),
                    ];
                    // Where the level crosses each edge of the cell.
                    let mut cuts = Vec::new();
                    for e in 0..4 {
                        let (ax, ay, av) = corners[e];
                        let (bx, by, bv) = corners[(e + 1) % 4];
                        if (av < level) != (bv < level) {
                            let s = (level - av) / (bv - av);
                            cuts.push((ax + s * (bx - ax), ay + s * (by - ay)));
                        }
                    }
                    for pair in cuts.chunks(2).filter(|c| c.len() == 2) {
                        let _ = write!(
                            d,
                            "M{:.1} {:.1}L{:.1} {:.1}",
                            px(pair[0].0),
                            py(pair[0].1),
                            px(pair[1].0),
                            py(pair[1].1)
                        );
                    }
                }
            }
            let shade = 200 - (k * 90 / self.levels.len().max(1)) as i32;
            let _ = writeln!(
                svg,
                r#"<path d="{d}" stroke="rgb({shade},{shade},{shade})" stroke-width="0.8" fill="none" clip-path="url(#plot)"/>"#
            );
        }
        // Frame and ticks at the range ends and zero.
        let _ = writeln!(
            svg,
            r##"<rect x="{left}" y="{top}" width="{}" height="{}" fill="none" stroke="#555"/>"##,
            w - left - right,
            h - top - bottom
        );
        for x in [x0, 0.0, x1] {
            if x >= x0 && x <= x1 {
                let _ = writeln!(
                    svg,
                    r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{x}</text>"#,
                    px(x),
                    h - bottom + 16.0
                );
            }
        }
        for y in [y0, 0.0, y1] {
            if y >= y0 && y <= y1 {
                let _ = writeln!(
                    svg,
                    r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{y}</text>"#,
                    left - 6.0,
                    py(y) + 4.0
                );
            }
        }
        let _ = writeln!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">x</text>"#,
            (left + w - right) / 2.0,
            h - 8.0
        );
        let _ = writeln!(
            svg,
            r#"<text x="14" y="{:.1}" text-anchor="middle">y</text>"#,
            (top + h - bottom) / 2.0
        );
        // Paths, then the minimum and the legend.
        for (k, (name, points)) in self.paths.iter().enumerate() {
            let color = COLORS[k % COLORS.len()];
            let pts: Vec<String> = points
                .iter()
                .filter(|p| p[0].is_finite() && p[1].is_finite())
                .map(|p| {
                    format!(
                        "{:.1},{:.1}",
                        px(p[0]
                            .clamp(x0 - 10.0 * (x1 - x0), x1 + 10.0 * (x1 - x0))),
                        py(p[1]
                            .clamp(y0 - 10.0 * (y1 - y0), y1 + 10.0 * (y1 - y0)))
                    )
                })
                .collect();
            let _ = writeln!(
                svg,
                r#"<polyline points="{}" fill="none" stroke="{color}" stroke-width="1.6" stroke-opacity="0.9" clip-path="url(#plot)"/>"#,
                pts.join(" ")
            );
            if let Some(first) = points.first() {
                let _ = writeln!(
                    svg,
                    r#"<circle cx="{:.1}" cy="{:.1}" r="3" fill="black"/>"#,
                    px(first[0]),
                    py(first[1])
                );
            }
            let y = top + 12.0 + 18.0 * k as f64;
            let x = w - right + 12.0;
            let _ = writeln!(
                svg,
                r#"<line x1="{x:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="{color}" stroke-width="2.5"/><text x="{:.1}" y="{:.1}">{}</text>"#,
                x + 22.0,
                x + 28.0,
                y + 4.0,
                name.replace('&', "&amp;").replace('<', "&lt;")
            );
        }
        let (mx, my) = (px(self.minimum[0]), py(self.minimum[1]));
        let _ = writeln!(
            svg,
            r#"<text x="{mx:.1}" y="{:.1}" text-anchor="middle" font-size="16" fill="black">★</text>"#,
            my + 5.0
        );
        svg.push_str("</svg>\n");
        svg
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_circle_has_level_sets_and_paths() {
        let plot = ContourPlot {
            title: "circle",
            x_range: (-1.0, 1.0),
            y_range: (-1.0, 1.0),
            levels: vec![0.25],
            paths: vec![("a".into(), vec![[0.5, 0.5], [0.0, 0.0]])],
            minimum: [0.0, 0.0],
        };
        let svg = plot.to_svg(|x, y| x * x + y * y);
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>\n"));
        assert!(svg.contains("<path d=\"M") && svg.contains("<polyline"));
    }
}
