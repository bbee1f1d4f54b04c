//! Kindling's `linalg` against NumPy (LAPACK through OpenBLAS), one thread each, alternating
//! in one run so the machine's load hits both alike.
//!
//! ```sh
//! cargo run --release -p kindling-tensor --example linalg_vs_numpy -- [--python PATH] [--secs S] [--rounds R] [sizes...]
//! ```
//!
//! NumPy runs as a child process (`tools/peers/linalg_numpy.py --serve`) that answers "op n"
//! with the median time of one call; each op is one line in [`OPS`] here and one in that
//! script's `OPS`. The table prints the median over rounds of each side's medians and the
//! ratio Kindling time / NumPy time (below 1: Kindling is faster).

use kindling_tensor::{linalg, Rng, Tensor};
use std::hint::black_box;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The input an op is timed on (the same recipes as the Python side).
#[derive(Clone, Copy)]
enum Input {
    /// `G·Gᵀ + n·I`.
    Spd,
    /// Gaussian plus `√n·I`.
    General,
    /// Gaussian `2n × n`.
    Tall,
    /// `(G + Gᵀ)/2`, G Gaussian (for the symmetric eigendecomposition).
    Symmetric,
    /// Gaussian `n × n` (for the SVD).
    Gaussian,
}

type Call = fn(&Tensor<f64>, &Tensor<f64>);

/// Each op: its name (as in the Python script), its input, and the call timed on `(a, b)`,
/// `b` a vector with as many rows as `a`.
const OPS: &[(&str, Input, Call)] = &[
    ("cholesky", Input::Spd, |a, _| drop(black_box(linalg::cholesky(a).unwrap()))),
    ("solve", Input::General, |a, b| drop(black_box(linalg::solve(a, b).unwrap()))),
    ("inv", Input::General, |a, _| drop(black_box(linalg::inv(a).unwrap()))),
    ("det", Input::General, |a, _| {
        black_box(linalg::det(a));
    }),
    ("lstsq", Input::General, |a, b| drop(black_box(linalg::lstsq(a, b, None)))),
    ("lstsq_tall", Input::Tall, |a, b| drop(black_box(linalg::lstsq(a, b, None)))),
    ("eigh", Input::Symmetric, |a, _| drop(black_box(linalg::eigh(a).unwrap()))),
    ("eigvalsh", Input::Symmetric, |a, _| drop(black_box(linalg::eigvalsh(a).unwrap()))),
    ("svd", Input::Gaussian, |a, _| drop(black_box(linalg::svd(a).unwrap()))),
    ("svd_tall", Input::Tall, |a, _| drop(black_box(linalg::svd(a).unwrap()))),
];

fn make(input: Input, n: usize, rng: &mut Rng) -> Tensor<f64> {
    match input {
        Input::Spd => {
            let g = Tensor::<f64>::randn([n, n], rng);
            g.matmul(&g.t()) + Tensor::eye(n) * n as f64
        }
        Input::General => Tensor::<f64>::randn([n, n], rng) + Tensor::eye(n) * (n as f64).sqrt(),
        Input::Tall => Tensor::<f64>::randn([2 * n, n], rng),
        Input::Symmetric => {
            let g = Tensor::<f64>::randn([n, n], rng);
            (&g + &g.t()) * 0.5
        }
        Input::Gaussian => Tensor::<f64>::randn([n, n], rng),
    }
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// The median seconds of one call, over calls repeated for about `secs` (at least 3).
fn time_kindling(call: Call, a: &Tensor<f64>, b: &Tensor<f64>, secs: f64) -> f64 {
    call(a, b);
    let (mut times, start) = (Vec::new(), Instant::now());
    while times.len() < 3 || start.elapsed() < Duration::from_secs_f64(secs) {
        let t = Instant::now();
        call(a, b);
        times.push(t.elapsed().as_secs_f64());
    }
    median(times)
}

fn main() {
    let mut args = std::env::args().skip(1);
    let (mut python, mut secs, mut rounds, mut sizes) = ("/work/venv/bin/python".to_string(), 0.3, 3usize, Vec::new());
    let mut only: Option<String> = None;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--python" => python = args.next().expect("--python PATH"),
            "--secs" => secs = args.next().and_then(|s| s.parse().ok()).expect("--secs S"),
            "--rounds" => rounds = args.next().and_then(|s| s.parse().ok()).expect("--rounds R"),
            "--ops" => only = args.next(),
            size => sizes.push(size.parse::<usize>().unwrap_or_else(|_| panic!("not a size: {size}"))),
        }
    }
    if sizes.is_empty() {
        sizes = vec![128, 256, 512, 1024];
    }
    rayon::ThreadPoolBuilder::new().num_threads(1).build_global().expect("one rayon thread");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../tools/peers/linalg_numpy.py");
    let mut child = Command::new(&python)
        .args([script, "--serve", "--secs", &secs.to_string()])
        .envs(["OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"].map(|v| (v, "1")))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {python} {script}: {e}"));
    let mut to_numpy = child.stdin.take().unwrap();
    let mut from_numpy = BufReader::new(child.stdout.take().unwrap()).lines();
    let banner = from_numpy.next().expect("numpy peer exited").unwrap();
    println!("# kindling (release, fast kernels, 1 thread) vs {banner} (1 thread); median of {rounds} rounds");
    println!("{:<12} {:>5} {:>12} {:>12} {:>8}", "op", "n", "kindling ms", "numpy ms", "ratio");
    for &(name, input, call) in OPS {
        if only.as_deref().is_some_and(|o| !o.split(',').any(|x| x == name)) {
            continue;
        }
        for &n in &sizes {
            let mut rng = Rng::seed(n as u64);
            let a = make(input, n, &mut rng);
            let b = Tensor::<f64>::randn([a.shape()[0]], &mut rng);
            let (mut ours, mut theirs) = (Vec::new(), Vec::new());
            for _ in 0..rounds {
                ours.push(time_kindling(call, &a, &b, secs));
                writeln!(to_numpy, "{name} {n}").unwrap();
                let answer = from_numpy.next().expect("numpy peer exited").unwrap();
                theirs.push(answer.trim().parse::<f64>().expect("seconds from the numpy peer"));
            }
            let (ours, theirs) = (median(ours), median(theirs));
            println!("{name:<12} {n:>5} {:>12.3} {:>12.3} {:>8.2}", ours * 1e3, theirs * 1e3, ours / theirs);
        }
    }
    drop(to_numpy);
    let _ = child.wait();
}
