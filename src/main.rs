//! The `kindling` command: the front door of the workspace.

mod front;

use kindling::bench;
use std::process::ExitCode;

const USAGE: &str = "\
kindling: deep learning from first sparks

USAGE:
    kindling [demo] [--epochs N] [--out DIR]
        Train a small network on built-in synthetic data (three spirals) with progress bars,
        print the model summary, every epoch and the test accuracy, and write the loss and
        accuracy curves and the decision boundary as SVG into DIR (default
        target/kindling-demo). No download needed; about ten seconds in a release build.
    kindling chapters
        List the book's chapters and their crates.
    kindling chapter NN
        Run chapter NN's demo (cargo run --release -p <its crate>); it writes the plots and
        tables the book shows into book/src/generated/.
    kindling bench [matmul|memory|train [ROW...]] [--quick]
        Print the performance tables: every matmul version in GFLOP/s, every
        memory-bound kernel in GB/s, and whole training steps in steps/s (the course MLP
        with SGD and Adam, TinyVGG) with the MLP's small-batch inference latency, on one
        thread and on all cores. `bench train mlp_sgd_b128` measures the rows named only.
        --quick measures a few small sizes only (a smoke test, seconds).
    kindling info
        Print the CPU features the fast kernels use, the thread count and the kernel mode.
    kindling download <mnist|fashion-mnist|tinyshakespeare> [--dir DIR] [--base-url URL]
        Download a dataset into DIR/<name>/ (default: the cache, $KINDLING_CACHE or
        ~/.cache/kindling), verify every file against its published SHA-256 checksum, and
        print the folder. Files already present with the right checksum are not fetched
        again. --base-url reads from a mirror laid out as URL/<name>/<file>.

ENVIRONMENT:
    KINDLING_KERNELS=naive|fast   run every op on the naive or the fast kernels (default fast)
    RAYON_NUM_THREADS=N           number of threads the fast kernels may use
    KINDLING_CACHE=DIR            where `download` keeps datasets (default ~/.cache/kindling)
    KINDLING_DATASETS=DIR         the datasets folder tests and demos read (mnist/, fashion-mnist/, ...)
";

fn info() {
    println!("kernel mode: {:?}", kindling::tensor::kernel_mode());
    println!("threads:     {}", rayon::current_num_threads());
    #[cfg(target_arch = "x86_64")]
    {
        let features = [
            ("avx512f", std::arch::is_x86_feature_detected!("avx512f")),
            ("avx2", std::arch::is_x86_feature_detected!("avx2")),
            ("fma", std::arch::is_x86_feature_detected!("fma")),
        ];
        let found: Vec<&str> = features.iter().filter(|(_, on)| *on).map(|(name, _)| *name).collect();
        println!("cpu:         x86_64 with {}", if found.is_empty() { "no AVX".to_string() } else { found.join(", ") });
    }
    #[cfg(not(target_arch = "x86_64"))]
    println!("cpu:         {} (portable kernels)", std::env::consts::ARCH);
}

/// `kindling download NAME [--dir DIR] [--base-url URL]`.
fn download(args: &[String]) -> ExitCode {
    let fail = |message: String| {
        eprintln!("kindling download: {message}\n\n{USAGE}");
        ExitCode::FAILURE
    };
    let (mut name, mut dir, mut base_url) = (None, None, None);
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--dir" | "--base-url" => {
                let Some(value) = rest.next() else { return fail(format!("{arg} needs a value")) };
                if arg == "--dir" {
                    dir = Some(std::path::PathBuf::from(value));
                } else {
                    base_url = Some(value.clone());
                }
            }
            option if option.starts_with('-') => return fail(format!("unknown option {option}")),
            value if name.is_none() => name = Some(value.to_string()),
            extra => return fail(format!("unexpected argument {extra}")),
        }
    }
    let Some(name) = name else { return fail("which dataset? name one".to_string()) };
    let dataset = match name.parse::<kindling_data::RemoteDataset>() {
        Ok(d) => d,
        Err(e) => return fail(e.to_string()),
    };
    let cache = match dir.map_or_else(kindling_data::cache_dir, Ok) {
        Ok(c) => c,
        Err(e) => return fail(e.to_string()),
    };
    let mut downloader = kindling_data::Downloader::new(cache).on_progress(|line| eprintln!("{line}"));
    if let Some(url) = base_url {
        downloader = downloader.base_url(url);
    }
    match downloader.fetch(dataset) {
        Ok(folder) => {
            println!("{}", folder.display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("kindling download: {e}");
            ExitCode::FAILURE
        }
    }
}

/// `kindling [demo] [--epochs N] [--out DIR]`.
fn demo(args: &[String]) -> ExitCode {
    let fail = |message: String| {
        eprintln!("kindling demo: {message}\n\n{USAGE}");
        ExitCode::FAILURE
    };
    let (mut epochs, mut out) = (40, std::path::PathBuf::from("target/kindling-demo"));
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        let Some(value) = rest.next() else { return fail(format!("{arg} needs a value")) };
        match arg.as_str() {
            "--epochs" => match value.parse::<usize>() {
                Ok(n) if n > 0 => epochs = n,
                _ => return fail(format!("--epochs needs a positive whole number, got {value}")),
            },
            "--out" => out = value.into(),
            other => return fail(format!("unknown option {other}")),
        }
    }
    match front::demo(epochs, &out) {
        Ok(_) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kindling demo: {e}");
            ExitCode::FAILURE
        }
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("download") => return download(&args[1..]),
        None => return demo(&[]),
        Some("demo") => return demo(&args[1..]),
        Some(flag) if flag.starts_with("--") && flag != "--help" && flag != "--quick" => return demo(&args),
        Some("chapters") if args.len() == 1 => return front::list_chapters(),
        Some("chapter") if args.len() == 2 => return front::run_chapter(&args[1]),
        _ => {}
    }
    let quick = args.iter().any(|a| a == "--quick");
    let rest: Vec<&str> = args.iter().map(String::as_str).filter(|a| *a != "--quick").collect();
    match rest.as_slice() {
        ["bench"] => {
            info();
            println!();
            bench::matmul::print_table(quick);
            println!();
            bench::memory::print_table(quick);
            println!();
            bench::train::run(quick, &[]);
        }
        ["bench", "train", rows @ ..] => bench::train::run(quick, rows),
        ["bench", "matmul"] => bench::matmul::print_table(quick),
        ["bench", "memory"] => bench::memory::print_table(quick),
        ["info"] => info(),
        ["help"] | ["--help"] | ["-h"] => print!("{USAGE}"),
        _ => {
            eprint!("{USAGE}");
            return ExitCode::FAILURE;
        }
    }
    ExitCode::SUCCESS
}
