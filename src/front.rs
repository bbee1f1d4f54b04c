//! The front door: the training demo a new user sees first, and the book's chapters.

use kindling::data::{synthetic, DataLoader, TensorDataset};
use kindling::nn::{cross_entropy, summary, Linear, Module, ReLU, Sequential};
use kindling::optim::{schedule::CosineAnnealingLr, schedule::Scheduler, Adam, AdamConfig};
use kindling::train::metrics::{self, Accuracy};
use kindling::train::plot::{self, PlotOptions};
use kindling::train::{predict, seed_everything, ConfusionMatrix, Progress, Trainer};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// Trains an MLP on three interleaved spirals (built-in synthetic data, no download), prints
/// the model, the epochs and the test accuracy, and writes the curves and the decision
/// boundary as SVG into `out`.
pub fn demo(epochs: usize, out: &Path) -> Result<f64, Box<dyn std::error::Error>> {
    let seed = seed_everything(0);
    let (x, y) = synthetic::spirals(1500, 3, 0.05, 1);
    let (tx, ty) = synthetic::spirals(600, 3, 0.05, 2);
    let train = DataLoader::new(TensorDataset::new(x, y), 32).shuffle(true).seed(seed.loader());
    let test = DataLoader::new(TensorDataset::new(tx.clone(), ty.clone()), 600);

    let mut init = seed.init();
    let model = Sequential::new()
        .add(Linear::new(2, 64, &mut init))
        .add(ReLU)
        .add(Linear::new(64, 64, &mut init))
        .add(ReLU)
        .add(Linear::new(64, 3, &mut init));
    println!("Three spirals, 1500 training and 600 test points, a 2-64-64-3 MLP:\n{}\n", summary(&model, &[32, 2]));

    let mut optimizer = Adam::new(model.parameters(), AdamConfig { lr: 0.01, ..Default::default() });
    let schedule = Scheduler::new(&mut optimizer, CosineAnnealingLr { t_max: epochs, eta_min: 1e-4 });
    let mut trainer = Trainer::new(&model, &mut optimizer, cross_entropy)
        .metric(Accuracy::new())
        .scheduler(schedule)
        .progress(Progress::Auto);
    let history = trainer.fit(&train, Some(&test), epochs)?.clone();
    for epoch in 0..history.len() {
        println!("{}", history.epoch_log(epoch).summary());
    }

    let predicted = metrics::predicted_classes(&predict(&model, &tx));
    let labels = ty.to_vec();
    let matrix = ConfusionMatrix::from_labels(&labels, &predicted, 3);
    let accuracy = matrix.accuracy();
    println!("\ntest accuracy {:.1}%\n{matrix}", 100.0 * accuracy);

    std::fs::create_dir_all(out)?;
    plot::history(&history, out.join("curves.svg"), &PlotOptions::default().title("MLP on three spirals"))?;
    plot::decision_boundary(
        |grid| metrics::predicted_classes(&predict(&model, grid)),
        &tx,
        &labels,
        150,
        out.join("boundary.svg"),
        &PlotOptions::default().title("Decision regions and test points"),
    )?;
    println!("curves and decision boundary written to {}", out.display());
    Ok(accuracy)
}

/// A chapter crate of the book: `chapters/NN-slug` with its package name and description.
pub struct Chapter {
    pub number: String,
    pub package: String,
    pub description: String,
}

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The chapters found in the workspace, in order.
pub fn chapters() -> Vec<Chapter> {
    let Ok(entries) = std::fs::read_dir(workspace().join("chapters")) else { return Vec::new() };
    let mut found: Vec<Chapter> = entries
        .filter_map(|e| e.ok())
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().to_string();
            let number = name.split('-').next().filter(|n| n.len() == 2 && n.bytes().all(|b| b.is_ascii_digit()))?;
            let manifest = std::fs::read_to_string(e.path().join("Cargo.toml")).ok()?;
            let field = |key: &str| {
                manifest
                    .lines()
                    .find_map(|l| l.strip_prefix(key)?.trim_start().strip_prefix('=')?.trim().strip_prefix('"'))
                    .map(|v| v.trim_end_matches('"').to_string())
            };
            Some(Chapter { number: number.to_string(), package: field("name")?, description: field("description")? })
        })
        .collect();
    found.sort_by(|a, b| a.number.cmp(&b.number));
    found
}

pub fn list_chapters() -> ExitCode {
    let all = chapters();
    if all.is_empty() {
        eprintln!("kindling chapters: no chapters/ folder beside this build (run it from the workspace)");
        return ExitCode::FAILURE;
    }
    println!("The book's chapters (read them in book/, run a demo with `kindling chapter NN`):\n");
    for c in &all {
        println!("  {}  {:<22} {}", c.number, c.package, c.description);
    }
    println!("\nCheck a chapter's exercises: cargo test -p <package> --features learner");
    ExitCode::SUCCESS
}

/// Runs a chapter's demo through cargo (release build), as `cargo run --release -p PACKAGE`.
pub fn run_chapter(number: &str) -> ExitCode {
    let wanted = format!("{number:0>2}");
    let Some(chapter) = chapters().into_iter().find(|c| c.number == wanted) else {
        let known: Vec<String> = chapters().into_iter().map(|c| c.number).collect();
        eprintln!("kindling chapter: no chapter {number}; the workspace has {}", known.join(", "));
        return ExitCode::FAILURE;
    };
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    println!("running {} (cargo run --release -p {})", chapter.description, chapter.package);
    match Command::new(cargo).args(["run", "--release", "-p", &chapter.package]).current_dir(workspace()).status() {
        Ok(status) if status.success() => ExitCode::SUCCESS,
        Ok(_) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("kindling chapter: could not start cargo ({e}); is it on PATH?");
            ExitCode::FAILURE
        }
    }
}
