//! The `kindling` command.

use kindling::bench;
use std::process::ExitCode;

const USAGE: &str = "\
kindling: deep learning from first sparks

USAGE:
    kindling bench [matmul|memory] [--quick]
        Print the performance tables: every matmul version in GFLOP/s and every
        memory-bound kernel in GB/s, on one thread and on all cores.
        --quick measures a few small sizes only (a smoke test, seconds).
    kindling info
        Print the CPU features the fast kernels use, the thread count and the kernel mode.

ENVIRONMENT:
    KINDLING_KERNELS=naive|fast   run every op on the naive or the fast kernels (default fast)
    RAYON_NUM_THREADS=N           number of threads the fast kernels may use
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

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "--quick");
    let rest: Vec<&str> = args.iter().map(String::as_str).filter(|a| *a != "--quick").collect();
    match rest.as_slice() {
        ["bench"] => {
            info();
            println!();
            bench::matmul::print_table(quick);
            println!();
            bench::memory::print_table(quick);
        }
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
