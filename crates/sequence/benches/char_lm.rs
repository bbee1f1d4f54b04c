//! The character-level language model's training step, tokens per second: Embedding(65, 64)
//! → LSTM or GRU (64 → 256) → Linear(256, 65), batch 32 × 64 tokens, cross-entropy, Adam
//! (lr 2e-3), gradient clipping at 1.0. PyTorch's twin is `tools/peers/torch_char_lm.py`;
//! `tools/peers/compare_char_lm.py` runs both, alternating.
//!
//! ```text
//! cargo bench -p kindling-sequence --bench char_lm -- [--threads 1,2] [--cells lstm,gru]
//!     [--rounds 7] [--steps 20] [--hidden 256] [--naive]
//! ```

use kindling_nn::Module;
use kindling_optim::{clip_grad_norm, Adam, AdamConfig, Optimizer};
use kindling_sequence::lm::random_windows;
use kindling_sequence::{CellKind, RecurrentLm, RecurrentOptions};
use kindling_tensor::{set_kernel_mode, KernelMode, Rng};
use std::time::Instant;

const VOCAB: usize = 65;
const BATCH: usize = 32;
const STEPS: usize = 64;

fn arg(args: &[String], name: &str, default: &str) -> String {
    args.iter().position(|a| a == name).map_or(default.to_string(), |i| args[i + 1].clone())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--naive") {
        set_kernel_mode(KernelMode::Naive);
    }
    let threads: Vec<usize> = arg(&args, "--threads", "1,2").split(',').map(|t| t.parse().unwrap()).collect();
    let cells: Vec<String> = arg(&args, "--cells", "lstm,gru").split(',').map(String::from).collect();
    let rounds: usize = arg(&args, "--rounds", "7").parse().unwrap();
    let steps: usize = arg(&args, "--steps", "20").parse().unwrap();
    let phases = args.iter().any(|a| a == "--phases");
    let hidden: usize = arg(&args, "--hidden", "256").parse().unwrap();
    let mut phase_ms = [0.0f64; 3];

    let mut rng = Rng::seed(0);
    let corpus: Vec<i64> = (0..100_000).map(|_| rng.below(VOCAB as u64) as i64).collect();
    let mut results: Vec<(String, usize, Vec<f64>)> = Vec::new();
    for cell in &cells {
        for &t in &threads {
            results.push((cell.clone(), t, Vec::new()));
        }
    }
    let mut setups: Vec<_> = results
        .iter()
        .map(|(cell, t, _)| {
            let kind = if cell == "gru" { CellKind::Gru } else { CellKind::Lstm };
            let model =
                RecurrentLm::<f32>::new(kind, VOCAB, 64, hidden, RecurrentOptions::default(), &mut Rng::seed(1));
            let opt = Adam::new(model.parameters(), AdamConfig { lr: 2e-3, ..Default::default() });
            let pool = rayon::ThreadPoolBuilder::new().num_threads(*t).build().unwrap();
            (model, opt, pool)
        })
        .collect();
    for round in 0..=rounds {
        // Round 0 warms up (buffer caches, page faults) and is not counted.
        for (i, (model, opt, pool)) in setups.iter_mut().enumerate() {
            let n = if round == 0 { 3 } else { steps };
            let start = Instant::now();
            pool.install(|| {
                for _ in 0..n {
                    let (x, y) = random_windows(&corpus, BATCH, STEPS, &mut rng);
                    let t0 = Instant::now();
                    opt.zero_grad();
                    let (loss, _) = model.loss(&x, &y, None);
                    let t1 = Instant::now();
                    loss.backward();
                    let t2 = Instant::now();
                    clip_grad_norm(&model.parameters(), 1.0);
                    opt.step();
                    if phases && round > 0 {
                        phase_ms[0] += (t1 - t0).as_secs_f64() * 1e3;
                        phase_ms[1] += (t2 - t1).as_secs_f64() * 1e3;
                        phase_ms[2] += t2.elapsed().as_secs_f64() * 1e3;
                    }
                }
            });
            if round > 0 {
                results[i].2.push((n * BATCH * STEPS) as f64 / start.elapsed().as_secs_f64());
            }
        }
    }
    if phases {
        let n = (rounds * steps * results.len()) as f64;
        println!(
            "ms per step: forward {:.1}, backward {:.1}, clip + Adam {:.1}",
            phase_ms[0] / n,
            phase_ms[1] / n,
            phase_ms[2] / n
        );
    }
    println!("| cell | threads | tokens/s (median) | min..max | ms/step |");
    println!("|---|---|---|---|---|");
    for (cell, t, mut v) in results {
        v.sort_by(f64::total_cmp);
        let median = v[v.len() / 2];
        let ms = 1e3 * (BATCH * STEPS) as f64 / median;
        println!(
            "| {cell} | {t} | {:.1}k | {:.1}k..{:.1}k | {ms:.1} |",
            median / 1e3,
            v[0] / 1e3,
            v[v.len() - 1] / 1e3
        );
    }
}
