//! Chapter 8's demo: `cargo run --release -p ch08-custom-data` (with
//! `KINDLING_DATASETS` set to the folder holding `sign-language-digits/Dataset/`).
//!
//! Decodes the image folder once (resizing every photo to 64×64 and keeping it in
//! memory), splits it per class, shows augmented variants of a few images, and
//! trains TinyVGG three times, without augmentation, with a hand-picked pipeline
//! and with TrivialAugmentWide, drawing the loss and accuracy curves. Everything
//! the book shows is written to `book/src/generated/08-custom-data/`. Without the
//! data it says what it skipped and keeps the files of an earlier run.

use ch08_custom_data::*;
use chapter_kit::{markdown_table, LineChart, Output};
use kindling_tensor::Rng;
use kindling_vision::image::{normalize, save_png};
use kindling_vision::models::TinyVgg;
use std::time::Instant;

const SIZE: usize = 64;
const SEED: u64 = 8;
const EPOCHS: usize = 30;
const LR: f64 = 1e-3;

fn main() -> std::io::Result<()> {
    let out = Output::for_chapter("08-custom-data")?;
    if cfg!(debug_assertions) {
        out.step("note: this is a debug build; run with --release");
    }
    let root = match kindling_data::datasets_dir() {
        Ok(dir) => dir.join("sign-language-digits").join("Dataset"),
        Err(e) => {
            out.step(&format!("skipped: {e}"));
            out.step("  (kept the results, plots and tables of an earlier run with the data)");
            return Ok(());
        }
    };

    // -----------------------------------------------------------------------------
    out.step(&format!("decoding {} and resizing to {SIZE}×{SIZE}", root.display()));
    let start = Instant::now();
    let data = match load_folder(&root, SIZE) {
        Ok(d) => d,
        Err(e) => {
            out.step(&format!("skipped: {e}"));
            return Ok(());
        }
    };
    let load_time = start.elapsed();
    let labels: Vec<i64> = data.samples.iter().map(|(_, y)| *y).collect();
    let (train_idx, test_idx) = split_per_class(&labels, 0.2, SEED);
    let mut rows = Vec::new();
    for (c, name) in data.classes.iter().enumerate() {
        let count =
            |idx: &[usize]| idx.iter().filter(|&&i| labels[i] == c as i64).count();
        rows.push(vec![
            name.clone(),
            labels.iter().filter(|&&y| y == c as i64).count().to_string(),
            count(&train_idx).to_string(),
            count(&test_idx).to_string(),
        ]);
    }
    rows.push(vec![
        "all".into(),
        labels.len().to_string(),
        train_idx.len().to_string(),
        test_idx.len().to_string(),
    ]);
    out.write(
        "classes.md",
        &markdown_table(&["class", "images", "train", "test"], &rows),
    )?;
    let sizes: Vec<Vec<String>> = data
        .original_sizes
        .iter()
        .map(|((w, h), n)| vec![format!("{w} × {h}"), n.to_string()])
        .collect();
    let mut text =
        markdown_table(&["original size (width × height)", "images"], &sizes);
    text.push_str(&format!(
        "\nDecoding all {} images and resizing them to {SIZE}×{SIZE} took {:.1} s; held in memory they take {:.0} MB.\n",
        labels.len(),
        load_time.as_secs_f64(),
        (labels.len() * 3 * SIZE * SIZE * 4) as f64 / 1e6
    ));
    out.write("sizes.md", &text)?;
    out.step(&format!(
        "  {} images in {:.1} s",
        labels.len(),
        load_time.as_secs_f64()
    ));

    let train_set: Vec<_> =
        train_idx.iter().map(|&i| data.samples[i].clone()).collect();
    let test_set: Vec<_> =
        test_idx.iter().map(|&i| data.samples[i].clone()).collect();
    let stats = channel_stats(&train_set);
    out.step(&format!(
        "  channel means {:?}, standard deviations {:?}",
        stats.0, stats.1
    ));
    let test_normalized: Vec<_> = test_set
        .iter()
        .map(|(x, y)| (normalize(x, &stats.0, &stats.1), *y))
        .collect();
    let test = batches(&test_normalized, 128);

    // -----------------------------------------------------------------------------
    out.step("a few training images, one per class");
    let firsts: Vec<_> = (0..data.classes.len() as i64)
        .map(|c| train_set.iter().find(|(_, y)| *y == c).unwrap().0.clone())
        .collect();
    save_png(&mosaic(&firsts, 10, 2), out.dir().join("samples.png"))
        .map_err(std::io::Error::other)?;

    out.step("augmented variants: one image in eight epochs, per pipeline");
    for name in ["hand-picked", "TrivialAugmentWide"] {
        let source = AugmentedSource::new(
            train_set.clone(),
            pipeline(name, SIZE, None).unwrap(),
            32,
            SEED,
        );
        let mut tiles = Vec::new();
        for &index in &[0usize, 400, 800, 1200] {
            tiles.push(train_set[index].0.clone());
            for epoch in 0..7 {
                tiles.push(source.sample(epoch, index).0);
            }
        }
        let file = format!(
            "augmented-{}.png",
            if name == "hand-picked" { "hand-picked" } else { "trivialaugment" }
        );
        save_png(&mosaic(&tiles, 8, 2), out.dir().join(file))
            .map_err(std::io::Error::other)?;
    }

    // -----------------------------------------------------------------------------
    let mut histories = Vec::new();
    let mut rows = Vec::new();
    for name in ["none", "hand-picked", "TrivialAugmentWide"] {
        out.step(&format!("training TinyVGG (hidden 10) with augmentation: {name}, {EPOCHS} epochs"));
        let mut rng = Rng::seed(SEED);
        let model =
            TinyVgg::<f32>::new(3, 10, data.classes.len(), (SIZE, SIZE), &mut rng);
        let source = AugmentedSource::new(
            train_set.clone(),
            pipeline(name, SIZE, Some(&stats)).unwrap(),
            32,
            SEED,
        );
        let (history, time) = train(&model, &source, &test, LR, EPOCHS);
        let train_acc = history.get("accuracy").unwrap();
        let test_acc = history.get("val_accuracy").unwrap();
        let best = test_acc.iter().cloned().fold(0.0, f64::max);
        let last = *test_acc.last().unwrap();
        out.step(&format!(
            "  test accuracy {:.1}% (best {:.1}%) in {:.0} s",
            100.0 * last,
            100.0 * best,
            time.as_secs_f64()
        ));
        let val_loss = history.get("val_loss").unwrap();
        let min_loss = val_loss.iter().cloned().fold(f64::INFINITY, f64::min);
        rows.push(vec![
            name.to_string(),
            format!("{:.1}%", 100.0 * train_acc.last().unwrap()),
            format!("{:.1}%", 100.0 * last),
            format!("{:.1}%", 100.0 * best),
            format!("{:.3}", val_loss.last().unwrap()),
            format!("{min_loss:.3}"),
            format!("{:.0} s", time.as_secs_f64()),
        ]);
        histories.push((name, history));
    }
    out.write(
        "results.md",
        &markdown_table(
            &[
                "augmentation",
                "train accuracy (last epoch)",
                "test accuracy (last epoch)",
                "best test accuracy",
                "test loss (last epoch)",
                "lowest test loss",
                "training time",
            ],
            &rows,
        ),
    )?;
    let series = |key: &str, scale: f64| -> Vec<(String, Vec<(f64, f64)>)> {
        histories
            .iter()
            .map(|(name, h)| {
                let v = h.get(key).unwrap();
                (
                    name.to_string(),
                    v.iter()
                        .enumerate()
                        .map(|(i, x)| ((i + 1) as f64, scale * x))
                        .collect(),
                )
            })
            .collect()
    };
    let mut loss = LineChart::new("Loss: training (solid) and test (dashed)")
        .x_label("epoch")
        .y_label("cross-entropy");
    for ((name, train), (_, test)) in
        series("loss", 1.0).into_iter().zip(series("val_loss", 1.0))
    {
        loss = loss
            .series(&format!("{name}, train"), train)
            .dashed_series(&format!("{name}, test"), test);
    }
    out.write("loss.svg", &loss.to_svg())?;
    let mut acc = LineChart::new("Accuracy: training (solid) and test (dashed)")
        .x_label("epoch")
        .y_label("accuracy (%)");
    for ((name, train), (_, test)) in
        series("accuracy", 100.0).into_iter().zip(series("val_accuracy", 100.0))
    {
        acc = acc
            .series(&format!("{name}, train"), train)
            .dashed_series(&format!("{name}, test"), test);
    }
    out.write("accuracy.svg", &acc.to_svg())?;
    Ok(())
}
