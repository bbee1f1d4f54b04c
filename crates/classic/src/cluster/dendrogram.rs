//! Drawing a merge tree as a dendrogram, in plain SVG text.
//!
//! Leaves sit on the bottom axis in the order of a left-first walk from the root (SciPy's
//! order); each merge is a ∪ joining its two children at the height of its distance, so the
//! long vertical stems show where the tree is best cut. For a large tree only the last p
//! merges are drawn ([`dendrogram_svg_lastp`], SciPy's `truncate_mode='lastp'`): the p
//! clusters left before them become leaves labelled with their size in parentheses.
//!
//! ```
//! use kindling_classic::cluster::{dendrogram_svg, linkage, Linkage};
//! use kindling_tensor::Tensor;
//!
//! let x = Tensor::from_vec(vec![0.0, 1.0, 5.0, 6.5, 20.0], [5, 1]);
//! let names: Vec<String> = ["a", "b", "c", "d", "e"].iter().map(|s| s.to_string()).collect();
//! let svg = dendrogram_svg(&linkage(&x, Linkage::Average), Some(&names));
//! assert!(svg.starts_with("<svg") && svg.contains(">e</text>"));
//! ```

use super::agglomerative::Merge;
use std::fmt::Write;

/// Above this many points, [`dendrogram_svg`] draws only the last [`DEFAULT_LEAVES`] clusters.
pub const FULL_TREE_MAX: usize = 64;

/// The leaves [`dendrogram_svg`] keeps when it truncates.
pub const DEFAULT_LEAVES: usize = 30;

const LEFT: f64 = 70.0;
const TOP: f64 = 30.0;
const PLOT_HEIGHT: f64 = 360.0;
const LABEL_ROOM: f64 = 90.0;
const SPACING: f64 = 22.0;

/// The dendrogram of `merges` (SciPy linkage rows, as [`super::linkage`] returns) as an SVG
/// document. Leaves are named by `labels` (one per point) or by their index; a tree of more
/// than [`FULL_TREE_MAX`] points is truncated to its last [`DEFAULT_LEAVES`] clusters.
pub fn dendrogram_svg(merges: &[Merge], labels: Option<&[String]>) -> String {
    let n = merges.len() + 1;
    let leaves = if n > FULL_TREE_MAX { DEFAULT_LEAVES } else { n };
    dendrogram_svg_lastp(merges, labels, leaves)
}

/// The dendrogram showing only the last `p − 1` merges: the `p` clusters formed before them
/// are the leaves (a single point keeps its label, a larger cluster shows its size as
/// "(size)"). `p` is clamped to 1..=n. Panics when `labels` is not one name per point.
pub fn dendrogram_svg_lastp(merges: &[Merge], labels: Option<&[String]>, p: usize) -> String {
    let n = merges.len() + 1;
    if let Some(names) = labels {
        assert!(names.len() == n, "dendrogram_svg: {} labels for a tree of {n} points", names.len());
    }
    let p = p.clamp(1, n);
    let cut = 2 * n - p;
    let top_height = merges.last().map_or(1.0, |m| m.distance).max(f64::MIN_POSITIVE);
    let y_of = |h: f64| TOP + PLOT_HEIGHT * (1.0 - h / top_height);

    // Leaves in left-first order: the nodes below the cut met from the root.
    let mut order = Vec::with_capacity(p);
    let mut stack = vec![2 * n - 2];
    while let Some(node) = stack.pop() {
        if node < cut {
            order.push(node);
        } else {
            let m = merges[node - n];
            stack.push(m.right);
            stack.push(m.left);
        }
    }
    let width = LEFT + SPACING * p as f64 + 20.0;
    let height = TOP + PLOT_HEIGHT + LABEL_ROOM;
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.0} {height:.0}" font-family="sans-serif" font-size="11">"#
    );
    let _ = writeln!(svg, r#"<rect width="100%" height="100%" fill="white"/>"#);
    axis(&mut svg, top_height, &y_of);

    // x of every drawn node: leaves evenly spaced, a merge midway between its children.
    let mut x_of = vec![f64::NAN; 2 * n - 1];
    for (slot, &node) in order.iter().enumerate() {
        let x = LEFT + SPACING * (slot as f64 + 0.5);
        x_of[node] = x;
        let name = if node < n {
            labels.map_or_else(|| node.to_string(), |names| escape(&names[node]))
        } else {
            format!("({})", merges[node - n].size)
        };
        let y = TOP + PLOT_HEIGHT + 8.0;
        let _ = writeln!(
            svg,
            r#"<text x="{x:.1}" y="{y:.1}" transform="rotate(90 {x:.1} {y:.1})" dominant-baseline="middle">{name}</text>"#
        );
    }
    let _ = writeln!(svg, r##"<g stroke="#1f5fa8" stroke-width="1.4" fill="none">"##);
    for (s, m) in merges.iter().enumerate().skip(cut - n) {
        let (xl, xr) = (x_of[m.left], x_of[m.right]);
        let height_of = |node: usize| if node < cut { 0.0 } else { merges[node - n].distance };
        let (yl, yr, y) = (y_of(height_of(m.left)), y_of(height_of(m.right)), y_of(m.distance));
        let _ = writeln!(svg, r#"<path d="M{xl:.1},{yl:.1} V{y:.1} H{xr:.1} V{yr:.1}"/>"#);
        x_of[n + s] = 0.5 * (xl + xr);
    }
    svg.push_str("</g>\n</svg>\n");
    svg
}

/// The distance axis on the left: a line and five labelled ticks from 0 to the top merge.
fn axis(svg: &mut String, top_height: f64, y_of: &impl Fn(f64) -> f64) {
    let x = LEFT - 10.0;
    let _ = writeln!(svg, r#"<line x1="{x}" y1="{TOP}" x2="{x}" y2="{:.1}" stroke="black"/>"#, TOP + PLOT_HEIGHT);
    for i in 0..=4 {
        let h = top_height * i as f64 / 4.0;
        let y = y_of(h);
        let _ = writeln!(svg, r#"<line x1="{:.1}" y1="{y:.1}" x2="{x}" y2="{y:.1}" stroke="black"/>"#, x - 4.0);
        let _ = writeln!(
            svg,
            r#"<text x="{:.1}" y="{y:.1}" text-anchor="end" dominant-baseline="middle">{h:.3}</text>"#,
            x - 6.0
        );
    }
    let _ = writeln!(
        svg,
        r#"<text x="14" y="{:.1}" transform="rotate(-90 14 {:.1})" text-anchor="middle">distance</text>"#,
        TOP + PLOT_HEIGHT / 2.0,
        TOP + PLOT_HEIGHT / 2.0
    );
}

/// The text escaped for SVG.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}
