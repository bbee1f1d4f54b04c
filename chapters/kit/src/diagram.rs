//! Diagrams drawn by code, as SVG: boxes and cells with text, grids, arrows and
//! labels.
//!
//! Just enough to explain an idea with the library's own numbers (strides over a
//! buffer, a computation graph, a convolution window, im2col). Every diagram shares
//! one look: a white background, one readable font size ([`FONT_SIZE`] px at the
//! image's natural size), the Okabe–Ito colours (distinct for colour-blind
//! readers), and a width of at most [`MAX_WIDTH`] px, so the book shows it at full
//! size and never shrinks the text.

use crate::escape;
use std::fmt::Write as _;

/// The widest a diagram may be: the book's content column.
pub const MAX_WIDTH: f64 = 720.0;

/// The size of every label, in px.
pub const FONT_SIZE: f64 = 14.0;

/// Colours of the Okabe–Ito palette, which stay apart for the common kinds of
/// colour blindness, and light tints of them to put dark text on.
pub mod palette {
    pub const INK: &str = "#222222";
    pub const GREY: &str = "#767676";
    pub const BLUE: &str = "#0072B2";
    pub const VERMILLION: &str = "#D55E00";
    pub const GREEN: &str = "#009E73";
    pub const PURPLE: &str = "#CC79A7";
    /// Light fills (tints of blue, orange, green and purple), one per group of
    /// cells.
    pub const TINTS: [&str; 4] = ["#cfe6f5", "#fbe4bd", "#c9eee2", "#f3d9e8"];
    /// The fill of cells that are only padding (zeros nobody stored).
    pub const PADDING: &str = "#eeeeee";
}

/// A rectangle: its top-left corner and its size.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

impl Rect {
    pub fn new(x: f64, y: f64, w: f64, h: f64) -> Rect {
        Rect { x, y, w, h }
    }

    pub fn center(&self) -> (f64, f64) {
        (self.x + self.w / 2.0, self.y + self.h / 2.0)
    }

    /// The middle of the top edge.
    pub fn top(&self) -> (f64, f64) {
        (self.x + self.w / 2.0, self.y)
    }

    /// The middle of the bottom edge.
    pub fn bottom(&self) -> (f64, f64) {
        (self.x + self.w / 2.0, self.y + self.h)
    }

    /// The middle of the left edge.
    pub fn left(&self) -> (f64, f64) {
        (self.x, self.y + self.h / 2.0)
    }

    /// The middle of the right edge.
    pub fn right(&self) -> (f64, f64) {
        (self.x + self.w, self.y + self.h / 2.0)
    }

    /// The smallest rectangle holding both.
    pub fn union(&self, other: &Rect) -> Rect {
        let (x, y) = (self.x.min(other.x), self.y.min(other.y));
        let x1 = (self.x + self.w).max(other.x + other.w);
        let y1 = (self.y + self.h).max(other.y + other.h);
        Rect::new(x, y, x1 - x, y1 - y)
    }
}

/// Where a label's anchor point is: its start, middle or end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Anchor {
    Start,
    Middle,
    End,
}

/// How a line or an outline is drawn.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pen {
    pub colour: &'static str,
    pub width: f64,
    pub dashed: bool,
}

impl Pen {
    pub const fn solid(colour: &'static str, width: f64) -> Pen {
        Pen { colour, width, dashed: false }
    }

    pub const fn dashed(colour: &'static str, width: f64) -> Pen {
        Pen { colour, width, dashed: true }
    }

    fn attributes(&self) -> String {
        let dash = if self.dashed { r#" stroke-dasharray="6 4""# } else { "" };
        format!(r#"stroke="{}" stroke-width="{}"{dash}"#, self.colour, self.width)
    }
}

/// A diagram under construction: add shapes, then call [`Diagram::to_svg`].
pub struct Diagram {
    width: f64,
    height: f64,
    body: String,
    /// The colours of the arrowheads in use (one `<marker>` each).
    markers: Vec<&'static str>,
}

impl Diagram {
    /// An empty diagram. Panics when `width` is over [`MAX_WIDTH`]: the book would
    /// shrink it.
    pub fn new(width: f64, height: f64) -> Diagram {
        assert!(
            width <= MAX_WIDTH,
            "Diagram: width {width} is over {MAX_WIDTH} px"
        );
        Diagram { width, height, body: String::new(), markers: Vec::new() }
    }

    /// A label whose baseline is at `y`.
    pub fn text(
        &mut self,
        x: f64,
        y: f64,
        text: &str,
        anchor: Anchor,
    ) -> &mut Self {
        self.styled_text(x, y, text, anchor, palette::INK, false)
    }

    /// A bold label.
    pub fn bold(
        &mut self,
        x: f64,
        y: f64,
        text: &str,
        anchor: Anchor,
    ) -> &mut Self {
        self.styled_text(x, y, text, anchor, palette::INK, true)
    }

    /// A label in `colour` (match it with the arrow or outline it names).
    pub fn coloured(
        &mut self,
        x: f64,
        y: f64,
        text: &str,
        anchor: Anchor,
        colour: &str,
    ) -> &mut Self {
        self.styled_text(x, y, text, anchor, colour, false)
    }

    fn styled_text(
        &mut self,
        x: f64,
        y: f64,
        text: &str,
        anchor: Anchor,
        colour: &str,
        bold: bool,
    ) -> &mut Self {
        let anchor = match anchor {
            Anchor::Start => "start",
            Anchor::Middle => "middle",
            Anchor::End => "end",
        };
        let weight = if bold { r#" font-weight="bold""# } else { "" };
        let _ = writeln!(
            self.body,
            r#"<text x="{x:.1}" y="{y:.1}" text-anchor="{anchor}" fill="{colour}"{weight}>{}</text>"#,
            escape(text)
        );
        self
    }

    /// A label centred (both ways) on a point.
    pub fn centred(&mut self, (x, y): (f64, f64), text: &str) -> &mut Self {
        self.text(x, y + FONT_SIZE * 0.35, text, Anchor::Middle)
    }

    /// A filled rectangle with a thin grey border.
    pub fn rect(&mut self, r: Rect, fill: &str) -> &mut Self {
        let _ = writeln!(
            self.body,
            r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="{fill}" stroke="{}" stroke-width="1"/>"#,
            r.x,
            r.y,
            r.w,
            r.h,
            palette::GREY
        );
        self
    }

    /// A rectangle's outline only (to highlight cells drawn before it).
    pub fn outline(&mut self, r: Rect, pen: Pen) -> &mut Self {
        let _ = writeln!(
            self.body,
            r#"<rect x="{:.1}" y="{:.1}" width="{:.1}" height="{:.1}" fill="none" {}/>"#,
            r.x,
            r.y,
            r.w,
            r.h,
            pen.attributes()
        );
        self
    }

    /// A box with a label in its middle.
    pub fn cell(&mut self, r: Rect, fill: &str, text: &str) -> &mut Self {
        self.rect(r, fill);
        self.centred(r.center(), text)
    }

    /// A `rows` × `cols` grid of cells of size `cell`, top-left at `(x, y)`;
    /// `content(i, j)` gives the label and the fill of cell `(i, j)`. Returns the
    /// rectangle of every cell, row by row, to place arrows and highlights on.
    pub fn grid(
        &mut self,
        (x, y): (f64, f64),
        cell: (f64, f64),
        (rows, cols): (usize, usize),
        mut content: impl FnMut(usize, usize) -> (String, &'static str),
    ) -> Vec<Rect> {
        let mut rects = Vec::with_capacity(rows * cols);
        for i in 0..rows {
            for j in 0..cols {
                let r = Rect::new(
                    x + j as f64 * cell.0,
                    y + i as f64 * cell.1,
                    cell.0,
                    cell.1,
                );
                let (text, fill) = content(i, j);
                self.cell(r, fill, &text);
                rects.push(r);
            }
        }
        rects
    }

    /// A straight line without arrowheads.
    pub fn line(
        &mut self,
        from: (f64, f64),
        to: (f64, f64),
        pen: Pen,
    ) -> &mut Self {
        self.segment(from, to, pen, String::new())
    }

    /// A straight arrow whose head touches `to`.
    pub fn arrow(
        &mut self,
        from: (f64, f64),
        to: (f64, f64),
        pen: Pen,
    ) -> &mut Self {
        let marker = self.marker(pen.colour);
        self.segment(from, to, pen, format!(r#" marker-end="url(#{marker})""#))
    }

    fn segment(
        &mut self,
        (x1, y1): (f64, f64),
        (x2, y2): (f64, f64),
        pen: Pen,
        extra: String,
    ) -> &mut Self {
        let _ = writeln!(
            self.body,
            r#"<line x1="{x1:.1}" y1="{y1:.1}" x2="{x2:.1}" y2="{y2:.1}" {}{extra}/>"#,
            pen.attributes()
        );
        self
    }

    /// An arrow along a curve that bulges `bend` px to the left of the direction of
    /// travel (negative: to the right). Returns the point of the curve farthest
    /// out, for its label.
    pub fn curved_arrow(
        &mut self,
        (x1, y1): (f64, f64),
        (x2, y2): (f64, f64),
        bend: f64,
        pen: Pen,
    ) -> (f64, f64) {
        let (dx, dy) = (x2 - x1, y2 - y1);
        let len = (dx * dx + dy * dy).sqrt().max(1e-9);
        // The unit normal to the left of the direction (y grows downwards in SVG).
        let (nx, ny) = (dy / len, -dx / len);
        let (mx, my) = ((x1 + x2) / 2.0, (y1 + y2) / 2.0);
        // A quadratic Bézier reaches half of its control point's offset at its
        // middle.
        let (cx, cy) = (mx + 2.0 * bend * nx, my + 2.0 * bend * ny);
        let marker = self.marker(pen.colour);
        let _ = writeln!(
            self.body,
            r#"<path d="M{x1:.1},{y1:.1} Q{cx:.1},{cy:.1} {x2:.1},{y2:.1}" fill="none" {} marker-end="url(#{marker})"/>"#,
            pen.attributes()
        );
        (mx + bend * nx, my + bend * ny)
    }

    /// The id of the arrowhead marker of `colour`, defined once per colour.
    fn marker(&mut self, colour: &'static str) -> String {
        if !self.markers.contains(&colour) {
            self.markers.push(colour);
        }
        format!("head-{}", colour.trim_start_matches('#'))
    }

    /// The diagram as a standalone SVG document.
    pub fn to_svg(&self) -> String {
        let (w, h) = (self.width, self.height);
        let mut svg = format!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="{FONT_SIZE}">
<rect width="100%" height="100%" fill="white"/>
"#
        );
        if !self.markers.is_empty() {
            svg.push_str("<defs>\n");
            for colour in &self.markers {
                let _ = writeln!(
                    svg,
                    r#"<marker id="head-{}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>"#,
                    colour.trim_start_matches('#')
                );
            }
            svg.push_str("</defs>\n");
        }
        svg.push_str(&self.body);
        svg.push_str("</svg>\n");
        svg
    }
}

/// Checks that `svg` is well-formed in the simple way our diagrams need: every tag
/// closed in order, attribute values quoted, and `&` only in the five XML entities.
pub fn check_well_formed(svg: &str) -> Result<(), String> {
    let mut open: Vec<&str> = Vec::new();
    let mut rest = svg;
    while let Some(start) = rest.find('<') {
        check_text(&rest[..start])?;
        let end =
            rest[start..].find('>').ok_or("a tag is not closed with '>'")? + start;
        let tag = &rest[start + 1..end];
        if !tag.matches('"').count().is_multiple_of(2) {
            return Err(format!("unbalanced quotes in <{tag}>"));
        }
        if let Some(name) = tag.strip_prefix('/') {
            match open.pop() {
                Some(o) if o == name.trim() => {}
                other => return Err(format!("</{name}> closes {other:?}")),
            }
        } else if !tag.ends_with('/') {
            open.push(tag.split_whitespace().next().unwrap_or(""));
        }
        rest = &rest[end + 1..];
    }
    check_text(rest)?;
    if open.is_empty() {
        Ok(())
    } else {
        Err(format!("tags left open: {open:?}"))
    }
}

fn check_text(text: &str) -> Result<(), String> {
    if text.contains('>') {
        return Err(format!("a stray '>' in {text:?}"));
    }
    for (i, _) in text.match_indices('&') {
        let entity = ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"];
        if !entity.iter().any(|e| text[i..].starts_with(e)) {
            return Err(format!("an unescaped '&' in {text:?}"));
        }
    }
    Ok(())
}

/// The labels of `svg` (the contents of its `<text>` elements, unescaped), in
/// drawing order: what a test compares with the numbers the diagram is meant to
/// show.
pub fn labels(svg: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = svg;
    while let Some(start) = rest.find("<text") {
        let Some(open_end) = rest[start..].find('>') else { break };
        let body = &rest[start + open_end + 1..];
        let Some(close) = body.find("</text>") else { break };
        let text = &body[..close];
        out.push(
            text.replace("&lt;", "<")
                .replace("&gt;", ">")
                .replace("&quot;", "\"")
                .replace("&apos;", "'")
                .replace("&amp;", "&"),
        );
        rest = &body[close..];
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> String {
        let mut d = Diagram::new(300.0, 120.0);
        let cells = d.grid((10.0, 10.0), (30.0, 24.0), (2, 3), |i, j| {
            (format!("{}", i * 3 + j), palette::TINTS[i])
        });
        d.text(10.0, 100.0, "a < b & \"c\"", Anchor::Start);
        d.arrow(cells[0].bottom(), (60.0, 90.0), Pen::solid(palette::BLUE, 1.5));
        d.curved_arrow(
            cells[0].top(),
            cells[2].top(),
            12.0,
            Pen::dashed(palette::VERMILLION, 1.5),
        );
        d.arrow(cells[1].bottom(), (90.0, 90.0), Pen::solid(palette::BLUE, 1.5));
        d.outline(cells[4], Pen::solid(palette::VERMILLION, 3.0));
        d.to_svg()
    }

    #[test]
    fn diagrams_are_well_formed_svg_with_escaped_text() {
        let svg = sample();
        assert!(svg.starts_with("<svg xmlns") && svg.ends_with("</svg>\n"));
        assert_eq!(check_well_formed(&svg), Ok(()));
        assert!(svg.contains("a &lt; b &amp; &quot;c&quot;"));
        assert_eq!(labels(&svg), ["0", "1", "2", "3", "4", "5", "a < b & \"c\""]);
    }

    #[test]
    fn each_arrow_colour_gets_one_marker() {
        let svg = sample();
        assert_eq!(svg.matches("<marker ").count(), 2);
        assert_eq!(svg.matches(r##"marker-end="url(#head-0072B2)""##).count(), 2);
    }

    #[test]
    fn the_checker_finds_broken_svg() {
        assert!(check_well_formed("<svg><text>a</svg></text>").is_err());
        assert!(check_well_formed("<svg><g>").is_err());
        assert!(check_well_formed("<svg><text>a & b</text></svg>").is_err());
        assert!(check_well_formed(r#"<svg><rect x="1/></svg>"#).is_err());
    }

    #[test]
    fn text_stays_readable() {
        const { assert!(FONT_SIZE >= 13.0) };
        assert!(sample().contains(r#"font-size="14""#));
    }

    #[test]
    #[should_panic(expected = "over 720 px")]
    fn a_diagram_wider_than_the_book_is_refused() {
        Diagram::new(800.0, 100.0);
    }

    #[test]
    fn curved_arrows_report_their_outermost_point() {
        let mut d = Diagram::new(200.0, 200.0);
        // Left to right, bending to the left of travel: upwards on the screen.
        let (x, y) = d.curved_arrow(
            (0.0, 100.0),
            (100.0, 100.0),
            20.0,
            Pen::solid(palette::INK, 1.0),
        );
        assert!((x - 50.0).abs() < 1e-9 && (y - 80.0).abs() < 1e-9);
    }
}
