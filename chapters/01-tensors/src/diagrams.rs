//! The chapter's diagram: a matrix and its transpose over one flat buffer. Every
//! number in it (shapes, strides, offsets, buffer positions) is read from the
//! tensors of [`views_share_storage`], so the picture cannot disagree with the
//! library.

use crate::views_share_storage;
use chapter_kit::diagram::{palette, Anchor, Diagram, Pen};
use kindling_tensor::Tensor;

const PANEL: f64 = 360.0;
const CELL: (f64, f64) = (42.0, 34.0);
const GRID_TOP: f64 = 78.0;
const BUFFER_TOP: f64 = 262.0;

/// `x` (shape [2, 3]) and `x.t()` (shape [3, 2]) side by side, each drawn as its
/// grid of elements above the buffer they share, with one step along each axis and
/// the position of one element worked out.
pub fn strides_diagram() -> String {
    let views = views_share_storage();
    let (x, xt) = (&views[0].1, &views[1].1);
    assert!(xt.shares_storage_with(x), "x.t() is a view of x");
    let buffer = x.as_slice().expect("a fresh tensor is contiguous");
    let mut d = Diagram::new(2.0 * PANEL, 410.0);
    panel(&mut d, 0.0, views[0].0, x, buffer, [1, 2]);
    panel(&mut d, PANEL, views[1].0, xt, buffer, [2, 1]);
    d.line((PANEL, 10.0), (PANEL, 400.0), Pen::solid(palette::PADDING, 1.0));
    d.to_svg()
}

/// Where element `index` of `t` is in its buffer: offset + Σ index·stride.
pub fn position(t: &Tensor<f32>, index: &[usize]) -> usize {
    t.layout().offset_of(index)
}

/// One view: its name, shape, strides and offset; its grid (rows tinted); the
/// buffer (cells tinted by the row of `t` they belong to); a step along each axis;
/// and element `pick` traced from the grid to the buffer.
fn panel(
    d: &mut Diagram,
    ox: f64,
    name: &str,
    t: &Tensor<f32>,
    buffer: &[f32],
    pick: [usize; 2],
) {
    let (rows, cols) = (t.shape()[0], t.shape()[1]);
    let (s0, s1) = (t.strides()[0], t.strides()[1]);
    let mid = ox + PANEL / 2.0;
    d.bold(mid, 24.0, &format!("{name}: shape {:?}", t.shape()), Anchor::Middle);
    let kind = if t.is_contiguous() { "contiguous" } else { "not contiguous" };
    let layout =
        format!("strides {:?}, offset {} ({kind})", t.strides(), t.offset());
    d.text(mid, 44.0, &layout, Anchor::Middle);

    // The grid: what indexing shows.
    let gx = mid - cols as f64 * CELL.0 / 2.0;
    let grid = d.grid((gx, GRID_TOP), CELL, (rows, cols), |i, j| {
        (t.get(&[i, j]).to_string(), palette::TINTS[i])
    });
    for i in 0..rows {
        let y = GRID_TOP + (i as f64 + 0.5) * CELL.1 + 5.0;
        d.text(gx - 8.0, y, &format!("i = {i}"), Anchor::End);
    }
    for j in 0..cols {
        let x = gx + (j as f64 + 0.5) * CELL.0;
        d.coloured(
            x,
            GRID_TOP - 8.0,
            &format!("j = {j}"),
            Anchor::Middle,
            palette::GREY,
        );
    }

    // The buffer: what memory holds. A cell is tinted by the row of `t` it shows up
    // in.
    let mut tint = vec![palette::PADDING; buffer.len()];
    for i in 0..rows {
        for j in 0..cols {
            tint[position(t, &[i, j])] = palette::TINTS[i];
        }
    }
    let bx = mid - buffer.len() as f64 * CELL.0 / 2.0;
    let cells = d.grid((bx, BUFFER_TOP), CELL, (1, buffer.len()), |_, p| {
        (buffer[p].to_string(), tint[p])
    });
    d.coloured(bx - 8.0, BUFFER_TOP - 6.0, "buffer", Anchor::End, palette::GREY);
    for (p, c) in cells.iter().enumerate() {
        d.coloured(
            c.bottom().0,
            c.bottom().1 + 16.0,
            &format!("[{p}]"),
            Anchor::Middle,
            palette::GREY,
        );
    }

    // One step along each axis, from element (0, 0): axis 1 above the buffer, axis
    // 0 below.
    let origin = position(t, &[0, 0]);
    let up = Pen::solid(palette::BLUE, 1.6);
    let apex =
        d.curved_arrow(cells[origin].top(), cells[origin + s1].top(), 22.0, up);
    d.coloured(
        apex.0,
        apex.1 - 8.0,
        &format!("j + 1: +{s1}"),
        Anchor::Middle,
        palette::BLUE,
    );
    let down = Pen::solid(palette::VERMILLION, 1.6);
    let from = (cells[origin].bottom().0, cells[origin].bottom().1 + 22.0);
    let to = (cells[origin + s0].bottom().0, from.1);
    let low = d.curved_arrow(from, to, -22.0, down);
    d.coloured(
        low.0,
        low.1 + 20.0,
        &format!("i + 1: +{s0}"),
        Anchor::Middle,
        palette::VERMILLION,
    );

    // One element, from its place in the grid to its place in the buffer.
    let [i, j] = pick;
    let p = position(t, &pick);
    let cell = grid[i * cols + j];
    let pen = Pen::solid(palette::INK, 3.0);
    d.outline(cell, pen).outline(cells[p], pen);
    d.arrow(cell.bottom(), cells[p].top(), Pen::dashed(palette::INK, 1.5));
    let sum = format!(
        "{name}[{i}, {j}] is at {} + {i}·{s0} + {j}·{s1} = {p}",
        t.offset()
    );
    d.text(mid, 394.0, &sum, Anchor::Middle);
}
