//! Memory-bound kernels throughput table (GB/s).
//!
//! Every elementwise op, reduction and softmax moves a few bytes per arithmetic operation, so
//! the yardstick is not FLOP/s but how close a kernel gets to the machine's memory bandwidth.
//! The first row measures that bandwidth with a plain copy of the same byte count; the last
//! columns give each fast kernel as a percentage of it.
//!
//! Bytes are counted honestly and minimally: every input element read once plus every output
//! element written once (a copy of n floats moves 8n bytes, an add 12n). Caches make some passes
//! cheaper and write-allocate makes stores dearer; neither is counted.
//!
//! The "% of copy" columns divide by a copy of the same size timed again (back to back, like
//! the first row) just before each kernel: on this shared machine the first row alone could be
//! timed under a different load than a kernel printed a minute later (copy rows of consecutive
//! tables differed by 30%).
//!
//! - naive: the Tensor op under `KernelMode::Naive` (strided loops, single-threaded; the time
//!   includes allocating the output tensor).
//! - fast: the fast kernel on preallocated slices (what the op calls after its shape logic),
//!   except the broadcast add, which is the Tensor op (its broadcasting lives in the op).

use super::{median_seconds, thread_counts, with_threads};
use kindling_tensor::kernel_api::elementwise::{self as ew, binary_op};
use kindling_tensor::kernel_api::zeroed_buffer;
use kindling_tensor::kernel_api::{reduce as red, softmax as sm, BinaryOp, ReduceOp, UnaryOp};
use kindling_tensor::{with_kernel_mode, KernelMode, Rng, Tensor};

/// Inputs and buffers shared by every row of the table.
struct Data {
    rows: usize,
    cols: usize,
    a: Tensor<f32>,
    b: Tensor<f32>,
    bias: Tensor<f32>,
    out: Vec<f32>,
    small_out: Vec<f32>,
}

/// One row of the table: how to run it naive and fast, and the bytes one run moves.
struct Kernel {
    name: &'static str,
    bytes: fn(&Data) -> usize,
    naive: fn(&Data),
    fast: fn(&mut Data),
}

fn slice(t: &Tensor<f32>) -> &[f32] {
    t.as_slice().expect("benchmark inputs are contiguous")
}

fn elementwise_bytes(d: &Data) -> usize {
    2 * 4 * d.rows * d.cols
}
fn binary_bytes(d: &Data) -> usize {
    3 * 4 * d.rows * d.cols
}
fn bias_bytes(d: &Data) -> usize {
    4 * (2 * d.rows * d.cols + d.cols)
}
fn rows_reduce_bytes(d: &Data) -> usize {
    4 * (d.rows * d.cols + d.rows)
}
fn cols_reduce_bytes(d: &Data) -> usize {
    4 * (d.rows * d.cols + d.cols)
}

fn unary_fast(d: &mut Data, op: UnaryOp) {
    ew::unary(op, slice(&d.a), &mut d.out);
}
fn reduce_fast(d: &mut Data, op: ReduceOp, along_rows: bool) {
    let (rows, cols) = (d.rows, d.cols);
    if along_rows {
        red::reduce(op, slice(&d.a), rows, cols, 1, &mut d.small_out[..rows]);
    } else {
        red::reduce(op, slice(&d.a), 1, rows, cols, &mut d.small_out[..cols]);
    }
}

fn naive<R>(f: impl FnOnce() -> R) {
    std::hint::black_box(with_kernel_mode(KernelMode::Naive, f));
}

const KERNELS: &[Kernel] = &[
    Kernel {
        name: "add",
        bytes: binary_bytes,
        naive: |d| naive(|| &d.a + &d.b),
        fast: |d| ew::binary(BinaryOp::Add, slice(&d.a), slice(&d.b), &mut d.out),
    },
    Kernel {
        name: "mul",
        bytes: binary_bytes,
        naive: |d| naive(|| &d.a * &d.b),
        fast: |d| ew::binary(BinaryOp::Mul, slice(&d.a), slice(&d.b), &mut d.out),
    },
    // The same add as a Tensor op, which also allocates its 16 MiB result: the difference to
    // the row above is the cost of allocation, and the yardstick for the broadcast row below.
    Kernel {
        name: "add (op, allocates its result)",
        bytes: binary_bytes,
        naive: |d| naive(|| &d.a + &d.b),
        fast: |d| {
            std::hint::black_box(binary_op(BinaryOp::Add, &d.a, &d.b));
        },
    },
    Kernel {
        name: "add row vector (broadcast, op, allocates)",
        bytes: bias_bytes,
        naive: |d| naive(|| &d.a + &d.bias),
        fast: |d| {
            std::hint::black_box(binary_op(BinaryOp::Add, &d.a, &d.bias));
        },
    },
    Kernel {
        name: "relu",
        bytes: elementwise_bytes,
        naive: |d| naive(|| d.a.relu()),
        fast: |d| unary_fast(d, UnaryOp::Relu),
    },
    Kernel {
        name: "exp",
        bytes: elementwise_bytes,
        naive: |d| naive(|| d.a.exp()),
        fast: |d| unary_fast(d, UnaryOp::Exp),
    },
    Kernel {
        name: "tanh",
        bytes: elementwise_bytes,
        naive: |d| naive(|| d.a.tanh()),
        fast: |d| unary_fast(d, UnaryOp::Tanh),
    },
    Kernel {
        name: "sigmoid",
        bytes: elementwise_bytes,
        naive: |d| naive(|| d.a.sigmoid()),
        fast: |d| unary_fast(d, UnaryOp::Sigmoid),
    },
    Kernel {
        name: "erf",
        bytes: elementwise_bytes,
        naive: |d| naive(|| d.a.erf()),
        fast: |d| unary_fast(d, UnaryOp::Erf),
    },
    Kernel {
        name: "sum along rows",
        bytes: rows_reduce_bytes,
        naive: |d| naive(|| d.a.sum(1, false)),
        fast: |d| reduce_fast(d, ReduceOp::Sum, true),
    },
    Kernel {
        name: "sum along columns",
        bytes: cols_reduce_bytes,
        naive: |d| naive(|| d.a.sum(0, false)),
        fast: |d| reduce_fast(d, ReduceOp::Sum, false),
    },
    Kernel {
        name: "max along rows",
        bytes: rows_reduce_bytes,
        naive: |d| naive(|| d.a.max(1, false)),
        fast: |d| reduce_fast(d, ReduceOp::Max, true),
    },
    Kernel {
        name: "max along columns",
        bytes: cols_reduce_bytes,
        naive: |d| naive(|| d.a.max(0, false)),
        fast: |d| reduce_fast(d, ReduceOp::Max, false),
    },
    Kernel {
        name: "softmax along rows",
        bytes: elementwise_bytes,
        naive: |d| naive(|| d.a.softmax(-1)),
        fast: |d| sm::softmax(slice(&d.a), d.rows, d.cols, 1, &mut d.out, false),
    },
    Kernel {
        name: "log-softmax along rows",
        bytes: elementwise_bytes,
        naive: |d| naive(|| d.a.log_softmax(-1)),
        fast: |d| sm::softmax(slice(&d.a), d.rows, d.cols, 1, &mut d.out, true),
    },
    Kernel {
        name: "softmax along columns",
        bytes: elementwise_bytes,
        naive: |d| naive(|| d.a.softmax(0)),
        fast: |d| sm::softmax(slice(&d.a), 1, d.rows, d.cols, &mut d.out, false),
    },
];

/// A copy reads 4 bytes and writes 4 bytes per f32.
const COPY_BYTES_PER_ELEMENT: usize = 8;

/// A plain copy of the same bytes an elementwise op reads and writes, split across the pool.
fn copy(src: &[f32], dst: &mut [f32]) {
    use rayon::prelude::*;
    let threads = rayon::current_num_threads();
    if threads == 1 {
        dst.copy_from_slice(src);
    } else {
        let chunk = src.len().div_ceil(threads);
        dst.par_chunks_mut(chunk).zip(src.par_chunks(chunk)).for_each(|(d, s)| d.copy_from_slice(s));
    }
}

/// Prints the table: `quick` uses 64K elements and a few runs (a smoke test, seconds); the
/// full table uses 4M-element f32 inputs ([2048, 2048]).
pub fn print_table(quick: bool) {
    let (rows, cols) = if quick { (256, 256) } else { (2048, 2048) };
    let (min_runs, min_seconds) = if quick { (3, 0.005) } else { (10, 0.25) };
    let mut rng = Rng::seed(0);
    let shape = [rows, cols];
    let mut d = Data {
        rows,
        cols,
        a: Tensor::<f32>::rand(&shape[..], &mut rng),
        b: Tensor::<f32>::rand(&shape[..], &mut rng),
        bias: Tensor::<f32>::rand(&[cols][..], &mut rng),
        // Allocated the way op results are (huge-page hint for large buffers).
        out: zeroed_buffer(rows * cols),
        small_out: zeroed_buffer(rows.max(cols)),
    };
    let threads = thread_counts();
    let gbs = |bytes: usize, secs: f64| bytes as f64 / secs / 1e9;

    println!(
        "\n### Memory-bound kernels: f32 [{rows}, {cols}] ({} elements), GB/s (bytes read + written), SIMD level {}\n",
        rows * cols,
        kindling_tensor::kernel_api::level().name()
    );
    let mut header = String::from("| kernel |");
    let mut rule = String::from("|---|");
    for &t in &threads {
        header += &format!(" naive {t}T | fast {t}T |");
        rule += "---:|---:|";
    }
    for &t in &threads {
        header += &format!(" fast {t}T % of copy |");
        rule += "---:|";
    }
    for &t in &threads {
        header += &format!(" fast {t}T % of DRAM copy |");
        rule += "---:|";
    }
    println!("{header}\n{rule}");

    // The yardstick: memcpy of rows*cols floats (8 bytes per element moved).
    let copy_bw: Vec<f64> = threads
        .iter()
        .map(|&t| {
            let src = slice(&d.a);
            let dst = &mut d.out;
            with_threads(t, || {
                gbs(COPY_BYTES_PER_ELEMENT * rows * cols, median_seconds(min_runs, min_seconds, || copy(src, dst)))
            })
        })
        .collect();
    let mut line = String::from("| copy (memcpy, same size) |");
    for bw in &copy_bw {
        line += &format!(" {bw:.1} | {bw:.1} |");
    }
    line += &" 100% |".repeat(threads.len());
    line += &" – |".repeat(threads.len());
    println!("{line}");

    // A second yardstick by the STREAM rule: arrays four times the last-level cache, so the
    // copy measures DRAM, not cache. The 16 MiB inputs above partly live in a 32 MiB L3.
    let dram_elements = if quick { rows * cols } else { 4 * last_level_cache_bytes() / 4 };
    let dram_src: Vec<f32> = zeroed_buffer(dram_elements);
    let mut dram_dst: Vec<f32> = zeroed_buffer(dram_elements);
    let dram_bw: Vec<f64> = threads
        .iter()
        .map(|&t| {
            let (src, dst) = (&dram_src, &mut dram_dst);
            with_threads(t, || {
                gbs(
                    COPY_BYTES_PER_ELEMENT * dram_elements,
                    median_seconds(min_runs.min(5), min_seconds, || copy(src, dst)),
                )
            })
        })
        .collect();
    drop((dram_src, dram_dst));
    let mut line = format!("| copy (memcpy, DRAM: 2 × {} MiB) |", (dram_elements * 4) >> 20);
    for bw in &dram_bw {
        line += &format!(" {bw:.1} | {bw:.1} |");
    }
    line += &" – |".repeat(threads.len());
    line += &" 100% |".repeat(threads.len());
    println!("{line}");

    for k in KERNELS {
        let bytes = (k.bytes)(&d);
        let mut line = format!("| {} |", k.name);
        let mut fast_bw = Vec::new();
        let mut near_copy_bw = Vec::new();
        for &t in &threads {
            let dn = &d;
            let naive = with_threads(t, || median_seconds(min_runs, min_seconds, || (k.naive)(dn)));
            // The same copy as the first row, timed again just before this kernel, so that the
            // two see the same load on a shared machine.
            let (src, dst) = (slice(&d.a), &mut d.out);
            let copy_s = with_threads(t, || median_seconds(min_runs, min_seconds, || copy(src, dst)));
            near_copy_bw.push(gbs(COPY_BYTES_PER_ELEMENT * rows * cols, copy_s));
            let dm = &mut d;
            let fast = with_threads(t, || median_seconds(min_runs, min_seconds, || (k.fast)(dm)));
            fast_bw.push(gbs(bytes, fast));
            line += &format!(" {:.1} | {:.1} |", gbs(bytes, naive), gbs(bytes, fast));
        }
        for (bw, copy) in fast_bw.iter().zip(&near_copy_bw) {
            line += &format!(" {:.0}% |", 100.0 * bw / copy);
        }
        for (bw, copy) in fast_bw.iter().zip(&dram_bw) {
            line += &format!(" {:.0}% |", 100.0 * bw / copy);
        }
        println!("{line}");
    }
}

/// The last-level cache size from Linux's sysfs (32 MiB, this project's machine, elsewhere).
fn last_level_cache_bytes() -> usize {
    let read = |level: usize| -> Option<usize> {
        let text = std::fs::read_to_string(format!("/sys/devices/system/cpu/cpu0/cache/index{level}/size")).ok()?;
        let text = text.trim();
        let (digits, unit) = text.split_at(text.find(|c: char| !c.is_ascii_digit()).unwrap_or(text.len()));
        let n: usize = digits.parse().ok()?;
        Some(match unit {
            "K" => n << 10,
            "M" => n << 20,
            _ => n,
        })
    };
    (1..=4).rev().find_map(read).unwrap_or(32 << 20)
}
