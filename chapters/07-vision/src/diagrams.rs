//! The chapter's diagrams: a convolution window sliding over a padded input, and
//! im2col turning the convolution into a matrix product. The numbers in them come
//! from the library's `conv2d` and `im2col`, so the pictures show what the code
//! computes.

use chapter_kit::diagram::{palette, Anchor, Diagram, Pen};
use kindling_tensor::conv::{conv2d, Conv2dOptions};
use kindling_tensor::kernel_api::conv::{fast, ConvGeometry};
use kindling_tensor::Tensor;

/// A 3×3 kernel of ones over a 5×5 input, as the library computes it.
pub struct SlidingWindow {
    pub n: usize,
    pub k: usize,
    pub padding: usize,
    pub stride: usize,
    /// The input, row by row (1 to 25).
    pub input: Vec<f32>,
    /// The output size along each axis, from the library.
    pub out_size: usize,
    /// The output of `conv2d`, row by row: each value is the sum of its window.
    pub output: Vec<f32>,
    /// The output position whose window the diagram draws.
    pub at: (usize, usize),
}

pub fn sliding_window_example() -> SlidingWindow {
    let (n, k, padding, stride) = (5, 3, 1, 2);
    let input: Vec<f32> = (1..=n * n).map(|v| v as f32).collect();
    let x = Tensor::from_vec(input.clone(), [1, 1, n, n]);
    let w = Tensor::<f32>::ones([1, 1, k, k]);
    let opts = Conv2dOptions::default().padding(padding).stride(stride);
    let y = conv2d(&x, &w, None, &opts);
    SlidingWindow {
        n,
        k,
        padding,
        stride,
        input,
        out_size: y.shape()[3],
        output: y.to_vec(),
        at: (0, 2),
    }
}

/// The padded input with the window of output `at` (solid) and of its left
/// neighbour (dashed, one stride away), and the output with the cells they produce.
pub fn sliding_window_diagram(s: &SlidingWindow) -> String {
    let (n, k, p, m) = (s.n, s.k, s.padding, s.out_size);
    let cell = 34.0;
    let (ix, top) = (30.0, 50.0);
    let padded = n + 2 * p;
    let mut d = Diagram::new(720.0, 372.0);
    let input = d.grid((ix, top), (cell, cell), (padded, padded), |r, c| {
        let inside = (p..p + n).contains(&r) && (p..p + n).contains(&c);
        if inside {
            (s.input[(r - p) * n + c - p].to_string(), "white")
        } else {
            ("0".to_string(), palette::PADDING)
        }
    });
    let window = |(i, j): (usize, usize)| {
        let (r, c) = (i * s.stride, j * s.stride);
        input[r * padded + c].union(&input[(r + k - 1) * padded + c + k - 1])
    };
    let (oi, oj) = s.at;
    let (solid, dashed) = (window((oi, oj)), window((oi, oj - 1)));
    d.outline(dashed, Pen::dashed(palette::BLUE, 2.5));
    d.outline(solid, Pen::solid(palette::VERMILLION, 3.0));

    let (ox, ocell) = (460.0, 44.0);
    let output = d.grid((ox, top), (ocell, ocell), (m, m), |i, j| {
        let fill = if (i, j) == s.at { palette::TINTS[1] } else { "white" };
        (s.output[i * m + j].to_string(), fill)
    });
    d.outline(output[oi * m + oj - 1], Pen::dashed(palette::BLUE, 2.5));
    d.outline(output[oi * m + oj], Pen::solid(palette::VERMILLION, 3.0));
    let arrow = Pen::solid(palette::VERMILLION, 1.8);
    let apex = d.curved_arrow(solid.top(), output[oi * m + oj].top(), 34.0, arrow);
    d.coloured(
        apex.0,
        apex.1 + 20.0,
        "window sum",
        Anchor::Middle,
        palette::VERMILLION,
    );

    let below = top + padded as f64 * cell + 24.0;
    let (size, stride) = (format!("{n} × {n}"), s.stride);
    d.bold(
        ix,
        below,
        &format!("input {size}, padding {p} (the grey zeros)"),
        Anchor::Start,
    );
    let solid_text = format!("solid: the window of output ({oi}, {oj})");
    d.coloured(ix, below + 22.0, &solid_text, Anchor::Start, palette::VERMILLION);
    let dashed_text =
        format!("dashed: output ({oi}, {}), {stride} columns to the left", oj - 1);
    d.coloured(ix, below + 44.0, &dashed_text, Anchor::Start, palette::BLUE);

    let y = top + m as f64 * ocell + 24.0;
    d.bold(ox, y, &format!("output {m} × {m}, stride {stride}"), Anchor::Start);
    let formula = format!("⌊({n} + 2·{p} − {k}) / {stride}⌋ + 1 = {m}");
    d.text(ox, y + 22.0, &formula, Anchor::Start);
    d.text(ox, y + 44.0, &format!("kernel: {k} × {k} ones, so"), Anchor::Start);
    d.text(ox, y + 66.0, "each output is a window's sum", Anchor::Start);
    d.to_svg()
}

/// im2col of a 4×4 image (1 to 16) for two 3×3 kernels, and the convolution as a
/// product.
pub struct Im2col {
    pub image: Vec<f32>,
    /// Two kernels, `[2, 9]` row by row: all ones (a window's sum) and the centre
    /// tap.
    pub kernels: Vec<f32>,
    /// `fast::im2col`'s output, `[9, 4]` row by row (a row per tap, a column per
    /// window).
    pub cols: Vec<f32>,
    /// `conv2d`'s output, `[2, 4]` row by row (a row per output map).
    pub output: Vec<f32>,
}

pub fn im2col_example() -> Im2col {
    let image: Vec<f32> = (1..=16).map(|v| v as f32).collect();
    let mut kernels = vec![1.0f32; 9];
    kernels.extend((0..9).map(|t| if t == 4 { 1.0f32 } else { 0.0 }));
    let opts = Conv2dOptions::default();
    let geom = ConvGeometry::conv("conv2d", &[1, 1, 4, 4], &[2, 1, 3, 3], &opts);
    let mut cols = vec![0.0f32; 9 * geom.ho * geom.wo];
    fast::im2col(&geom, &image, 0, &mut cols);
    let x = Tensor::from_vec(image.clone(), [1, 1, 4, 4]);
    let w = Tensor::from_vec(kernels.clone(), [2, 1, 3, 3]);
    let output = conv2d(&x, &w, None, &opts).to_vec();
    Im2col { image, kernels, cols, output }
}

/// Top: the image with one window, the two kernels and the two output maps. Below:
/// the kernels as the rows of W, the windows as the columns of cols, and Y = W ·
/// cols.
pub fn im2col_diagram(e: &Im2col) -> String {
    const PICK: usize = 2; // the window of output pixel (1, 0), column 2 of cols
    let mut d = Diagram::new(720.0, 528.0);
    let tint = |o: usize| palette::TINTS[if o == 0 { 0 } else { 3 }];
    let num = |v: f32| v.to_string();

    // The image, its window for output pixel (1, 0), the kernels and the output
    // maps.
    d.bold(80.0, 26.0, "image 4 × 4", Anchor::Middle);
    let (pi, pj) = (PICK / 2, PICK % 2);
    let image = d.grid((20.0, 40.0), (30.0, 30.0), (4, 4), |i, j| {
        let inside = (pi..pi + 3).contains(&i) && (pj..pj + 3).contains(&j);
        (num(e.image[i * 4 + j]), if inside { palette::TINTS[1] } else { "white" })
    });
    let window = image[pi * 4 + pj].union(&image[(pi + 2) * 4 + pj + 2]);
    d.outline(window, Pen::solid(palette::VERMILLION, 3.0));
    d.bold(295.0, 26.0, "kernels 0 and 1, 3 × 3", Anchor::Middle);
    for o in 0..2 {
        let x = 190.0 + o as f64 * 120.0;
        d.grid((x, 50.0), (30.0, 30.0), (3, 3), |i, j| {
            (num(e.kernels[o * 9 + i * 3 + j]), tint(o))
        });
    }
    d.bold(575.0, 26.0, "output maps 0 and 1", Anchor::Middle);
    for o in 0..2 {
        let x = 500.0 + o as f64 * 90.0;
        let map = d.grid((x, 50.0), (34.0, 30.0), (2, 2), |i, j| {
            (num(e.output[o * 4 + i * 2 + j]), tint(o))
        });
        d.outline(map[PICK], Pen::solid(palette::VERMILLION, 3.0));
    }

    // The same convolution as one matrix product.
    let (top, row) = (236.0, 26.0);
    d.bold(155.0, 200.0, "W: 2 × 9", Anchor::Middle);
    d.coloured(155.0, 218.0, "a kernel per row", Anchor::Middle, palette::GREY);
    d.grid((20.0, top), (30.0, row), (2, 9), |o, t| {
        (num(e.kernels[o * 9 + t]), tint(o))
    });
    d.bold(302.0, top + row + 6.0, "×", Anchor::Middle);
    d.bold(428.0, 200.0, "cols: 9 × 4", Anchor::Middle);
    d.coloured(428.0, 218.0, "a window per column", Anchor::Middle, palette::GREY);
    let cols = d.grid((360.0, top), (34.0, row), (9, 4), |t, c| {
        (
            num(e.cols[t * 4 + c]),
            if c == PICK { palette::TINTS[1] } else { "white" },
        )
    });
    for t in 0..9 {
        let y = top + (t as f64 + 0.5) * row + 5.0;
        d.coloured(
            354.0,
            y,
            &format!("({}, {})", t / 3, t % 3),
            Anchor::End,
            palette::GREY,
        );
    }
    d.outline(
        cols[PICK].union(&cols[8 * 4 + PICK]),
        Pen::solid(palette::VERMILLION, 3.0),
    );
    d.bold(515.0, top + row + 6.0, "=", Anchor::Middle);
    d.bold(603.0, 200.0, "Y = W · cols: 2 × 4", Anchor::Middle);
    d.coloured(603.0, 218.0, "a map per row", Anchor::Middle, palette::GREY);
    let y = d.grid((535.0, top), (34.0, row), (2, 4), |o, c| {
        (num(e.output[o * 4 + c]), tint(o))
    });
    d.outline(y[PICK].union(&y[4 + PICK]), Pen::solid(palette::VERMILLION, 3.0));

    let note = "The outlined window becomes column 2 of cols; row o of W times it";
    d.text(20.0, 494.0, note, Anchor::Start);
    d.text(20.0, 514.0, "is pixel (1, 0) of output map o.", Anchor::Start);
    d.to_svg()
}

/// The product W · cols computed by the library's matmul: what the diagram claims
/// equals the convolution.
pub fn product(e: &Im2col) -> Vec<f32> {
    let w = Tensor::from_vec(e.kernels.clone(), [2, 9]);
    let cols = Tensor::from_vec(e.cols.clone(), [9, 4]);
    w.matmul(&cols).to_vec()
}
