//! Byte-level BPE on Tiny Shakespeare: training time, then encode throughput (MB/s and
//! tokens/s) line by line and as one string, median of N rounds. Hugging Face's twin is
//! `tools/peers/hf_tokenizers.py` (same corpus, same vocabulary size).
//!
//! ```text
//! KINDLING_DATASETS=../shared/datasets cargo bench -p kindling-data --bench tokenize -- \
//!     [--vocab 5000] [--rounds 7] [--cold] [--hf DIR] [--wordpiece 2000]
//! ```
//!
//! `--wordpiece N` also times WordPiece training (vocabulary N) on the corpus's [`words`] and
//! its encoding of the whole text.
//!
//! `--hf DIR` loads a tokenizer that Hugging Face trained on the same corpus (`vocab.json` and
//! `merges.txt`, as `hf_tokenizers.py --save DIR` writes them) and checks that it has the same
//! merges and gives the same ids as ours.
//!
//! `--cold` empties the word cache before each round (by reloading the tokenizer), so every
//! round pays for the merges of each distinct word once, as a fresh process would.

use kindling_data::text::{words, BpeTrainOptions, ByteBpe, WordPiece, WordPieceTrainOptions};
use kindling_data::{datasets_dir, tiny_shakespeare};
use std::time::Instant;

fn arg(args: &[String], name: &str, default: &str) -> String {
    args.iter().position(|a| a == name).map_or(default.to_string(), |i| args[i + 1].clone())
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let vocab: usize = arg(&args, "--vocab", "5000").parse().unwrap();
    let rounds: usize = arg(&args, "--rounds", "7").parse().unwrap();
    let cold = args.iter().any(|a| a == "--cold");
    let dir = match datasets_dir() {
        Ok(dir) => dir,
        Err(e) => {
            eprintln!("SKIPPED: {e}");
            return;
        }
    };
    let text = tiny_shakespeare(dir.join("tinyshakespeare")).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let mb = text.len() as f64 / 1e6;

    let start = Instant::now();
    let trained = ByteBpe::train(&text, vocab, &BpeTrainOptions::default());
    let train_s = start.elapsed().as_secs_f64();
    println!("train: vocab {vocab}, {:.3} s ({} merges)", train_s, trained.merges().len());

    if let Some(i) = args.iter().position(|a| a == "--hf") {
        let theirs = ByteBpe::load(&args[i + 1]).unwrap();
        let same_merges = theirs.merges() == trained.merges();
        let same_ids = theirs.encode(&text) == trained.encode(&text);
        println!("Hugging Face model in {}: same merges {same_merges}, same ids {same_ids}", args[i + 1]);
    }
    let folder = std::env::temp_dir().join(format!("kindling-bench-bpe-{}", std::process::id()));
    std::fs::create_dir_all(&folder).unwrap();
    trained.save(&folder).unwrap();
    let mut bpe = trained.clone();
    let (mut line_s, mut whole_s) = (Vec::new(), Vec::new());
    let (mut line_tokens, mut whole_tokens) = (0, 0);
    // Round 0 warms the cache (and the page cache) and is not counted.
    for round in 0..=rounds {
        if cold {
            bpe = ByteBpe::load(&folder).unwrap();
        }
        let start = Instant::now();
        line_tokens = lines.iter().map(|l| bpe.encode(l).len()).sum::<usize>();
        let t_lines = start.elapsed().as_secs_f64();
        if cold {
            bpe = ByteBpe::load(&folder).unwrap();
        }
        let start = Instant::now();
        whole_tokens = bpe.encode(&text).len();
        let t_whole = start.elapsed().as_secs_f64();
        if round > 0 {
            line_s.push(t_lines);
            whole_s.push(t_whole);
        }
    }
    std::fs::remove_dir_all(&folder).unwrap();
    if let Some(i) = args.iter().position(|a| a == "--wordpiece") {
        let size: usize = args[i + 1].parse().unwrap();
        let start = Instant::now();
        let wp = WordPiece::train(words(&text), size, &WordPieceTrainOptions::default());
        let train_s = start.elapsed().as_secs_f64();
        let start = Instant::now();
        let tokens = wp.encode(&text).len();
        let encode_s = start.elapsed().as_secs_f64();
        println!(
            "wordpiece: train vocab {} in {train_s:.2} s; encode whole {:.2} MB/s ({tokens} tokens)",
            wp.vocab_size(),
            mb / encode_s
        );
    }
    for (name, s, tokens) in [("lines", median(line_s), line_tokens), ("whole", median(whole_s), whole_tokens)] {
        println!(
            "encode {name:>5}: {:8.2} ms  {:7.2} MB/s  {:6.2} M tokens/s  ({tokens} tokens{})",
            s * 1e3,
            mb / s,
            tokens as f64 / s / 1e6,
            if cold { ", cold cache" } else { "" }
        );
    }
}
