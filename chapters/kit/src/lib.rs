//! What every chapter demo of the Kindling book shares.
//!
//! - [`Output`]: the folder `book/src/generated/<chapter>/` where a demo writes the
//!   plots, tables and captured text that its book chapter includes;
//! - [`markdown_table`]: a table as GitHub-flavoured markdown;
//! - [`LineChart`] and [`BarChart`]: small, dependency-free SVG charts (the browser
//!   draws the text, so no font is needed to make them);
//! - [`diagram`]: diagrams drawn by code (boxes, grids, arrows and labels) as SVG;
//! - [`best_of`]: the fastest of a few timed runs, for honest small benchmarks;
//! - [`Output::step`]: one progress line per step of a demo;
//! - [`flag_value`] and [`flag_number`]: a demo's `--name value` options.
//!
//! Later chapters reuse all of it, so a new chapter's demo is only its own work.

pub mod diagram;

pub use diagram::{Anchor, Diagram, Pen, Rect};

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Where one chapter's demo writes what its book chapter shows.
pub struct Output {
    chapter: String,
    dir: PathBuf,
}

impl Output {
    /// The folder `book/src/generated/<chapter>/` of this workspace, created if
    /// missing. `KINDLING_BOOK_GENERATED` overrides the parent folder (tests use a
    /// temporary one).
    pub fn for_chapter(chapter: &str) -> std::io::Result<Output> {
        let root = match std::env::var_os("KINDLING_BOOK_GENERATED") {
            Some(dir) => PathBuf::from(dir),
            None => Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../book/src/generated"),
        };
        let dir = root.join(chapter);
        std::fs::create_dir_all(&dir)?;
        Ok(Output { chapter: chapter.to_string(), dir })
    }

    /// The folder the files go to.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Writes `name` (a file name, no folders) and says so. Captured text (`.txt`)
    /// is shown in the book's code boxes, so its long lines are wrapped to fit
    /// them.
    pub fn write(&self, name: &str, contents: &str) -> std::io::Result<()> {
        let path = self.dir.join(name);
        if name.ends_with(".txt") {
            std::fs::write(&path, fit_to_code_box(contents))?;
        } else {
            std::fs::write(&path, contents)?;
        }
        println!("[{}]   wrote {}", self.chapter, shorten(&path));
        Ok(())
    }

    /// Prints one progress line, prefixed with the chapter.
    pub fn step(&self, message: &str) {
        println!("[{}] {message}", self.chapter);
    }
}

/// How many characters of a line the book's code box shows without scrolling at a
/// desktop width (`.ci/check-book` measures it in Chromium); the chapter crates are
/// formatted to the same width (`chapters/rustfmt.toml`).
pub const CODE_BOX_COLUMNS: usize = 84;

/// `text` with every line longer than [`CODE_BOX_COLUMNS`] broken at its last space
/// that fits (or, in a run without spaces, at the width), continuation lines
/// indented four columns deeper than the line they continue.
pub fn fit_to_code_box(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let indent = line.len() - line.trim_start().len();
        let continuation = " ".repeat((indent + 4).min(CODE_BOX_COLUMNS / 2));
        let mut rest: Vec<char> = line.chars().collect();
        let mut prefix = String::new();
        while prefix.chars().count() + rest.len() > CODE_BOX_COLUMNS {
            let room = CODE_BOX_COLUMNS - prefix.chars().count();
            let cut = match rest[..=room].iter().rposition(|&c| c == ' ') {
                Some(at) if rest[..at].iter().any(|&c| c != ' ') => at,
                _ => room,
            };
            let head: String = rest[..cut].iter().collect();
            out.push_str(&prefix);
            out.push_str(head.trim_end());
            out.push('\n');
            rest = rest[cut..].iter().copied().skip_while(|&c| c == ' ').collect();
            prefix = continuation.clone();
        }
        out.push_str(&prefix);
        out.extend(rest);
    }
    out
}

/// The path from `book/` on, when there is one (shorter progress lines).
fn shorten(path: &Path) -> String {
    let s = path.display().to_string();
    match s.find("book/src/") {
        Some(i) => s[i..].to_string(),
        None => s,
    }
}

/// A markdown table. Numeric-looking columns are right-aligned.
pub fn markdown_table(headers: &[&str], rows: &[Vec<String>]) -> String {
    let numeric = |c: usize| {
        rows.iter().all(|r| {
            r.get(c).is_some_and(|v| {
                let v = v.trim_end_matches(['%', '×', 'x']);
                v.parse::<f64>().is_ok() || v == "–"
            })
        })
    };
    let mut out = String::new();
    out.push_str(&format!("| {} |\n", headers.join(" | ")));
    let aligns: Vec<&str> = (0..headers.len())
        .map(|c| if numeric(c) { "---:" } else { "---" })
        .collect();
    out.push_str(&format!("|{}|\n", aligns.join("|")));
    for row in rows {
        out.push_str(&format!("| {} |\n", row.join(" | ")));
    }
    out
}

/// Runs `f` `runs` times and returns the shortest time with the last result. The
/// minimum is the run least disturbed by the rest of the machine.
pub fn best_of<R>(runs: usize, mut f: impl FnMut() -> R) -> (Duration, R) {
    assert!(runs > 0, "best_of: needs at least one run");
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..runs {
        let start = Instant::now();
        let r = f();
        best = best.min(start.elapsed());
        last = Some(r);
    }
    (best, last.expect("at least one run"))
}

const COLORS: [&str; 6] =
    ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf"];

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A round step for about `target` ticks over `span`: 1, 2 or 5 times a power of
/// ten.
fn nice_step(span: f64, target: f64) -> f64 {
    let raw = span / target;
    let power = 10f64.powf(raw.log10().floor());
    let m = raw / power;
    let nice = if m < 1.5 {
        1.0
    } else if m < 3.5 {
        2.0
    } else if m < 7.5 {
        5.0
    } else {
        10.0
    };
    nice * power
}

fn tick_label(v: f64, step: f64) -> String {
    let decimals = if step >= 1.0 { 0 } else { (-step.log10().floor()) as usize };
    let s = format!("{v:.decimals$}");
    if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') {
        s[1..].to_string() // "-0" or "-0.0": a zero that rounding left a sign on
    } else {
        s
    }
}

/// One curve of a [`LineChart`].
struct Series {
    name: String,
    points: Vec<(f64, f64)>,
    dashed: bool,
    /// Drawn as separate dots (data), not as a connected line.
    markers: bool,
}

/// A line chart written as SVG: a title, axis labels, ticks and a legend.
pub struct LineChart {
    title: String,
    x_label: String,
    y_label: String,
    series: Vec<Series>,
    width: f64,
    height: f64,
    /// A y range the axis must cover besides the data (room for the legend).
    extra_y: Option<(f64, f64)>,
}

impl LineChart {
    pub fn new(title: &str) -> Self {
        LineChart {
            title: title.to_string(),
            x_label: String::new(),
            y_label: String::new(),
            series: Vec::new(),
            width: 640.0,
            height: 380.0,
            extra_y: None,
        }
    }

    pub fn x_label(mut self, label: &str) -> Self {
        self.x_label = label.to_string();
        self
    }

    pub fn y_label(mut self, label: &str) -> Self {
        self.y_label = label.to_string();
        self
    }

    /// Makes the y axis cover `lo..=hi` as well as the data, e.g. to leave the top
    /// free for the legend.
    pub fn include_y(mut self, lo: f64, hi: f64) -> Self {
        self.extra_y = Some((lo, hi));
        self
    }

    /// Adds a solid curve.
    pub fn series(mut self, name: &str, points: Vec<(f64, f64)>) -> Self {
        self.series.push(Series {
            name: name.to_string(),
            points,
            dashed: false,
            markers: false,
        });
        self
    }

    /// Adds a dashed curve (a reference to compare with).
    pub fn dashed_series(mut self, name: &str, points: Vec<(f64, f64)>) -> Self {
        self.series.push(Series {
            name: name.to_string(),
            points,
            dashed: true,
            markers: false,
        });
        self
    }

    /// Adds points drawn as dots, not joined (data samples beside a fitted curve).
    pub fn scatter_series(mut self, name: &str, points: Vec<(f64, f64)>) -> Self {
        self.series.push(Series {
            name: name.to_string(),
            points,
            dashed: false,
            markers: true,
        });
        self
    }

    /// The chart as a standalone SVG document.
    pub fn to_svg(&self) -> String {
        let (w, h) = (self.width, self.height);
        let legend = legend_layout(&self.series, w);
        let legend_h = legend.last().map_or(0.0, |&(_, y)| y + 14.0);
        let (left, right, top, bottom) = (60.0, 20.0, 40.0, 50.0);
        let all = self.series.iter().flat_map(|s| s.points.iter());
        let (mut x0, mut x1, mut y0, mut y1) =
            (f64::MAX, f64::MIN, f64::MAX, f64::MIN);
        for &(x, y) in all {
            x0 = x0.min(x);
            x1 = x1.max(x);
            y0 = y0.min(y);
            y1 = y1.max(y);
        }
        if let Some((lo, hi)) = self.extra_y {
            (y0, y1) = (y0.min(lo), y1.max(hi));
        }
        if x0 >= x1 {
            (x0, x1) = (x0 - 1.0, x0 + 1.0);
        }
        if y0 >= y1 {
            (y0, y1) = (y0 - 1.0, y0 + 1.0);
        }
        let (xs, ys) = (nice_step(x1 - x0, 8.0), nice_step(y1 - y0, 6.0));
        let (x0, x1) = ((x0 / xs).floor() * xs, (x1 / xs).ceil() * xs);
        let (y0, y1) = ((y0 / ys).floor() * ys, (y1 / ys).ceil() * ys);
        let px = |x: f64| left + (x - x0) / (x1 - x0) * (w - left - right);
        let py = |y: f64| h - bottom - (y - y0) / (y1 - y0) * (h - top - bottom);

        let mut svg = header(w, h + legend_h, &self.title);
        // Grid and ticks.
        let mut t = x0;
        while t <= x1 + xs * 1e-9 {
            let x = px(t);
            let _ = writeln!(
                svg,
                r##"<line x1="{x:.1}" y1="{:.1}" x2="{x:.1}" y2="{:.1}" stroke="#e4e4e4"/><text x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text>"##,
                top,
                h - bottom,
                h - bottom + 16.0,
                tick_label(t, xs)
            );
            t += xs;
        }
        let mut t = y0;
        while t <= y1 + ys * 1e-9 {
            let y = py(t);
            let _ = writeln!(
                svg,
                r##"<line x1="{left:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#e4e4e4"/><text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"##,
                w - right,
                left - 6.0,
                y + 4.0,
                tick_label(t, ys)
            );
            t += ys;
        }
        // Axes at zero when zero is inside the range, else at the border.
        let ax = if x0 < 0.0 && x1 > 0.0 { px(0.0) } else { left };
        let ay = if y0 < 0.0 && y1 > 0.0 { py(0.0) } else { h - bottom };
        let _ = writeln!(
            svg,
            r##"<line x1="{left:.1}" y1="{ay:.1}" x2="{:.1}" y2="{ay:.1}" stroke="#555"/><line x1="{ax:.1}" y1="{top:.1}" x2="{ax:.1}" y2="{:.1}" stroke="#555"/>"##,
            w - right,
            h - bottom
        );
        // Curves.
        for (i, s) in self.series.iter().enumerate() {
            let color = COLORS[i % COLORS.len()];
            if s.markers {
                for &(x, y) in &s.points {
                    let _ = writeln!(
                        svg,
                        r#"<circle cx="{:.2}" cy="{:.2}" r="3" fill="{color}"/>"#,
                        px(x),
                        py(y)
                    );
                }
                continue;
            }
            let points: Vec<String> = s
                .points
                .iter()
                .map(|&(x, y)| format!("{:.2},{:.2}", px(x), py(y)))
                .collect();
            let dash = if s.dashed { r#" stroke-dasharray="6 4""# } else { "" };
            let _ = writeln!(
                svg,
                r#"<polyline fill="none" stroke="{color}" stroke-width="2"{dash} points="{}"/>"#,
                points.join(" ")
            );
        }
        // Legend under the chart, where it can cover no curve.
        for (i, (s, &(x, y))) in self.series.iter().zip(&legend).enumerate() {
            let color = COLORS[i % COLORS.len()];
            let y = h + y;
            let dash = if s.dashed { r#" stroke-dasharray="6 4""# } else { "" };
            let mark = if s.markers {
                format!(
                    r#"<circle cx="{:.1}" cy="{y:.1}" r="3" fill="{color}"/>"#,
                    x + 12.0
                )
            } else {
                format!(
                    r#"<line x1="{x:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="{color}" stroke-width="2"{dash}/>"#,
                    x + 24.0
                )
            };
            let _ = writeln!(
                svg,
                r#"{mark}<text x="{:.1}" y="{:.1}">{}</text>"#,
                x + 30.0,
                y + 4.0,
                escape(&s.name)
            );
        }
        axis_labels(&mut svg, w, h, &self.x_label, &self.y_label);
        svg.push_str("</svg>\n");
        svg
    }
}

/// Where each legend entry goes under a chart `width` wide: (x, y) of its marker,
/// y counted from the chart's bottom edge; entries flow left to right and wrap.
fn legend_layout(series: &[Series], width: f64) -> Vec<(f64, f64)> {
    let (left, right) = (60.0, 20.0);
    let (mut x, mut y) = (left, 8.0);
    let mut places = Vec::with_capacity(series.len());
    for s in series {
        // 7 px per character of 12 px sans-serif is generous; 30 px for the marker.
        let entry = 30.0 + 7.0 * s.name.chars().count() as f64 + 24.0;
        if x > left && x + entry > width - right {
            (x, y) = (left, y + 20.0);
        }
        places.push((x, y));
        x += entry;
    }
    places
}

/// A horizontal bar chart written as SVG, optionally on a log scale (for values
/// that span several powers of ten, like a kernel that gets 200 times faster).
pub struct BarChart {
    title: String,
    value_label: String,
    bars: Vec<(String, f64)>,
    log: bool,
}

impl BarChart {
    pub fn new(title: &str, value_label: &str) -> Self {
        BarChart {
            title: title.to_string(),
            value_label: value_label.to_string(),
            bars: Vec::new(),
            log: false,
        }
    }

    /// Draws the value axis in powers of ten. Values must be positive.
    pub fn log_scale(mut self) -> Self {
        self.log = true;
        self
    }

    pub fn bar(mut self, label: &str, value: f64) -> Self {
        self.bars.push((label.to_string(), value));
        self
    }

    pub fn to_svg(&self) -> String {
        let w = 640.0;
        let (left, right, top, bottom) = (210.0, 70.0, 40.0, 50.0);
        let row = 30.0;
        let h = top + bottom + row * self.bars.len() as f64;
        let max = self
            .bars
            .iter()
            .map(|b| b.1)
            .fold(f64::MIN, f64::max)
            .max(f64::MIN_POSITIVE);
        let (lo, hi, ticks): (f64, f64, Vec<f64>) = if self.log {
            let min = self.bars.iter().map(|b| b.1).fold(f64::MAX, f64::min);
            assert!(min > 0.0, "BarChart: a log scale needs positive values");
            let (lo, hi) = (
                min.log10().floor(),
                max.log10().ceil().max(min.log10().floor() + 1.0),
            );
            (lo, hi, (lo as i32..=hi as i32).map(f64::from).collect())
        } else {
            let step = nice_step(max, 5.0);
            let hi = (max / step).ceil() * step;
            (
                0.0,
                hi,
                (0..=((hi / step).round() as usize))
                    .map(|i| i as f64 * step)
                    .collect(),
            )
        };
        let scale = |v: f64| if self.log { v.log10() } else { v };
        let px = |v: f64| left + (scale(v) - lo) / (hi - lo) * (w - left - right);
        let mut svg = header(w, h, &self.title);
        for &t in &ticks {
            let v = if self.log { 10f64.powf(t) } else { t };
            let x = px(v);
            let label = if self.log {
                format_value(v)
            } else {
                tick_label(v, ticks.get(1).copied().unwrap_or(1.0))
            };
            let _ = writeln!(
                svg,
                r##"<line x1="{x:.1}" y1="{top:.1}" x2="{x:.1}" y2="{:.1}" stroke="#e4e4e4"/><text x="{x:.1}" y="{:.1}" text-anchor="middle">{label}</text>"##,
                h - bottom,
                h - bottom + 16.0
            );
        }
        for (i, (label, v)) in self.bars.iter().enumerate() {
            let y = top + row * i as f64 + 5.0;
            let x_end = px(*v).max(left + 1.0);
            let _ = writeln!(
                svg,
                r##"<text x="{:.1}" y="{:.1}" text-anchor="end">{}</text><rect x="{left:.1}" y="{y:.1}" width="{:.1}" height="{:.1}" fill="{}"/><text x="{:.1}" y="{:.1}">{}</text>"##,
                left - 8.0,
                y + 15.0,
                escape(label),
                x_end - left,
                row - 10.0,
                COLORS[0],
                x_end + 5.0,
                y + 15.0,
                format_value(*v)
            );
        }
        let _ = writeln!(
            svg,
            r##"<line x1="{left:.1}" y1="{top:.1}" x2="{left:.1}" y2="{:.1}" stroke="#555"/>"##,
            h - bottom
        );
        axis_labels(&mut svg, w, h, &self.value_label, "");
        svg.push_str("</svg>\n");
        svg
    }
}

/// A value with three significant digits at most (1.23, 45.6, 789).
pub fn format_value(v: f64) -> String {
    if v == 0.0 {
        return "0".to_string();
    }
    let digits = (2 - v.abs().log10().floor() as i32).clamp(0, 6) as usize;
    format!("{v:.digits$}")
}

fn header(w: f64, h: f64, title: &str) -> String {
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
<text x="{:.1}" y="24" text-anchor="middle" font-size="15">{}</text>
"##,
        w / 2.0,
        escape(title)
    )
}

fn axis_labels(svg: &mut String, w: f64, h: f64, x_label: &str, y_label: &str) {
    if !x_label.is_empty() {
        let _ = writeln!(
            svg,
            r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
            w / 2.0,
            h - 12.0,
            escape(x_label)
        );
    }
    if !y_label.is_empty() {
        let _ = writeln!(
            svg,
            r#"<text x="16" y="{:.1}" text-anchor="middle" transform="rotate(-90 16 {:.1})">{}</text>"#,
            h / 2.0,
            h / 2.0,
            escape(y_label)
        );
    }
}

/// The value after `--name` in a demo's arguments, if the flag is there. A flag
/// with nothing after it ends the program with status 2 and a message naming
/// `program` and the flag.
pub fn flag_value(program: &str, args: &[String], name: &str) -> Option<String> {
    args.iter().position(|a| a == name).map(|i| {
        args.get(i + 1).cloned().unwrap_or_else(|| {
            eprintln!("{program}: {name} needs a value");
            std::process::exit(2)
        })
    })
}

/// [`flag_value`] read as a number; a value that is not one ends the program with
/// status 2.
pub fn flag_number<N: std::str::FromStr>(
    program: &str,
    args: &[String],
    name: &str,
) -> Option<N> {
    flag_value(program, args, name).map(|v| {
        v.parse().unwrap_or_else(|_| {
            eprintln!("{program}: {name} expects a number, got {v:?}");
            std::process::exit(2)
        })
    })
}

/// For a demo whose only named section is its diagrams: true when the arguments say
/// `--only diagrams` (write the diagrams and stop); any other `--only` value ends
/// the program with status 2 and a message naming `program`.
pub fn only_diagrams(program: &str, args: &[String]) -> bool {
    match flag_value(program, args, "--only").as_deref() {
        None => false,
        Some("diagrams") => true,
        Some(other) => {
            eprintln!("{program}: --only {other}: no such section (the one section is diagrams)");
            std::process::exit(2)
        }
    }
}

/// One section of a chapter's demo: its name for `--only`, and what it runs.
pub type DemoSection<C, E> = (&'static str, fn(&C) -> Result<(), E>);

/// Runs the demo's sections in order, or only the one `--only` named; an unknown
/// name is an error that lists the sections there are.
pub fn run_sections<C: ?Sized, E: From<String>>(
    only: Option<&str>,
    sections: &[DemoSection<C, E>],
    context: &C,
) -> Result<(), E> {
    if let Some(name) = only {
        if !sections.iter().any(|(s, _)| *s == name) {
            let names: Vec<&str> = sections.iter().map(|(s, _)| *s).collect();
            return Err(format!(
                "--only {name}: no such section (the sections are {})",
                names.join(", ")
            )
            .into());
        }
    }
    for (name, run) in sections {
        if only.is_none_or(|o| o == *name) {
            run(context)?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_read_the_value_after_their_name() {
        let args: Vec<String> = ["--steps", "300", "--task", "sort"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(flag_value("demo", &args, "--task").as_deref(), Some("sort"));
        assert_eq!(flag_number::<usize>("demo", &args, "--steps"), Some(300));
        assert_eq!(flag_number::<f64>("demo", &args, "--lr"), None);
    }

    #[test]
    fn long_text_lines_wrap_to_the_code_box() {
        let words = vec!["word"; 40].join(" ");
        let wrapped =
            fit_to_code_box(&format!("  {words}\nshort\n{}", "x".repeat(100)));
        let lines: Vec<&str> = wrapped.lines().collect();
        assert!(
            lines.iter().all(|l| l.chars().count() <= CODE_BOX_COLUMNS),
            "{wrapped}"
        );
        assert!(lines[1].starts_with("      word"), "continuations go 4 deeper");
        assert_eq!(wrapped.split_whitespace().filter(|w| *w == "word").count(), 40);
        assert!(lines.contains(&"short"));
        let cut: String =
            lines.iter().rev().take(2).rev().map(|l| l.trim()).collect();
        assert_eq!(cut, "x".repeat(100), "a run without spaces is cut, not lost");
        assert_eq!(fit_to_code_box("a\nb\n"), "a\nb\n");
    }

    /// The committed outputs were written through `fit_to_code_box` (a demo that
    /// wrote a file another way would show a line the code box hides).
    #[test]
    fn generated_text_fits_the_code_box() {
        let root =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../book/src/generated");
        let mut checked = 0;
        for chapter in std::fs::read_dir(&root).unwrap() {
            for file in std::fs::read_dir(chapter.unwrap().path()).unwrap() {
                let path = file.unwrap().path();
                if path.extension().is_some_and(|e| e == "txt") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    for (n, line) in text.lines().enumerate() {
                        let width = line.chars().count();
                        assert!(
                            width <= CODE_BOX_COLUMNS,
                            "{}:{}: {width} characters, wider than the code box",
                            path.display(),
                            n + 1
                        );
                    }
                    checked += 1;
                }
            }
        }
        assert!(
            checked > 10,
            "only {checked} captured outputs under {}",
            root.display()
        );
    }

    #[test]
    fn nice_steps_are_one_two_or_five_times_a_power_of_ten() {
        assert_eq!(nice_step(10.0, 5.0), 2.0);
        assert_eq!(nice_step(1.0, 8.0), 0.1);
        assert_eq!(nice_step(300.0, 6.0), 50.0);
    }

    #[test]
    fn tables_right_align_numbers() {
        let t = markdown_table(
            &["name", "GFLOP/s"],
            &[vec!["v1".into(), "1.2".into()]],
        );
        assert_eq!(t, "| name | GFLOP/s |\n|---|---:|\n| v1 | 1.2 |\n");
    }

    #[test]
    fn charts_are_well_formed_svg() {
        let line = LineChart::new("a < b")
            .x_label("x")
            .series("f", vec![(0.0, 0.0), (1.0, 2.0)])
            .to_svg();
        assert!(
            line.starts_with("<svg xmlns")
                && line.ends_with("</svg>\n")
                && line.contains("a &lt; b")
        );
        let dots = LineChart::new("data")
            .scatter_series("samples", vec![(0.0, 1.0), (1.0, 2.0)])
            .to_svg();
        // two samples and the legend's marker
        assert_eq!(dots.matches("<circle").count(), 3);
        // The legend sits under the plot area: the chart grows by its rows.
        let names = ["a long series name", "another one", "a third, also long"];
        let chart = names.iter().fold(LineChart::new("t"), |c, n| {
            c.series(n, vec![(0.0, 0.0), (1.0, 1.0)])
        });
        let svg = chart.to_svg();
        let height: f64 = svg
            .split("height=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(height > 380.0, "{height}");
        let places = legend_layout(&chart.series, 640.0);
        assert!(places.iter().all(|&(x, y)| (60.0..620.0).contains(&x) && y > 0.0));
        let bars = BarChart::new("speed", "GFLOP/s")
            .log_scale()
            .bar("v1", 1.2)
            .bar("v5", 227.0)
            .to_svg();
        assert!(bars.contains(">227<") && bars.contains(">1.20<"));
    }

    #[test]
    fn values_keep_three_significant_digits() {
        assert_eq!(format_value(1.234), "1.23");
        assert_eq!(format_value(45.67), "45.7");
        assert_eq!(format_value(227.4), "227");
    }

    #[test]
    fn run_sections_runs_the_one_asked_for_and_names_the_others_for_a_typo() {
        fn count(c: &std::cell::Cell<u32>) -> Result<(), String> {
            c.set(c.get() + 1);
            Ok(())
        }
        fn fail(_: &std::cell::Cell<u32>) -> Result<(), String> {
            Err("ran".into())
        }
        let ran = std::cell::Cell::new(0);
        let sections: [DemoSection<std::cell::Cell<u32>, String>; 2] =
            [("count", count), ("fail", fail)];
        assert_eq!(run_sections(Some("count"), &sections, &ran), Ok(()));
        assert_eq!(ran.get(), 1);
        assert_eq!(run_sections(None, &sections, &ran), Err("ran".to_string()));
        assert_eq!(ran.get(), 2);
        assert_eq!(
            run_sections(Some("cuont"), &sections, &ran),
            Err("--only cuont: no such section (the sections are count, fail)"
                .to_string())
        );
        assert_eq!(ran.get(), 2);
    }
}
