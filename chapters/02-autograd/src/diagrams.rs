//! The chapter's diagram: the graph that Kindling's autograd records for y = (3x² +
//! 1)². Op names, values and gradients come from real [`Variable`]s and a real
//! backward pass.

use chapter_kit::diagram::{palette, Anchor, Diagram, Pen, Rect};
use kindling_autograd::Variable;
use kindling_tensor::Tensor;

/// One node of the graph, as the diagram shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct GraphNode {
    /// The node in the chapter's notation ("a = x²").
    pub name: &'static str,
    /// Its variable's letter, for ∂y/∂… ("a").
    pub var: &'static str,
    /// The op the autograd recorded for it (`Variable::op_name`; `None` for the
    /// input).
    pub op: Option<&'static str>,
    pub value: f64,
    /// ∂y/∂(this node), from the backward pass.
    pub grad: f64,
}

/// The nodes of [`first_gradient`](crate::first_gradient) at `x`, input first: the
/// same calls, with every intermediate kept (`retain_grad`) so that backward stores
/// its gradient too.
pub fn first_gradient_graph(x: f64) -> Vec<GraphNode> {
    let x = Variable::param(Tensor::scalar(x));
    let a = x.square();
    let c = &a * 3.0;
    let b = &c + 1.0;
    let y = b.square();
    let steps = [
        (&x, "x", "x"),
        (&a, "a = x²", "a"),
        (&c, "c = 3a", "c"),
        (&b, "b = c + 1", "b"),
        (&y, "y = b²", "y"),
    ];
    for (v, ..) in &steps[1..] {
        v.retain_grad();
    }
    // Read the op names first: backward frees what each node recorded.
    let ops: Vec<Option<&'static str>> =
        steps.iter().map(|(v, ..)| v.op_name()).collect();
    y.backward();
    steps
        .iter()
        .zip(ops)
        .map(|(&(v, name, var), op)| GraphNode {
            name,
            var,
            op,
            value: v.item(),
            grad: v.grad().expect("every node requires a gradient").item(),
        })
        .collect()
}

/// The graph left to right: a box per node with its op, value and gradient; forward
/// arrows between the boxes; and, below, the backward pass, each arrow labelled
/// with the local derivative it multiplies by.
pub fn graph_diagram(nodes: &[GraphNode]) -> String {
    let (w, h, gap) = (116.0, 96.0, 30.0);
    let (x0, top) = (10.0, 44.0);
    let mut d =
        Diagram::new(x0 * 2.0 + nodes.len() as f64 * (w + gap) - gap, 204.0);
    legend(&mut d);
    let boxes: Vec<Rect> = (0..nodes.len())
        .map(|k| Rect::new(x0 + k as f64 * (w + gap), top, w, h))
        .collect();
    for (k, (n, r)) in nodes.iter().zip(&boxes).enumerate() {
        let fill = match k {
            0 => palette::TINTS[2],
            k if k + 1 == nodes.len() => palette::TINTS[1],
            _ => palette::TINTS[0],
        };
        d.rect(*r, fill);
        let cx = r.center().0;
        d.bold(cx, r.y + 22.0, n.name, Anchor::Middle);
        let op = n.op.unwrap_or("input (param)");
        d.coloured(cx, r.y + 42.0, op, Anchor::Middle, palette::GREY);
        d.text(cx, r.y + 64.0, &format!("value {}", n.value), Anchor::Middle);
        let grad = format!("∂y/∂{} = {}", n.var, n.grad);
        d.coloured(cx, r.y + 86.0, &grad, Anchor::Middle, palette::VERMILLION);
    }
    for (k, pair) in boxes.windows(2).enumerate() {
        d.arrow(pair[0].right(), pair[1].left(), Pen::solid(palette::BLUE, 1.8));
        // Backward: ∂y/∂(input) = ∂y/∂(output) × the op's local derivative.
        let (input, output) = (&nodes[k], &nodes[k + 1]);
        let local = input.grad / output.grad;
        let label = match output.op {
            Some("square") => format!("× 2{} = {local}", input.var),
            _ => format!("× {local}"),
        };
        let pen = Pen::dashed(palette::VERMILLION, 1.6);
        let apex = d.curved_arrow(pair[1].bottom(), pair[0].bottom(), 24.0, pen);
        d.coloured(
            apex.0,
            apex.1 + 18.0,
            &label,
            Anchor::Middle,
            palette::VERMILLION,
        );
    }
    d.to_svg()
}

fn legend(d: &mut Diagram) {
    d.arrow((10.0, 20.0), (44.0, 20.0), Pen::solid(palette::BLUE, 1.8));
    d.text(52.0, 25.0, "forward: values", Anchor::Start);
    d.arrow((264.0, 20.0), (230.0, 20.0), Pen::dashed(palette::VERMILLION, 1.6));
    let text = "backward: gradients ∂y/∂·, times each op's local derivative";
    d.text(272.0, 25.0, text, Anchor::Start);
}
