//! Drawing a fitted tree: scikit-learn's `export_text` layout, and a plain SVG picture.

use super::structure::Tree;
use std::fmt::Write;

/// scikit-learn's `export_text` defaults: branches below depth 10 are summarised, three
/// characters per level, two decimals.
const TEXT_MAX_DEPTH: usize = 10;
const SPACING: usize = 3;

impl Tree {
    fn feature_name(&self, f: usize, names: Option<&[String]>) -> String {
        names.map_or_else(|| format!("feature_{f}"), |n| n[f].clone())
    }

    fn check_names(&self, op: &str, names: Option<&[String]>) {
        if let Some(names) = names {
            assert!(
                names.len() == self.features,
                "Tree::{op}: the tree has {} features but {} feature names were given",
                self.features,
                names.len()
            );
        }
    }

    /// The predicted class position of a classification node (first of equal fractions).
    fn top_class(&self, node: usize) -> usize {
        let v = self.value(node);
        (0..v.len()).fold(0, |best, k| if v[k] > v[best] { k } else { best })
    }

    /// The depth of the subtree under `node`, counting `node` as 1 (scikit-learn's
    /// `_compute_depth`).
    fn subtree_depth(&self, node: usize) -> usize {
        match self.children(node) {
            None => 1,
            Some((l, r)) => 1 + self.subtree_depth(l).max(self.subtree_depth(r)),
        }
    }

    /// The rules of the tree as text, in the layout of scikit-learn's `export_text` with its
    /// defaults (`feature_i` names unless names are given; class labels, or the leaf mean as
    /// `value: [m]`; branches deeper than 10 summarised as "truncated branch of depth d").
    ///
    /// ```text
    /// |--- feature_1 <= 0.50
    /// |   |--- class: 0
    /// |--- feature_1 >  0.50
    /// |   |--- class: 1
    /// ```
    pub fn export_text(&self, feature_names: Option<&[String]>) -> String {
        self.check_names("export_text", feature_names);
        let mut out = String::new();
        self.text_node(&mut out, 0, 1, feature_names);
        out
    }

    fn text_node(&self, out: &mut String, node: usize, depth: usize, names: Option<&[String]>) {
        let mut indent = format!("|{}", " ".repeat(SPACING)).repeat(depth);
        indent.truncate(indent.len() - SPACING);
        indent.push_str(&"-".repeat(SPACING));
        let leaf = |out: &mut String| {
            if self.classes.is_empty() {
                let _ = writeln!(out, "{indent} value: [{:.2}]", self.value(node)[0]);
            } else {
                let _ = writeln!(out, "{indent} class: {}", self.classes[self.top_class(node)]);
            }
        };
        if depth > TEXT_MAX_DEPTH + 1 {
            match self.subtree_depth(node) {
                1 => leaf(out),
                d => {
                    let _ = writeln!(out, "{indent} truncated branch of depth {d}");
                }
            }
            return;
        }
        match self.children(node) {
            None => leaf(out),
            Some((l, r)) => {
                let name = self.feature_name(self.feature[node], names);
                let t = self.threshold[node];
                let _ = writeln!(out, "{indent} {name} <= {t:.2}");
                self.text_node(out, l, depth + 1, names);
                let _ = writeln!(out, "{indent} {name} >  {t:.2}");
                self.text_node(out, r, depth + 1, names);
            }
        }
    }

    /// A drawing of the tree as a standalone SVG document: one box per node with its split
    /// (`name <= threshold`, true goes left), impurity, sample count and value (class
    /// fractions and the predicted class, or the mean), and lines from parents to children.
    /// Leaves are spread evenly along the bottom; a parent sits above the middle of its
    /// children. Class names default to the labels.
    pub fn export_svg(&self, feature_names: Option<&[String]>, class_names: Option<&[String]>) -> String {
        self.check_names("export_svg", feature_names);
        if let Some(names) = class_names {
            assert!(
                names.len() == self.classes.len(),
                "Tree::export_svg: the tree has {} classes but {} class names were given",
                self.classes.len(),
                names.len()
            );
        }
        let lines: Vec<Vec<String>> =
            (0..self.node_count()).map(|n| self.box_lines(n, feature_names, class_names)).collect();
        let widest = lines.iter().flatten().map(|l| l.chars().count()).max().unwrap_or(10);
        let (char_w, line_h, pad) = (7.0, 15.0, 6.0);
        let box_w = widest as f64 * char_w + 2.0 * pad;
        let box_h = 5.0 * line_h + pad;
        let (gap_x, gap_y) = (12.0, 40.0);

        // x centre of every node: leaves in left-to-right order, parents over their children.
        let mut x = vec![0.0; self.node_count()];
        let mut depth = vec![0usize; self.node_count()];
        let mut next_leaf = 0.0;
        self.place(0, 0, &mut x, &mut depth, &mut next_leaf, box_w + gap_x);
        let levels = depth.iter().max().copied().unwrap_or(0) + 1;
        let width = next_leaf * (box_w + gap_x) + gap_x;
        let height = levels as f64 * (box_h + gap_y) + gap_y;

        let mut svg = String::new();
        let _ = writeln!(
            svg,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.0} {height:.0}" font-family="monospace" font-size="12">"#
        );
        let _ = writeln!(svg, r#"<rect width="100%" height="100%" fill="white"/>"#);
        let top = |n: usize| gap_y / 2.0 + depth[n] as f64 * (box_h + gap_y);
        for n in 0..self.node_count() {
            if let Some((l, r)) = self.children(n) {
                for (c, label) in [(l, "yes"), (r, "no")] {
                    let (x1, y1, x2, y2) = (x[n], top(n) + box_h, x[c], top(c));
                    let _ = writeln!(
                        svg,
                        r#"<line x1="{x1:.1}" y1="{y1:.1}" x2="{x2:.1}" y2="{y2:.1}" stroke="black"/><text x="{:.1}" y="{:.1}" text-anchor="middle" fill="gray">{label}</text>"#,
                        (x1 + x2) / 2.0,
                        (y1 + y2) / 2.0
                    );
                }
            }
        }
        for (n, text) in lines.iter().enumerate() {
            let (left, y) = (x[n] - box_w / 2.0, top(n));
            let fill = if self.is_leaf(n) { "#e8f4e8" } else { "#eef2fb" };
            let _ = writeln!(
                svg,
                r#"<rect x="{left:.1}" y="{y:.1}" width="{box_w:.1}" height="{box_h:.1}" rx="4" fill="{fill}" stroke="black"/>"#
            );
            for (i, line) in text.iter().enumerate() {
                let _ = writeln!(
                    svg,
                    r#"<text x="{:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                    x[n],
                    y + pad + line_h * (i as f64 + 0.8),
                    escape(line)
                );
            }
        }
        svg.push_str("</svg>\n");
        svg
    }

    fn place(&self, node: usize, d: usize, x: &mut [f64], depth: &mut [usize], next_leaf: &mut f64, step: f64) {
        depth[node] = d;
        match self.children(node) {
            None => {
                x[node] = (*next_leaf + 0.5) * step;
                *next_leaf += 1.0;
            }
            Some((l, r)) => {
                self.place(l, d + 1, x, depth, next_leaf, step);
                self.place(r, d + 1, x, depth, next_leaf, step);
                x[node] = (x[l] + x[r]) / 2.0;
            }
        }
    }

    fn box_lines(&self, node: usize, features: Option<&[String]>, classes: Option<&[String]>) -> Vec<String> {
        let mut lines = Vec::new();
        if let Some((f, t)) = self.split(node) {
            lines.push(format!("{} <= {t:.3}", self.feature_name(f, features)));
        }
        let measure = if self.classes.is_empty() { "squared_error" } else { "impurity" };
        lines.push(format!("{measure} = {:.3}", self.impurity[node]));
        lines.push(format!("samples = {}", self.samples[node]));
        if self.classes.is_empty() {
            lines.push(format!("value = {:.3}", self.value(node)[0]));
        } else {
            let fractions: Vec<String> = self.value(node).iter().map(|v| format!("{v:.2}")).collect();
            lines.push(format!("value = [{}]", fractions.join(", ")));
            let top = self.top_class(node);
            let name = classes.map_or_else(|| self.classes[top].to_string(), |c| c[top].clone());
            lines.push(format!("class = {name}"));
        }
        lines
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}
