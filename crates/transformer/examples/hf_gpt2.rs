//! Loads a GPT-2 folder saved by Hugging Face (`config.json`, `model.safetensors`,
//! `tokenizer.json`), encodes a prompt with its tokenizer and continues it greedily, with the
//! key-value cache.
//!
//! ```text
//! cargo run --release -p kindling-transformer --example hf_gpt2 -- \
//!     crates/transformer/tests/fixtures/hf/gpt2 "First Citizen:" 12
//! ```
//!
//! The fixture is a tiny randomly initialised model, so its continuation is noise; a real
//! GPT-2 folder works the same way.

use kindling_data::text::HfTokenizer;
use kindling_tensor::Rng;
use kindling_transformer::generate::Sampler;
use kindling_transformer::hf::load_gpt2;
use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(dir) = args.next().map(PathBuf::from) else {
        eprintln!("usage: hf_gpt2 <folder with config.json, model.safetensors, tokenizer.json> [prompt] [new tokens]");
        return ExitCode::FAILURE;
    };
    let prompt = args.next().unwrap_or_else(|| "First Citizen:".to_string());
    let new_tokens: usize = args.next().map_or(12, |n| n.parse().expect("the number of new tokens"));
    let model = match load_gpt2(&dir) {
        Ok(model) => model,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::FAILURE;
        }
    };
    let tokenizer = match HfTokenizer::from_file(dir.join("tokenizer.json")) {
        Ok(tokenizer) => tokenizer,
        Err(error) => {
            eprintln!("{error}");
            return ExitCode::FAILURE;
        }
    };
    let config = model.config();
    println!(
        "GPT-2: {} layers, {} heads, width {}, context {}, vocabulary {} ({:?})",
        config.n_layer, config.n_head, config.n_embd, config.block_size, config.vocab_size, config.activation
    );
    let mut ids: Vec<i64> = tokenizer.encode(&prompt, true).into_iter().map(i64::from).collect();
    if ids.is_empty() {
        // GPT-2 starts unconditioned text after its end-of-text token.
        ids.extend(tokenizer.token_to_id("<|endoftext|>").map(i64::from));
    }
    println!("prompt {prompt:?} -> ids {ids:?}");
    let out = model.generate(&ids, new_tokens, &Sampler::greedy(), &mut Rng::seed(0), true);
    let continuation: Vec<u32> = out[ids.len()..].iter().map(|&id| id as u32).collect();
    println!("continuation ids {continuation:?}");
    println!("text: {:?}", tokenizer.decode(&out.iter().map(|&id| id as u32).collect::<Vec<_>>(), true));
    ExitCode::SUCCESS
}
