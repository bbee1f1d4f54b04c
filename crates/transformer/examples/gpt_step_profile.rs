//! Where the tiny GPT's training step spends its time: each kind of op the step runs, timed
//! alone at the step's shapes (forward + backward through autograd), multiplied by how often
//! one step runs it, next to the whole step. Batch 32 × context 64 = 2048 rows, width 128,
//! 4 heads, 4 layers, vocabulary 65, AdamW.
//!
//! ```text
//! RAYON_NUM_THREADS=1 cargo run --release -p kindling-transformer --example gpt_step_profile -- [--reps 20] [--only NAME] [--naive]
//! ```
//!
//! Each row is the median of `--reps` timed repetitions after two warm-ups, in ms per step;
//! rows alternate in rounds so that load from other programs hits them alike. The composed
//! rows (LayerNorm and GELU as separate ops) are the versions the fused ops replaced.

use kindling_autograd::attention::scaled_dot_product_attention;
use kindling_autograd::Variable;
use kindling_nn::{cross_entropy, Module};
use kindling_optim::{AdamW, AdamWConfig, Optimizer};
use kindling_tensor::attention::AttentionConfig;
use kindling_tensor::{set_kernel_mode, KernelMode, Rng, Tensor};
use kindling_transformer::gpt::{Gpt, GptConfig};
use std::time::Instant;

const ROWS: usize = 32 * 64;
const C: usize = 128;

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn param(shape: &[usize], rng: &mut Rng) -> Variable<f32> {
    Variable::param(&Tensor::randn(shape, rng) * 0.1)
}

/// One timed case: `per_step` copies of `run` make up its share of a training step.
struct Case {
    name: String,
    per_step: usize,
    run: Box<dyn Fn()>,
    times: Vec<f64>,
}

fn case(name: &str, per_step: usize, run: impl Fn() + 'static) -> Case {
    Case { name: name.to_string(), per_step, run: Box::new(run), times: Vec::new() }
}

/// y = x Wᵀ + b, forward and backward, composed as matmul + transpose + broadcast add (the
/// form before `Variable::linear`, which `kindling_nn::Linear` now calls).
fn linear_case(name: &str, per_step: usize, n_in: usize, n_out: usize, rng: &mut Rng) -> Case {
    let (x, w, b) = (param(&[ROWS, n_in], rng), param(&[n_out, n_in], rng), param(&[n_out], rng));
    let g = Tensor::<f32>::randn([ROWS, n_out], rng);
    case(name, per_step, move || {
        let y = &x.matmul(&w.t()) + &b;
        y.backward_with(&g);
        for v in [&x, &w, &b] {
            v.zero_grad();
        }
    })
}

fn composed_layer_norm(x: &Variable<f32>, w: &Variable<f32>, b: &Variable<f32>) -> Variable<f32> {
    let mean = x.mean(vec![-1isize], true);
    let var = x.var_with_correction(vec![-1isize], 0, true);
    &(&(&(x - &mean) / &var.add_scalar(1e-5).sqrt()) * w) + b
}

fn composed_gelu(x: &Variable<f32>) -> Variable<f32> {
    let cdf = &(&(x * std::f32::consts::FRAC_1_SQRT_2).erf() + 1.0) * 0.5;
    x * &cdf
}

fn cases(rng: &mut Rng) -> Vec<Case> {
    let mut all = vec![
        linear_case("linear c_attn 128→384", 4, C, 3 * C, rng),
        linear_case("linear attn c_proj 128→128", 4, C, C, rng),
        linear_case("linear c_fc 128→512", 4, C, 4 * C, rng),
        linear_case("linear mlp c_proj 512→128", 4, 4 * C, C, rng),
    ];
    {
        let (x, w) = (param(&[ROWS, C], rng), param(&[65, C], rng));
        let g = Tensor::<f32>::randn([ROWS, 65], rng);
        all.push(case("lm_head 128→65 (tied, no bias)", 1, move || {
            x.matmul(&w.t()).backward_with(&g);
            x.zero_grad();
            w.zero_grad();
        }));
    }
    for fused in [true, false] {
        let (x, w, b) = (param(&[ROWS, C], rng), param(&[C], rng), param(&[C], rng));
        let g = Tensor::<f32>::randn([ROWS, C], rng);
        let name = if fused { "layer norm, fused" } else { "layer norm, composed (before)" };
        all.push(case(name, 9, move || {
            let y = if fused { x.layer_norm(C, Some(&w), Some(&b), 1e-5) } else { composed_layer_norm(&x, &w, &b) };
            y.backward_with(&g);
            for v in [&x, &w, &b] {
                v.zero_grad();
            }
        }));
    }
    for fused in [true, false] {
        let x = param(&[ROWS, 4 * C], rng);
        let g = Tensor::<f32>::randn([ROWS, 4 * C], rng);
        let name = if fused { "gelu (Variable::gelu)" } else { "gelu, composed" };
        all.push(case(name, 4, move || {
            let y = if fused { x.gelu() } else { composed_gelu(&x) };
            y.backward_with(&g);
            x.zero_grad();
        }));
    }
    {
        let qkv: Vec<Variable<f32>> = (0..3).map(|_| param(&[32, 4, 64, 32], rng)).collect();
        let g = Tensor::<f32>::randn([32, 4, 64, 32], rng);
        all.push(case("causal attention [32, 4, 64, 32]", 4, move || {
            let cfg = AttentionConfig { is_causal: true, ..AttentionConfig::new() };
            scaled_dot_product_attention(&qkv[0], &qkv[1], &qkv[2], &cfg).backward_with(&g);
            qkv.iter().for_each(|v| v.zero_grad());
        }));
    }
    {
        // The head split and merge: [B·T, C] → [B, H, T, D] views, and back through a copy.
        let x = param(&[ROWS, C], rng);
        let g = Tensor::<f32>::randn([ROWS, C], rng);
        all.push(case("head split + merge (views, one copy)", 4, move || {
            let h = x.reshape(vec![32usize, 64, 4, 32]).permute([0, 2, 1, 3]);
            let y = h.permute([0, 2, 1, 3]).reshape(vec![ROWS, C]);
            y.backward_with(&g);
            x.zero_grad();
        }));
    }
    {
        let logits = param(&[ROWS, 65], rng);
        let targets = Tensor::from_vec((0..ROWS).map(|i| (i * 7 % 65) as i64).collect(), [ROWS]);
        all.push(case("cross-entropy [2048, 65]", 1, move || {
            cross_entropy(&logits, &targets).backward();
            logits.zero_grad();
        }));
    }
    {
        let (table, pos) = (param(&[65, C], rng), param(&[64, C], rng));
        let idx = Tensor::from_vec((0..ROWS).map(|i| (i * 13 % 65) as i64).collect(), [32, 64]);
        let g = Tensor::<f32>::randn([ROWS, C], rng);
        all.push(case("embeddings + positions", 1, move || {
            let x = (&table.embedding(&idx) + &pos).reshape(vec![ROWS, C]);
            x.backward_with(&g);
            table.zero_grad();
            pos.zero_grad();
        }));
    }
    {
        let model = Gpt::<f32>::new(GptConfig::tiny(65), rng);
        let params = model.parameters();
        let grads: Vec<Tensor<f32>> = params.iter().map(|p| Tensor::randn(p.shape(), rng)).collect();
        let opt = std::cell::RefCell::new(AdamW::new(
            params.clone(),
            AdamWConfig { weight_decay: 0.1, ..Default::default() },
        ));
        all.push(case("AdamW step (all parameters)", 1, move || {
            for (p, g) in params.iter().zip(&grads) {
                p.set_grad(Some(g.clone()));
            }
            opt.borrow_mut().step();
        }));
    }
    {
        let model = Gpt::<f32>::new(GptConfig::tiny(65), rng);
        let opt = std::cell::RefCell::new(AdamW::new(
            model.parameters(),
            AdamWConfig { weight_decay: 0.1, ..Default::default() },
        ));
        let idx = Tensor::from_vec((0..ROWS).map(|i| (i * 13 % 65) as i64).collect(), [32, 64]);
        let targets = Tensor::from_vec((0..ROWS).map(|i| (i * 7 % 65) as i64).collect(), [32, 64]);
        all.push(case("WHOLE STEP (model.loss, backward, AdamW)", 1, move || {
            model.loss(&idx, &targets).backward();
            let mut opt = opt.borrow_mut();
            opt.step();
            opt.zero_grad();
        }));
    }
    all
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--naive") {
        set_kernel_mode(KernelMode::Naive);
    }
    let reps: usize = args.iter().position(|a| a == "--reps").map_or(20, |i| args[i + 1].parse().expect("a number"));
    let mut rng = Rng::seed(0);
    let mut all = cases(&mut rng);
    if let Some(i) = args.iter().position(|a| a == "--only") {
        all.retain(|c| c.name.contains(args[i + 1].as_str()));
    }
    for round in 0..reps + 2 {
        for c in all.iter_mut() {
            let start = Instant::now();
            (c.run)();
            if round >= 2 {
                c.times.push(start.elapsed().as_secs_f64() * 1e3);
            }
        }
    }
    println!("threads {}, median of {reps}", rayon::current_num_threads());
    println!("| op | per step | ms each | ms per step |");
    println!("|---|---|---|---|");
    for c in &all {
        let ms = median(c.times.clone());
        println!("| {} | {} | {ms:.3} | {:.2} |", c.name, c.per_step, ms * c.per_step as f64);
    }
}
