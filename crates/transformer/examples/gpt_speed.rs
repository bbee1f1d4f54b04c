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
//! `--ops` instead times the step's ops one by one at its shapes, forward and backward (a
//! breakdown of where the time goes).
//!
//! The threads are rayon's global pool (`RAYON_NUM_THREADS`, else one per core). PyTorch's
//! twin of the training step is `tools/peers/gpt_torch.py`.

use kindling_autograd::attention::scaled_dot_product_attention;
use kindling_autograd::Variable;
use kindling_nn::{CrossEntropyLoss, Forward, LayerNorm, Module};
use kindling_optim::{AdamW, AdamWConfig, Optimizer};
use kindling_tensor::attention::AttentionConfig;
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

/// Median tokens/s, median ms per step, the last loss, and the median ms of the forward pass
/// (with the loss), the backward pass and the optimizer step.
fn train(steps: usize, warmup: usize) -> (f64, f64, f64, [f64; 3]) {
    let config = GptConfig::tiny(VOCAB);
    let mut rng = Rng::seed(0);
    let model = Gpt::<f32>::new(config, &mut rng);
    let mut opt = AdamW::new(model.parameters(), AdamWConfig { lr: 1e-3, weight_decay: 0.1, ..Default::default() });
    let corpus: Vec<i64> = (0..200_000).map(|_| rng.below(VOCAB as u64) as i64).collect();
    let mut times = Vec::new();
    let mut phases: [Vec<f64>; 3] = Default::default();
    let mut last_loss = 0.0;
    for step in 0..warmup + steps {
        let (x, y) = batch(&corpus, config.block_size, &mut rng);
        let start = Instant::now();
        let loss = model.loss(&x, &y);
        let forward = start.elapsed().as_secs_f64();
        loss.backward();
        let backward = start.elapsed().as_secs_f64();
        opt.step();
        opt.zero_grad();
        let seconds = start.elapsed().as_secs_f64();
        last_loss = loss.item() as f64;
        if step >= warmup {
            times.push(seconds);
            for (phase, s) in phases.iter_mut().zip([forward, backward - forward, seconds - backward]) {
                phase.push(s * 1e3);
            }
        }
    }
    let step_s = median(times);
    let phases = phases.map(median);
    ((BATCH * config.block_size) as f64 / step_s, step_s * 1e3, last_loss, phases)
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

/// Median milliseconds of `f`'s forward and of its backward (from a gradient of ones) over
/// `reps` runs after one warm-up.
fn time_op(reps: usize, inputs: &[Variable<f32>], f: impl Fn(&[Variable<f32>]) -> Variable<f32>) -> (f64, f64) {
    let (mut fwd, mut bwd) = (Vec::new(), Vec::new());
    for rep in 0..=reps {
        inputs.iter().for_each(Variable::zero_grad);
        let start = Instant::now();
        let y = f(inputs);
        let forward = start.elapsed().as_secs_f64();
        let ones = Tensor::ones(y.value().shape());
        let start = Instant::now();
        y.backward_with(&ones);
        if rep > 0 {
            fwd.push(forward * 1e3);
            bwd.push(start.elapsed().as_secs_f64() * 1e3);
        }
    }
    (median(fwd), median(bwd))
}

/// The training step's ops one by one at its shapes (N = 32·64 rows, C = 128), forward and
/// backward, times how often a step runs each: where the time goes.
fn ops_breakdown(reps: usize) {
    let (b, t, h, c, v) = (BATCH, 64, 4, 128, VOCAB);
    let n = b * t;
    let mut rng = Rng::seed(5);
    let mut param = |shape: &[usize]| Variable::param(Tensor::<f32>::randn(shape.to_vec(), &mut rng) * 0.1);
    let x = param(&[n, c]);
    let bhtd = param(&[b, h, t, c / h]);
    let wide = param(&[n, 4 * c]);
    let (w, b_) = (param(&[c, c]), param(&[c]));
    let (w_fc, b_fc) = (param(&[4 * c, c]), param(&[4 * c]));
    let (w_proj, wte) = (param(&[c, 4 * c]), param(&[v, c]));
    let (gamma, beta) = (param(&[c]), param(&[c]));
    let targets = Tensor::from_vec((0..n).map(|i| (i % v) as i64).collect(), [n]);
    let norm = LayerNorm::<f32>::new([c]);
    norm.affine.weight.as_ref().unwrap().set_value(gamma.value());
    norm.affine.bias.as_ref().unwrap().set_value(beta.value());
    let heads = |x: &Variable<f32>| x.reshape(vec![b, t, h, c / h]).permute([0, 2, 1, 3]);
    let causal = AttentionConfig::causal();
    type Op<'a> = (&'a str, usize, Vec<Variable<f32>>, Box<dyn Fn(&[Variable<f32>]) -> Variable<f32> + 'a>);
    let ops: Vec<Op> = vec![
        (
            "linear C→C + bias (q, k, v, attn c_proj)",
            16,
            vec![x.clone(), w.clone(), b_.clone()],
            Box::new(|a: &[Variable<f32>]| &a[0].matmul(&a[1].t()) + &a[2]),
        ),
        (
            "linear C→4C + bias (c_fc)",
            4,
            vec![x.clone(), w_fc, b_fc],
            Box::new(|a: &[Variable<f32>]| &a[0].matmul(&a[1].t()) + &a[2]),
        ),
        (
            "linear 4C→C + bias (mlp c_proj)",
            4,
            vec![wide.clone(), w_proj, b_.clone()],
            Box::new(|a: &[Variable<f32>]| &a[0].matmul(&a[1].t()) + &a[2]),
        ),
        ("tied head C→V", 1, vec![x.clone(), wte], Box::new(|a: &[Variable<f32>]| a[0].matmul(&a[1].t()))),
        ("LayerNorm [N, C]", 9, vec![x.clone()], Box::new(|a: &[Variable<f32>]| norm.forward(&a[0]))),
        ("GELU [N, 4C]", 4, vec![wide], Box::new(|a: &[Variable<f32>]| a[0].gelu())),
        (
            "causal SDPA [32, 4, 64, 32] (head views)",
            4,
            vec![x.clone(), x.clone(), x.clone()],
            Box::new(|a: &[Variable<f32>]| {
                scaled_dot_product_attention(&heads(&a[0]), &heads(&a[1]), &heads(&a[2]), &causal)
            }),
        ),
        (
            "causal SDPA, contiguous operands",
            0,
            vec![bhtd.clone(), bhtd.clone(), bhtd.clone()],
            Box::new(|a: &[Variable<f32>]| scaled_dot_product_attention(&a[0], &a[1], &a[2], &causal)),
        ),
        (
            "merge heads (permute + reshape copy)",
            4,
            vec![bhtd],
            Box::new(|a: &[Variable<f32>]| a[0].permute([0, 2, 1, 3]).reshape(vec![n, c])),
        ),
        ("residual add [N, C]", 8, vec![x.clone(), x.clone()], Box::new(|a: &[Variable<f32>]| &a[0] + &a[1])),
        (
            "cross-entropy [N, V]",
            1,
            vec![param(&[n, v])],
            Box::new(|a: &[Variable<f32>]| CrossEntropyLoss::new().ignore_index(-1).indices(&a[0], &targets)),
        ),
    ];
    println!("| op (per step) | count | forward ms | backward ms | total ms per step |");
    println!("|---|---|---|---|---|");
    let mut sum = 0.0;
    for (name, count, inputs, f) in &ops {
        let (fwd, bwd) = time_op(reps, inputs, f);
        let total = *count as f64 * (fwd + bwd);
        sum += total;
        println!("| {name} | {count} | {fwd:.2} | {bwd:.2} | {total:.1} |");
    }
    println!("| sum | | | | {sum:.1} |");
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--naive") {
        set_kernel_mode(KernelMode::Naive);
    }
    let (steps, warmup, runs) = (arg(&args, "--steps", 20), arg(&args, "--warmup", 3), arg(&args, "--runs", 3));
    let context = arg(&args, "--context", 256);
    let threads = rayon::current_num_threads();
    if args.iter().any(|a| a == "--ops") {
        ops_breakdown(steps);
        return;
    }
    println!("| measure | threads | value |");
    println!("|---|---|---|");
    if !args.iter().any(|a| a == "--generate-only") {
        let (tokens_s, step_ms, loss, [forward, backward, step]) = train(steps, warmup);
        println!("| training step, tiny GPT, batch 32 × 64, AdamW (median of {steps}) | {threads} | {tokens_s:.0} tokens/s ({step_ms:.1} ms/step, loss {loss:.3}) |");
        println!(
            "| of which forward + loss / backward / AdamW step (medians) | {threads} | {forward:.1} / {backward:.1} / {step:.1} ms |"
        );
        if let Some(mib) = peak_rss_mib() {
            println!("| peak RSS after training (VmHWM) | {threads} | {mib:.0} MiB |");
        }
    }
    if !args.iter().any(|a| a == "--train-only") {
        let with = generate(context, runs, true);
        let without = generate(context, runs, false);
        println!("| generation to context {context}, KV cache (median of {runs}) | {threads} | {with:.0} tokens/s |");
        println!(
            "| generation to context {context}, no cache (median of {runs}) | {threads} | {without:.0} tokens/s |"
        );
        println!("| KV cache speed-up | {threads} | {:.1}× |", with / without);
    }
}
