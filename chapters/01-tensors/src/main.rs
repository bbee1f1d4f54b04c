//! Chapter 1's demo: `cargo run --release -p ch01-tensors`.
//!
//! Prints tensors of every rank, views, broadcasting and the course's matrix
//! examples, then times the five matmul versions and a few kernels on the naive and
//! the fast path. Everything the book shows is written to
//! `book/src/generated/01-tensors/`; `-- --only diagrams` writes only the diagram.

use ch01_tensors::*;
use chapter_kit::{format_value, markdown_table, only_diagrams, BarChart, Output};
use kindling_tensor::kernel_api::versions;
use kindling_tensor::{Rng, Tensor};
use std::fmt::Write as _;

fn main() -> std::io::Result<()> {
    let out = Output::for_chapter("01-tensors")?;
    let args: Vec<String> = std::env::args().skip(1).collect();
    let diagrams_only = only_diagrams("ch01-tensors", &args);
    out.step("diagram: a matrix and its transpose over one buffer");
    out.write("strides.svg", &diagrams::strides_diagram())?;
    if diagrams_only {
        return Ok(());
    }
    if cfg!(debug_assertions) {
        out.step("note: this is a debug build; run with --release for meaningful timings");
    }

    out.step("tensors of rank 0 to 3");
    let mut text = String::new();
    for t in one_of_each_rank() {
        let _ = writeln!(text, "{}\n  -> {}\n", t, describe(&t));
    }
    out.write("ranks.txt", &text)?;

    out.step("making tensors");
    out.write("creation.txt", &listing(made_in_different_ways(), false))?;

    out.step("views: shape, strides and offset over one buffer");
    out.write("views.txt", &listing(views_share_storage(), true))?;

    out.step("broadcasting");
    out.write("broadcasting.txt", &listing(broadcasting_examples(), false))?;

    out.step("reductions: centering the columns");
    let x = Tensor::from([
        [1.0f32, 10.0, 100.0],
        [2.0, 20.0, 200.0],
        [3.0, 60.0, 600.0],
    ]);
    let (means, centered) = center_columns(&x);
    out.write(
        "reductions.txt",
        &format!(
            "x = {x}\n\nx.mean(0, true) = {means}\n\nx - means = {centered}\n"
        ),
    )?;

    out.step("matrix algebra: the course's 2 × 2 examples");
    out.write("matrix-algebra.txt", &listing(matrix_algebra(), false))?;
    out.write(
        "dense-shapes.txt",
        &format!(
            "relu(X [64, 100] · W [100, 50] + b [50]) has shape {:?}\n",
            dense_layer_shapes()
        ),
    )?;

    out.step("timing the five matmul versions (best of 3 at each size)");
    let sizes = [128, 256, 512];
    let timings: Vec<Vec<MatmulTiming>> = sizes
        .iter()
        .map(|&n| {
            let rows = time_matmul_versions(n, 3);
            for r in &rows {
                out.step(&format!(
                    "  {:>3}³ {:<20} {:>7.1} GFLOP/s",
                    n, r.version, r.gflops
                ));
            }
            rows
        })
        .collect();
    let last = timings.last().expect("sizes is not empty");
    let mut rows = Vec::new();
    for (v, row) in last.iter().enumerate() {
        let mut cells = vec![row.version.to_string()];
        cells.extend(timings.iter().map(|t| format!("{:.1}", t[v].gflops)));
        cells.push(format!("{:.0}×", row.gflops / last[0].gflops));
        rows.push(cells);
    }
    let headers = ["version", "128³", "256³", "512³", "speed-up over v1 at 512³"];
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let machine = format!(
        "Measured by the chapter's demo on {threads} core(s) with the `{}` microkernel (GFLOP/s, best of 3; v1 to v4 use one thread, v5 all cores).\n\n",
        versions::f32_kernel_name()
    );
    out.write("matmul-versions.md", &(machine + &markdown_table(&headers, &rows)))?;
    let mut chart =
        BarChart::new("f32 matmul, 512 × 512 × 512", "GFLOP/s (log scale)")
            .log_scale();
    for row in last {
        chart = chart.bar(row.version, row.gflops);
    }
    out.write("matmul-versions.svg", &chart.to_svg())?;

    out.step("the catalogue at the top of crates/tensor/src/ops/matmul/fast.rs");
    out.write("matmul-catalogue.md", &catalogue())?;

    out.step("the same programs on the naive and the fast kernels");
    out.write("naive-vs-fast.md", &naive_vs_fast_table(&out))?;

    out.step("done");
    Ok(())
}

/// Each tensor under its name; `debug` adds strides and offset.
fn listing(items: Vec<(&str, Tensor<f32>)>, debug: bool) -> String {
    let mut text = String::new();
    for (name, t) in items {
        let printed = if debug { format!("{t:?}") } else { format!("{t}") };
        let _ = writeln!(text, "{name}:\n{printed}\n");
    }
    text
}

/// The `//!` header of the fast matmul file, as markdown.
fn catalogue() -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../crates/tensor/src/ops/matmul/fast.rs"
    );
    let source = std::fs::read_to_string(path)
        .expect("the tensor crate's fast.rs is in the workspace");
    let mut md = String::new();
    for line in source.lines().take_while(|l| l.starts_with("//!")) {
        md.push_str(line.trim_start_matches("//!").strip_prefix(' ').unwrap_or(""));
        md.push('\n');
    }
    md
}

fn naive_vs_fast_table(out: &Output) -> String {
    let mut rng = Rng::seed(3);
    let big = Tensor::<f32>::randn([1024, 1024], &mut rng);
    let other = Tensor::<f32>::randn([1024, 1024], &mut rng);
    let row = Tensor::<f32>::randn([1024], &mut rng);
    let a = Tensor::<f32>::randn([256, 256], &mut rng);
    let b = Tensor::<f32>::randn([256, 256], &mut rng);
    type Program<'a> = Box<dyn Fn() -> Tensor<f32> + 'a>;
    let programs: Vec<(&str, Program)> = vec![
        ("x + y (1M elements)", Box::new(|| &big + &other)),
        ("x + row (broadcast, 1M elements)", Box::new(|| &big + &row)),
        ("x.exp() (1M elements)", Box::new(|| big.exp())),
        ("x.sum(1, false) (1M elements)", Box::new(|| big.sum(1, false))),
        ("x.softmax(-1) (1M elements)", Box::new(|| big.softmax(-1))),
        ("a.matmul(&b) (256³)", Box::new(|| a.matmul(&b))),
    ];
    let mut rows = Vec::new();
    for (name, program) in &programs {
        let ((naive, r1), (fast, r2)) = naive_and_fast(program);
        let same = r1.allclose(&r2, kindling_tensor::Tolerance::RELAXED);
        assert!(same, "{name}: the naive and fast kernels disagree");
        let (naive_ms, fast_ms) =
            (naive.as_secs_f64() * 1e3, fast.as_secs_f64() * 1e3);
        out.step(&format!(
            "  {name:<34} naive {naive_ms:>8.2} ms   fast {fast_ms:>7.3} ms"
        ));
        rows.push(vec![
            format!("`{name}`"),
            format_value(naive_ms),
            format_value(fast_ms),
            format!("{:.0}×", naive_ms / fast_ms),
        ]);
    }
    markdown_table(&["program", "naive (ms)", "fast (ms)", "speed-up"], &rows)
}
