//! Chapter 2's demo: `cargo run --release -p ch02-autograd`.
//!
//! Differentiates the course's examples three ways (by hand, on the chapter's tape,
//! with Kindling's autograd), compares finite differences, plots derivatives,
//! builds the softmax Jacobian and measures what a backward pass costs. Everything
//! the book shows is written to `book/src/generated/02-autograd/`; `-- --only
//! diagrams` writes only the diagram.

use ch02_autograd::*;
use chapter_kit::{format_value, markdown_table, only_diagrams, LineChart, Output};
use kindling_autograd::Variable;
use kindling_tensor::Tensor;
use std::fmt::Write as _;

fn main() -> std::io::Result<()> {
    let out = Output::for_chapter("02-autograd")?;
    let args: Vec<String> = std::env::args().skip(1).collect();
    let diagrams_only = only_diagrams("ch02-autograd", &args);
    out.step(
        "diagram: the graph of y = (3x² + 1)² at x = 2, with values and gradients",
    );
    let graph = diagrams::first_gradient_graph(2.0);
    out.write("graph.svg", &diagrams::graph_diagram(&graph))?;
    if diagrams_only {
        return Ok(());
    }
    if cfg!(debug_assertions) {
        out.step("note: this is a debug build; run with --release for meaningful timings");
    }

    out.step("y = (3x² + 1)² at x = 2, three ways");
    let (y1, d1) = by_hand(2.0);
    let (y2, d2) = first_gradient(2.0);
    let (y3, d3) = {
        let mut tape = Tape::new();
        let x = tape.input(2.0);
        let x2 = tape.mul(x, x);
        let b = tape.scale(x2, 3.0);
        let b = tape.add_const(b, 1.0);
        let y = tape.mul(b, b);
        let g = tape.gradients(y);
        (tape.value(y), Tape::grad(&g, x))
    };
    let mut text = String::new();
    let _ = writeln!(text, "by hand:            y = {y1}, dy/dx = {d1}");
    let _ = writeln!(text, "on the chapter tape: y = {y3}, dy/dx = {d3}");
    let _ = writeln!(text, "Kindling autograd:  y = {y2}, dy/dx = {d2}");
    let x = Variable::param(Tensor::scalar(2.0f64));
    let y = (&(&x.square() * 3.0) + 1.0).square();
    let _ = writeln!(
        text,
        "\nprinting the variables before backward:\nx = {x}\ny = {y}"
    );
    out.write("first-gradient.txt", &text)?;

    out.step("finite differences: error against the step h");
    let exact = 1f64.cos();
    let (mut fwd, mut ctr, mut rows) = (Vec::new(), Vec::new(), Vec::new());
    for k in 1..=48 {
        let h = 10f64.powf(-(k as f64) / 4.0);
        let ef = (forward_difference(f64::sin, 1.0, h) - exact).abs().max(1e-17);
        let ec = (central_difference(f64::sin, 1.0, h) - exact).abs().max(1e-17);
        fwd.push((h.log10(), ef.log10()));
        ctr.push((h.log10(), ec.log10()));
        if k % 8 == 0 {
            rows.push(vec![
                format!("1e-{}", k / 4),
                format!("{ef:.1e}"),
                format!("{ec:.1e}"),
            ]);
        }
    }
    let chart = LineChart::new("Error of d/dx sin(x) at x = 1")
        .x_label("log10 h")
        .y_label("log10 |error|")
        .series("forward difference", fwd)
        .series("central difference", ctr);
    out.write("differences.svg", &chart.to_svg())?;
    out.write(
        "differences.md",
        &markdown_table(&["h", "forward error", "central error"], &rows),
    )?;

    out.step("sin(5x³) and its derivative by autograd");
    let xs = Tensor::linspace(-1.2f64, 1.2, 241);
    let dys =
        elementwise_derivative(&xs, |x| (&x.square() * x).mul_scalar(5.0).sin());
    let grid = xs.to_vec();
    let f: Vec<(f64, f64)> =
        grid.iter().map(|&x| (x, (5.0 * x * x * x).sin())).collect();
    let auto: Vec<(f64, f64)> =
        grid.iter().zip(dys.to_vec()).map(|(&x, d)| (x, d)).collect();
    let formula: Vec<(f64, f64)> =
        grid.iter().map(|&x| (x, (5.0 * x * x * x).cos() * 15.0 * x * x)).collect();
    let max_diff = auto
        .iter()
        .zip(&formula)
        .map(|(a, b)| (a.1 - b.1).abs())
        .fold(0.0, f64::max);
    out.step(&format!(
        "  largest difference between autograd and cos(5x³)·15x²: {max_diff:.1e}"
    ));
    let chart = LineChart::new("y = sin(5x³) and dy/dx")
        .x_label("x")
        .series("sin(5x³)", f)
        .series("dy/dx by autograd", auto)
        .dashed_series("cos(5x³)·15x² (by hand)", formula);
    out.write("sin5x3.svg", &chart.to_svg())?;
    let (y, dy) = sin_5x3_on_tape(1.0);
    out.write(
        "sin5x3.txt",
        &format!("at x = 1 on the tape: y = {y:.10}, dy/dx = {dy:.10} (15·cos 5 = {:.10})\nlargest difference between autograd and the formula on [-1.2, 1.2]: {max_diff:.1e}\n", 15.0 * 5f64.cos()),
    )?;

    out.step("derivatives of sigmoid and tanh");
    let xs = Tensor::linspace(-5.0f64, 5.0, 201);
    let grid = xs.to_vec();
    let pair = |d: Tensor<f64>| {
        grid.iter().zip(d.to_vec()).map(|(&x, v)| (x, v)).collect::<Vec<_>>()
    };
    let sig = elementwise_derivative(&xs, |x| x.sigmoid());
    let tanh = elementwise_derivative(&xs, |x| x.tanh());
    let text = format!(
        "max σ'(x) = {:.4}, max tanh'(x) = {:.4}\n",
        sig.max_all(),
        tanh.max_all()
    );
    out.step(&format!("  {}", text.trim()));
    let chart = LineChart::new("Derivatives of two activations")
        .x_label("x")
        .series("tanh'(x) = 1 − tanh²(x)", pair(tanh))
        .series("σ'(x) = σ(x)(1 − σ(x))", pair(sig));
    out.write("activation-derivatives.svg", &chart.to_svg())?;
    out.write("activation-derivatives.txt", &text)?;

    out.step("the softmax Jacobian at z = [2, 1, 0.1], one backward pass per row");
    let j = softmax_jacobian_by_autograd(&[2.0, 1.0, 0.1]);
    let rows: Vec<Vec<String>> = j
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let mut cells = vec![format!("∂s{i}/∂z")];
            cells.extend(r.iter().map(|v| format!("{v:.10}")));
            cells.push(format!("{:.1e}", r.iter().sum::<f64>()));
            cells
        })
        .collect();
    out.write(
        "softmax-jacobian.md",
        &markdown_table(&["row", "∂/∂z0", "∂/∂z1", "∂/∂z2", "row sum"], &rows),
    )?;

    out.step("gradients accumulate; no_grad and detach");
    let mut text = String::new();
    for (what, v) in accumulation_and_no_grad() {
        let _ = writeln!(text, "{what:<42} {v}");
    }
    out.write("accumulate.txt", &text)?;

    out.step("what a backward pass costs (tanh MLP, f32, best of 5)");
    let mut rows = Vec::new();
    for (batch, width, layers) in [(64, 256, 4), (256, 512, 4), (512, 1024, 4)] {
        let (f, b) = forward_and_backward_time(batch, width, layers, 5);
        let (fm, bm) = (f.as_secs_f64() * 1e3, b.as_secs_f64() * 1e3);
        out.step(&format!("  batch {batch}, width {width}: forward {fm:.2} ms, backward {bm:.2} ms"));
        rows.push(vec![
            format!("{batch} × {width}, {layers} layers"),
            format_value(fm),
            format_value(bm),
            format!("{:.1}", bm / fm),
        ]);
    }
    out.write(
        "backward-cost.md",
        &markdown_table(
            &[
                "batch × width",
                "forward (ms)",
                "backward (ms)",
                "backward / forward",
            ],
            &rows,
        ),
    )?;

    out.step("done");
    Ok(())
}
