//! The GPT's speed: (a) the training step of the issue's tiny GPT (`GptConfig::tiny(65)`,
//! batch 32, context 64, AdamW), median tokens/s over timed steps after a warm-up, and the
//! process's peak resident memory; (b) generation tokens/s with and without the KV cache up
//! to a context of 256 (the tiny GPT with `block_size` 256), median of a few runs.
//!
//! ```text
//! RAYON_NUM_THREADS=1 cargo run --release -p kindling-transformer --example gpt_speed -- \
//!     [--steps 20] [--warmup 3] [--runs 3] [--context 256] [--train-only | --generate-only] [--naive]
//! ```
//!
//! The threads are rayon's global pool (`RAYON_NUM_THREADS`, else one per core). PyTorch's
//! twin of the training step is `tools/peers/gpt_torch.py`.

use kindling_nn::Module;
use kindling_optim::{AdamW, AdamWConfig, Optimizer};
use kindling_tensor::{set_kernel_mode, KernelMode, Rng, Tensor};
use kindling_transformer::generate::Sampler;
use kindling_transformer::gpt::{Gpt, GptConfig};
use std::time::Instant;

const VOCAB: usize = 65;
const BATCH: usize = 32;

fn arg(args: &[String], name: &str, default: usize) -> usize {
    args.iter().position(|a| a == name).map_or(default, |i| args[i + 1].parse().expect("a number"))
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    let n = xs.len();
    if n % 2 == 1 {
        xs[n / 2]
    } else {
        (xs[n / 2 - 1] + xs[n / 2]) / 2.0
    }
}

/// The process's peak resident set (VmHWM) in MiB, or None off Linux.
fn peak_rss_mib() -> Option<f64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib / 1024.0)
}

/// A batch of random windows from `corpus`: inputs and the next-token targets, `[B, T]` each.
fn batch(corpus: &[i64], t: usize, rng: &mut Rng) -> (Tensor<i64>, Tensor<i64>) {
    let (mut x, mut y) = (Vec::with_capacity(BATCH * t), Vec::with_capacity(BATCH * t));
    for _ in 0..BATCH {
        let start = rng.below((corpus.len() - t - 1) as u64) as usize;
        x.extend_from_slice(&corpus[start..start + t]);
        y.extend_from_slice(&corpus[start + 1..start + t + 1]);
    }
    (Tensor::from_vec(x, [BATCH, t]), Tensor::from_vec(y, [BATCH, t]))
}

fn train(steps: usize, warmup: usize) -> (f64, f64, f64) {
    let config = GptConfig::tiny(VOCAB);
    let mut rng = Rng::seed(0);
    let model = Gpt::<f32>::new(config, &mut rng);
    let mut opt = AdamW::new(model.parameters(), AdamWConfig { lr: 1e-3, weight_decay: 0.1, ..Default::default() });
    let corpus: Vec<i64> = (0..200_000).map(|_| rng.below(VOCAB as u64) as i64).collect();
    let mut times = Vec::new();
    let mut last_loss = 0.0;
    for step in 0..warmup + steps {
        let (x, y) = batch(&corpus, config.block_size, &mut rng);
        let start = Instant::now();
        let loss = model.loss(&x, &y);
        loss.backward();
        opt.step();
        opt.zero_grad();
        let seconds = start.elapsed().as_secs_f64();
        last_loss = loss.item() as f64;
        if step >= warmup {
            times.push(seconds);
        }
    }
    let step_s = median(times);
    ((BATCH * config.block_size) as f64 / step_s, step_s * 1e3, last_loss)
}

fn generate(context: usize, runs: usize, cache: bool) -> f64 {
    let config = GptConfig { block_size: context, ..GptConfig::tiny(VOCAB) };
    let model = Gpt::<f32>::new(config, &mut Rng::seed(1));
    let new = context - 1;
    let rates: Vec<f64> = (0..runs + 1)
        .map(|_| {
            let start = Instant::now();
            let out = model.generate(&[0], new, &Sampler::default(), &mut Rng::seed(2), cache);
            assert_eq!(out.len(), context);
            new as f64 / start.elapsed().as_secs_f64()
        })
        .collect();
    median(rates[1..].to_vec()) // the first run warms up
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--naive") {
        set_kernel_mode(KernelMode::Naive);
    }
    let (steps, warmup, runs) = (arg(&args, "--steps", 20), arg(&args, "--warmup", 3), arg(&args, "--runs", 3));
    let context = arg(&args, "--context", 256);
    let threads = rayon::current_num_threads();
    println!("| measure | threads | value |");
    println!("|---|---|---|");
    if !args.iter().any(|a| a == "--generate-only") {
        let (tokens_s, step_ms, loss) = train(steps, warmup);
        println!("| training step, tiny GPT, batch 32 × 64, AdamW (median of {steps}) | {threads} | {tokens_s:.0} tokens/s ({step_ms:.1} ms/step, loss {loss:.3}) |");
        if let Some(mib) = peak_rss_mib() {
            println!("| peak RSS after training (VmHWM) | {threads} | {mib:.0} MiB |");
        }
    }
    if !args.iter().any(|a| a == "--train-only") {
        let with = generate(context, runs, true);
        let without = generate(context, runs, false);
        println!("| generation to context {context}, KV cache (median of {runs}) | {threads} | {with:.0} tokens/s |");
        println!("| generation to context {context}, no cache (median of {runs}) | {threads} | {without:.0} tokens/s |");
        println!("| KV cache speed-up | {threads} | {:.1}× |", with / without);
    }
}
