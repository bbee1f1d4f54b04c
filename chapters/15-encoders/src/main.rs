//! Chapter 15's demo: `cargo run --release -p ch15-encoders -- [--quick] [--only SECTION]`
//! (with `KINDLING_DATASETS` set to the folder holding `tinyshakespeare/` and
//! `fashion-mnist/`).
//!
//! Sections, in order (`--only` runs one):
//!
//! - `sizes`: BERT-base and GPT-2 small built from their configurations, parameters counted;
//! - `masking`: BERT's 80/10/10 rule on Tiny Shakespeare, shown and counted;
//! - `vit`: the vision transformer on Fashion-MNIST against chapter 7's TinyVGG, test
//!   accuracy per epoch and training time (`--vit-epochs`, `--cnn-epochs`: 10 each).
//!
//! `--quick` runs every section with tiny budgets (seconds) and writes into a temporary folder
//! instead of the book's, so a quick run never replaces the figures of a full one. Without the
//! data a section says what it skipped and keeps the files of an earlier run.
//!
//! ```text
//! cargo run --release -p ch15-encoders                  # the whole chapter
//! cargo run --release -p ch15-encoders -- --quick       # everything, tiny budgets
//! cargo run --release -p ch15-encoders -- --only vit    # one section
//! ```

use std::path::PathBuf;

use ch15_encoders::*;
use chapter_kit::{markdown_table, LineChart, Output};

/// What the command line asked for.
struct Options {
    quick: bool,
    only: Option<String>,
    datasets: Option<PathBuf>,
    args: Vec<String>,
}

impl Options {
    fn number(&self, name: &str, default: usize) -> usize {
        chapter_kit::flag_number("ch15-encoders", &self.args, name).unwrap_or(default)
    }

    fn runs(&self, section: &str) -> bool {
        self.only.as_deref().is_none_or(|s| s == section)
    }
}

const SECTIONS: [&str; 3] = ["sizes", "masking", "vit"];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let quick = args.iter().any(|a| a == "--quick");
    let only = chapter_kit::flag_value("ch15-encoders", &args, "--only");
    if let Some(s) = &only {
        if !SECTIONS.contains(&s.as_str()) {
            return Err(format!("ch15-encoders: --only {s}: the sections are {}", SECTIONS.join(", ")).into());
        }
    }
    if quick && std::env::var_os("KINDLING_BOOK_GENERATED").is_none() {
        // A quick run's figures are not the book's: keep them out of book/src/generated.
        let dir = std::env::temp_dir().join(format!("ch15-quick-{}", std::process::id()));
        std::env::set_var("KINDLING_BOOK_GENERATED", &dir);
    }
    let out = Output::for_chapter("15-encoders")?;
    let options = Options { quick, only, datasets: kindling_data::datasets_dir().ok(), args };

    if options.runs("sizes") {
        sizes(&out, &options)?;
    }
    if options.runs("masking") {
        masking(&out, &options)?;
    }
    if options.runs("vit") {
        vit(&out, &options)?;
    }
    Ok(())
}

/// BERT-base and GPT-2 small, counted (about a gigabyte of weights; skipped by `--quick`).
fn sizes(out: &Output, options: &Options) -> std::io::Result<()> {
    if options.quick {
        out.step("sizes: skipped by --quick (it builds two models of over 100 million parameters)");
        return Ok(());
    }
    out.step("sizes: building BERT-base and GPT-2 small");
    out.write("sizes.md", &sizes_table(&model_sizes()))
}

/// The 80/10/10 rule on Tiny Shakespeare.
fn masking(out: &Output, options: &Options) -> std::io::Result<()> {
    let Some(text) = shakespeare(out, options, "masking") else { return Ok(()) };
    let text = if options.quick { &text[..20_000] } else { &text[..] };
    let tokenizer = train_wordpiece(text, if options.quick { 300 } else { 2000 });
    let ids: Vec<i64> = tokenizer.encode(text).into_iter().map(i64::from).collect();
    let (_, _, counts) = mask_and_count(&ids, &tokenizer, 1);
    let share = |n: usize, of: usize| format!("{:.2}%", 100.0 * n as f64 / of as f64);
    let table = markdown_table(
        &["tokens", "chosen", "of the chosen: [MASK]", "random token", "unchanged"],
        &[vec![
            thousands(counts.candidates),
            format!("{} ({})", thousands(counts.chosen), share(counts.chosen, counts.candidates)),
            share(counts.masked, counts.chosen),
            share(counts.random, counts.chosen),
            share(counts.kept, counts.chosen),
        ]],
    );
    let passage = "First Citizen: Before we proceed any further, hear me speak. All: Speak, speak. \
                   First Citizen: You are all resolved rather to die than to famish?";
    let example = masking_example(&tokenizer, passage, 7);
    out.step(&format!("masking: {} tokens, {} chosen", counts.candidates, counts.chosen));
    out.write(
        "masking.md",
        &format!(
            "{example}\n\nOver the whole text ({} WordPiece tokens, vocabulary {}), one masking:\n\n{table}",
            thousands(ids.len()),
            tokenizer.vocab_size()
        ),
    )
}

/// The vision transformer on Fashion-MNIST.
fn vit(out: &Output, options: &Options) -> Result<(), Box<dyn std::error::Error>> {
    let Some(dir) = &options.datasets else {
        out.step("vit: SKIPPED: KINDLING_DATASETS is not set; the files of an earlier run stay");
        return Ok(());
    };
    let data = match load_fashion(dir) {
        Ok(data) => data,
        Err(e) => {
            out.step(&format!("vit: SKIPPED: Fashion-MNIST is not available ({e}); the files of an earlier run stay"));
            return Ok(());
        }
    };
    let data = if options.quick { data.head(512, 256) } else { data };
    let (config, mut recipe) = vit_recipe();
    recipe.epochs = options.number("--vit-epochs", recipe.epochs);
    if options.quick {
        recipe.epochs = 1;
        recipe.max_steps_per_epoch = Some(4);
        recipe.warmup_steps = 1;
    }
    out.step(&format!("vit: {} epochs of {} training images", recipe.epochs, data.train_y.shape()[0]));
    let run = train_vit(config, &recipe, &data, |e| {
        out.step(&format!(
            "vit: epoch {}: train loss {:.4}, test accuracy {:.2}% ({:.0} s)",
            e.epoch,
            e.train_loss,
            100.0 * e.test_accuracy,
            e.seconds
        ))
    });
    let cnn_epochs = if options.quick { 1 } else { options.number("--cnn-epochs", 10) };
    let cnn_data = if options.quick { data.head(128, 256) } else { data };
    out.step(&format!("vit: TinyVGG, {cnn_epochs} epochs"));
    let (cnn_parameters, cnn) = train_tinyvgg(&cnn_data, 10, cnn_epochs, 0);
    for e in &cnn {
        out.step(&format!(
            "vit: TinyVGG epoch {}: test accuracy {:.2}% ({:.0} s)",
            e.epoch,
            100.0 * e.test_accuracy,
            e.seconds
        ));
    }
    let threads = std::env::var("RAYON_NUM_THREADS").unwrap_or_else(|_| "all cores".into());
    out.write(
        "vit.md",
        &format!("{}\n\n{}\n\nThreads: {threads}.", vit_table(&run), vit_against_cnn(&run, cnn_parameters, &cnn)),
    )?;
    let chart = LineChart::new("Fashion-MNIST: the vision transformer against TinyVGG")
        .x_label("epoch")
        .y_label("test accuracy (%)")
        .series("ViT", run.history.iter().map(|e| (e.epoch as f64, 100.0 * e.test_accuracy)).collect())
        .series("TinyVGG", cnn.iter().map(|e| (e.epoch as f64, 100.0 * e.test_accuracy)).collect());
    out.write("vit.svg", &chart.to_svg())?;
    Ok(())
}

/// Tiny Shakespeare, or `None` after saying why the section is skipped.
fn shakespeare(out: &Output, options: &Options, section: &str) -> Option<String> {
    let loaded = options
        .datasets
        .as_ref()
        .ok_or_else(|| "KINDLING_DATASETS is not set".to_string())
        .and_then(|d| kindling_data::tiny_shakespeare(d.join("tinyshakespeare")).map_err(|e| e.to_string()));
    match loaded {
        Ok(text) => Some(text),
        Err(e) => {
            out.step(&format!(
                "{section}: SKIPPED: Tiny Shakespeare is not available ({e}); the files of an earlier run stay"
            ));
            None
        }
    }
}
