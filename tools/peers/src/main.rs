//! SGEMM throughput of Kindling's fast matmul next to the `gemm` and `matrixmultiply` crates,
//! measured in one process, alternating libraries round by round so that noise from other
//! load on the machine hits all of them alike.
//!
//! Usage: `peers [--threads N] [--rounds R] [--secs S] [--libs a,b] [shapes...]`
//! where a shape is `N` (square) or `MxKxN`. Prints one line per (shape, library) with the
//! median GFLOP/s over the rounds and the min-max spread. Libraries: `kindling` (the f32
//! `kernel_api::gemm`, i.e. v5), `kindling-v4`, `gemm`, `matrixmultiply`.
//!
//! `peers --table` / `--table-quick` prints Kindling's own version table instead
//! (`kindling::bench::matmul::print_table`).

use kindling_tensor::kernel_api::{gemm, versions, MatRef};
use std::time::Instant;

fn main() {
    let mut threads = 1usize;
    let mut rounds = 5usize;
    let mut secs = 0.3f64;
    let mut libs: Vec<String> = ["kindling", "gemm", "matrixmultiply"].map(String::from).to_vec();
    let mut shapes: Vec<(usize, usize, usize)> = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--table" | "--table-quick" => return kindling::bench::matmul::print_table(arg == "--table-quick"),
            "--threads" => threads = args.next().expect("--threads N").parse().unwrap(),
            "--rounds" => rounds = args.next().expect("--rounds R").parse().unwrap(),
            "--secs" => secs = args.next().expect("--secs S").parse().unwrap(),
            "--libs" => libs = args.next().expect("--libs a,b").split(',').map(String::from).collect(),
            shape => {
                let dims: Vec<usize> = shape.split('x').map(|d| d.parse().expect("shape: N or MxKxN")).collect();
                shapes.push(match dims[..] {
                    [n] => (n, n, n),
                    [m, k, n] => (m, k, n),
                    _ => panic!("shape: N or MxKxN"),
                });
            }
        }
    }
    if shapes.is_empty() {
        shapes = vec![
            (128, 128, 128),
            (256, 256, 256),
            (512, 512, 512),
            (1024, 1024, 1024),
            (2048, 2048, 2048),
            (128, 784, 256),
            (128, 256, 128),
        ];
    }
    // matrixmultiply reads its thread count once, from the environment, on first use.
    std::env::set_var("MATMUL_NUM_THREADS", threads.to_string());
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
    println!("# threads={threads} rounds={rounds} secs/sample={secs}");
    println!("{:<16} {:<15} {:>9} {:>9} {:>9}", "shape", "library", "median", "min", "max");
    for &(m, k, n) in &shapes {
        let mut seed = 1u64;
        let mut rand = || {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((seed >> 40) as f32 / (1u64 << 24) as f32) - 0.5
        };
        let a: Vec<f32> = (0..m * k).map(|_| rand()).collect();
        let b: Vec<f32> = (0..k * n).map(|_| rand()).collect();
        let mut c = vec![0f32; m * n];
        let flops = 2.0 * (m * n * k) as f64;
        let mut results: Vec<Vec<f64>> = vec![Vec::new(); libs.len()];
        for _ in 0..rounds {
            for (li, lib) in libs.iter().enumerate() {
                let t = pool.install(|| median_seconds(secs, || run(lib, threads, m, k, n, &a, &b, &mut c)));
                results[li].push(flops / t / 1e9);
            }
        }
        for (lib, r) in libs.iter().zip(&mut results) {
            r.sort_by(|x, y| x.total_cmp(y));
            println!(
                "{:<16} {:<15} {:>9.1} {:>9.1} {:>9.1}",
                format!("{m}x{k}x{n}"),
                lib,
                r[r.len() / 2],
                r[0],
                r[r.len() - 1]
            );
        }
    }
}

#[allow(clippy::too_many_arguments)]
fn run(lib: &str, threads: usize, m: usize, k: usize, n: usize, a: &[f32], b: &[f32], c: &mut [f32]) {
    match lib {
        "kindling" => gemm(MatRef::row_major(a, m, k), MatRef::row_major(b, k, n), c),
        "kindling-v4" => versions::v4_packed_simd(MatRef::row_major(a, m, k), MatRef::row_major(b, k, n), c),
        "gemm" => {
            let par = if threads > 1 { gemm::Parallelism::Rayon(threads) } else { gemm::Parallelism::None };
            // SAFETY: row-major buffers of the stated sizes; strides in elements.
            unsafe {
                gemm::gemm(
                    m,
                    n,
                    k,
                    c.as_mut_ptr(),
                    1,
                    n as isize,
                    false,
                    a.as_ptr(),
                    1,
                    k as isize,
                    b.as_ptr(),
                    1,
                    n as isize,
                    0.0,
                    1.0,
                    false,
                    false,
                    false,
                    par,
                )
            }
        }
        // SAFETY: as above.
        "matrixmultiply" => unsafe {
            matrixmultiply::sgemm(
                m,
                k,
                n,
                1.0,
                a.as_ptr(),
                k as isize,
                1,
                b.as_ptr(),
                n as isize,
                1,
                0.0,
                c.as_mut_ptr(),
                n as isize,
                1,
            )
        },
        other => panic!("unknown library {other}"),
    }
}

/// Median seconds per call over at least 3 calls and `secs` seconds, after one warm-up call.
fn median_seconds(secs: f64, mut f: impl FnMut()) -> f64 {
    f();
    let mut times = Vec::new();
    let start = Instant::now();
    while times.len() < 3 || start.elapsed().as_secs_f64() < secs {
        let t = Instant::now();
        f();
        times.push(t.elapsed().as_secs_f64());
    }
    times.sort_by(|x, y| x.total_cmp(y));
    times[times.len() / 2]
}
