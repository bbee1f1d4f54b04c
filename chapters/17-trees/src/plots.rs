//! Small SVG drawings the demo needs beyond `chapter_kit`'s line charts: points
//! coloured by class, the regions and margin of a two-class decision function, and
//! an 8×8 heatmap. The browser draws the text, so the files stay small and need no
//! font.

use std::fmt::Write as _;

/// Ten distinguishable colours (matplotlib's tab10), one per class or digit.
pub const PALETTE: [&str; 10] = [
    "#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
    "#7f7f7f", "#bcbd22", "#17becf",
];

fn header(width: f64, height: f64, title: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" viewBox=\"0 0 {width} {height}\" \
         font-family=\"sans-serif\" font-size=\"12\">\n<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"{:.1}\" y=\"22\" text-anchor=\"middle\" font-size=\"15\">{}</text>\n",
        width / 2.0,
        escape(title)
    )
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// `color` (`#rrggbb`) at `strength` over white, as an opaque `#rrggbb`.
fn tint(color: &str, strength: f64) -> String {
    let channel = |i: usize| {
        u8::from_str_radix(&color[1 + 2 * i..3 + 2 * i], 16).unwrap_or(0) as f64
    };
    let mix = |c: f64| (255.0 - strength * (255.0 - c)).round() as u8;
    format!(
        "#{:02x}{:02x}{:02x}",
        mix(channel(0)),
        mix(channel(1)),
        mix(channel(2))
    )
}

/// The range of `values` widened by 5% on each side.
fn padded(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), v| (l.min(v), h.max(v)));
    let pad = if hi > lo { 0.05 * (hi - lo) } else { 1.0 };
    (lo - pad, hi + pad)
}

/// A frame: maps data coordinates to pixels inside the plot area.
struct Frame {
    x: (f64, f64),
    y: (f64, f64),
    left: f64,
    top: f64,
    width: f64,
    height: f64,
}

impl Frame {
    fn px(&self, x: f64) -> f64 {
        self.left + (x - self.x.0) / (self.x.1 - self.x.0) * self.width
    }
    fn py(&self, y: f64) -> f64 {
        self.top + (self.y.1 - y) / (self.y.1 - self.y.0) * self.height
    }
    fn border(&self, svg: &mut String, x_label: &str, y_label: &str) {
        let _ = writeln!(
            svg,
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"none\" stroke=\"#555\"/>",
            self.left, self.top, self.width, self.height
        );
        let _ = writeln!(
            svg,
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            self.left + self.width / 2.0,
            self.top + self.height + 24.0,
            escape(x_label)
        );
        let (cx, cy) = (self.left - 14.0, self.top + self.height / 2.0);
        let _ = writeln!(
            svg,
            "<text x=\"{cx:.1}\" y=\"{cy:.1}\" text-anchor=\"middle\" transform=\"rotate(-90 {cx:.1} {cy:.1})\">{}</text>",
            escape(y_label)
        );
    }
}

/// Points coloured by class, with a legend of `class_names` on the right.
pub fn scatter_by_class(
    title: &str,
    points: &[(f64, f64)],
    labels: &[usize],
    class_names: &[String],
    axes: (&str, &str),
) -> String {
    assert_eq!(
        points.len(),
        labels.len(),
        "scatter_by_class: {} points, {} labels",
        points.len(),
        labels.len()
    );
    let (width, height) = (640.0, 520.0);
    let frame = Frame {
        x: padded(points.iter().map(|p| p.0)),
        y: padded(points.iter().map(|p| p.1)),
        left: 40.0,
        top: 36.0,
        width: 500.0,
        height: 440.0,
    };
    let mut svg = header(width, height, title);
    // One style rule per class keeps each of the thousands of points to a few
    // bytes.
    svg.push_str("<style>circle.p{r:2.2px;fill-opacity:0.75}");
    for (c, color) in PALETTE.iter().enumerate() {
        let _ = write!(svg, " .c{c}{{fill:{color}}}");
    }
    svg.push_str("</style>\n");
    for (&(x, y), &label) in points.iter().zip(labels) {
        let _ = writeln!(
            svg,
            "<circle class=\"p c{}\" cx=\"{:.0}\" cy=\"{:.0}\" r=\"2.2\"/>",
            label % PALETTE.len(),
            frame.px(x),
            frame.py(y)
        );
    }
    frame.border(&mut svg, axes.0, axes.1);
    for (c, name) in class_names.iter().enumerate() {
        let y = 60.0 + 20.0 * c as f64;
        let _ = writeln!(
            svg,
            "<circle cx=\"560\" cy=\"{:.1}\" r=\"5\" fill=\"{}\"/><text x=\"572\" y=\"{:.1}\">{}</text>",
            y,
            PALETTE[c % PALETTE.len()],
            y + 4.0,
            escape(name)
        );
    }
    svg.push_str("</svg>\n");
    svg
}

/// A two-class decision function f over the data's box: the side f < 0 and f > 0
/// shaded in the two class colours, the margin band |f| < 1 lighter, the points on
/// top, and the rows marked in `support` circled in black. `decision` maps `[m, 2]`
/// grid points (row-major pairs) to m values.
pub fn decision_regions(
    title: &str,
    points: &[(f64, f64)],
    labels: &[usize],
    support: &[bool],
    resolution: usize,
    decision: impl Fn(&[f64]) -> Vec<f64>,
) -> String {
    let (width, height) = (520.0, 480.0);
    let frame = Frame {
        x: padded(points.iter().map(|p| p.0)),
        y: padded(points.iter().map(|p| p.1)),
        left: 36.0,
        top: 36.0,
        width: 460.0,
        height: 400.0,
    };
    let (dx, dy) = (
        (frame.x.1 - frame.x.0) / resolution as f64,
        (frame.y.1 - frame.y.0) / resolution as f64,
    );
    let mut grid = Vec::with_capacity(2 * resolution * resolution);
    for j in 0..resolution {
        for i in 0..resolution {
            grid.push(frame.x.0 + (i as f64 + 0.5) * dx);
            grid.push(frame.y.0 + (j as f64 + 0.5) * dy);
        }
    }
    let values = decision(&grid);
    assert_eq!(
        values.len(),
        resolution * resolution,
        "decision_regions: one value per grid point"
    );
    // Four shades: class 0 outside the margin, inside it, class 1 inside, outside.
    let shade = |v: f64| match v {
        v if v < -1.0 => 0,
        v if v < 0.0 => 1,
        v if v < 1.0 => 2,
        _ => 3,
    };
    // Opaque tints (the class colour mixed with white), so that neighbouring rows
    // may overlap by a pixel without darkening or leaving hairline gaps.
    let fills = [
        tint(PALETTE[0], 0.35),
        tint(PALETTE[0], 0.15),
        tint(PALETTE[1], 0.15),
        tint(PALETTE[1], 0.35),
    ];
    let mut svg = header(width, height, title);
    let (cell_w, cell_h) =
        (frame.width / resolution as f64, frame.height / resolution as f64);
    svg.push_str("<g shape-rendering=\"crispEdges\">\n");
    for j in 0..resolution {
        // One rectangle per run of equal shade along the row keeps the file small.
        let row: Vec<usize> =
            (0..resolution).map(|i| shade(values[j * resolution + i])).collect();
        let mut start = 0;
        for i in 1..=resolution {
            if i == resolution || row[i] != row[start] {
                let color = &fills[row[start]];
                let _ = writeln!(
                    svg,
                    "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\" fill=\"{color}\"/>",
                    frame.left + start as f64 * cell_w,
                    frame.top + frame.height - (j + 1) as f64 * cell_h,
                    (i - start) as f64 * cell_w + if i == resolution { 0.0 } else { 1.0 },
                    cell_h + if j == 0 { 0.0 } else { 1.0 }
                );
                start = i;
            }
        }
    }
    svg.push_str("</g>\n");
    for ((&(x, y), &label), &is_support) in points.iter().zip(labels).zip(support) {
        let ring =
            if is_support { " stroke=\"black\" stroke-width=\"1.5\"" } else { "" };
        let _ = writeln!(
            svg,
            "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3.2\" fill=\"{}\"{ring}/>",
            frame.px(x),
            frame.py(y),
            PALETTE[label % PALETTE.len()]
        );
    }
    frame.border(&mut svg, "", "");
    svg.push_str("</svg>\n");
    svg
}

/// An 8×8 grid of `values` (row-major, one per pixel of a digit), shaded from white
/// (0) to dark blue (the largest value), each cell printed with its value ×
/// `scale`.
pub fn pixel_heatmap(title: &str, values: &[f64], scale: f64) -> String {
    assert_eq!(values.len(), 64, "pixel_heatmap: 64 values, got {}", values.len());
    let largest = values.iter().fold(0.0f64, |m, &v| m.max(v));
    let cell = 50.0;
    let mut svg = header(8.0 * cell + 40.0, 8.0 * cell + 70.0, title);
    for (p, &v) in values.iter().enumerate() {
        let (r, c) = (p / 8, p % 8);
        let t = if largest > 0.0 { v / largest } else { 0.0 };
        let (x, y) = (20.0 + c as f64 * cell, 40.0 + r as f64 * cell);
        let _ = writeln!(
            svg,
            "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{cell}\" height=\"{cell}\" fill=\"#08306b\" fill-opacity=\"{t:.3}\" stroke=\"#ddd\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"{}\">{:.1}</text>",
            x + cell / 2.0,
            y + cell / 2.0 + 4.0,
            if t > 0.5 { "white" } else { "black" },
            v * scale
        );
    }
    svg.push_str("</svg>\n");
    svg
}
