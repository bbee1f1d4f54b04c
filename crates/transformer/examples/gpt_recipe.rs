//! nanoGPT's CPU recipe for Tiny Shakespeare characters, timed, beside its PyTorch twin
//! (`tools/peers/gpt_torch.py --mode recipe`): the tiny GPT (4 layers, 4 heads, width 128,
//! context 64, dropout 0), batch 12, 2000 iterations of AdamW (lr 1e-3, betas (0.9, 0.99),
//! weight decay 0.1 on matrices only), 100 warm-up iterations then cosine decay to 1e-4,
//! gradients clipped to norm 1, through `kindling_transformer::train::LmTrainer`.
//!
//! ```text
//! KINDLING_DATASETS=/work/shared/datasets RAYON_NUM_THREADS=2 \
//!     cargo run --release -p kindling-transformer --example gpt_recipe -- [--iters 2000] [--minutes M]
//! ```
//!
//! Characters: the sorted distinct characters of `tinyshakespeare/input.txt` (65), first 90%
//! of the ids for training, last 10% for validation. Prints the training wall time (evaluation
//! excluded) and the mean validation loss over 200 random batches of 12 × 64 afterwards. With
//! `--minutes`, the schedule still spans `--iters` but training stops when the budget is spent.

use kindling_tensor::{Rng, Tensor};
use kindling_transformer::gpt::{Gpt, GptConfig};
use kindling_transformer::train::{LmData, LmTrainer, TrainConfig};
use std::time::Instant;

fn arg(args: &[String], name: &str) -> Option<f64> {
    args.iter().position(|a| a == name).map(|i| args[i + 1].parse().expect("a number"))
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let iters = arg(&args, "--iters").unwrap_or(2000.0) as usize;
    let budget_s = arg(&args, "--minutes").map(|m| m * 60.0);
    let Some(root) = std::env::var_os("KINDLING_DATASETS") else {
        eprintln!("gpt_recipe: set KINDLING_DATASETS to the folder holding tinyshakespeare/input.txt");
        std::process::exit(2);
    };
    let path = std::path::Path::new(&root).join("tinyshakespeare/input.txt");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("gpt_recipe: cannot read {} ({e}); check KINDLING_DATASETS", path.display()));
    let mut chars: Vec<char> = text.chars().collect();
    chars.sort_unstable();
    chars.dedup();
    let ids: Vec<i64> = text.chars().map(|c| chars.binary_search(&c).expect("in the vocabulary") as i64).collect();
    let data = LmData::split(&ids, 0.9);

    let config = TrainConfig { max_iters: iters, lr_decay_iters: iters, eval_iters: 200, ..TrainConfig::default() };
    let model = Gpt::<f32>::new(GptConfig::tiny(chars.len()), &mut Rng::seed(config.seed));
    let loss = |x: &Tensor<i64>, y: &Tensor<i64>| model.loss(x, y);
    let mut trainer = LmTrainer::new(&model, &loss, &config);
    let start = Instant::now();
    let mut done = 0;
    while done < iters {
        if budget_s.is_some_and(|b| start.elapsed().as_secs_f64() >= b) {
            break;
        }
        let train_loss = trainer.train_step(&data);
        if done % 500 == 0 {
            println!("  iter {done}: train loss {train_loss:.4} ({:.1} s)", start.elapsed().as_secs_f64());
        }
        done += 1;
    }
    let wall = start.elapsed().as_secs_f64();
    let (_, val) = trainer.evaluate(&data);
    let tokens_s = (done * config.batch_size * config.block_size) as f64 / wall;
    println!(
        "kindling recipe threads={}: {done} iterations in {wall:.1} s ({tokens_s:.0} tokens/s), val loss {val:.4} over {} batches",
        rayon::current_num_threads(),
        config.eval_iters
    );
}
