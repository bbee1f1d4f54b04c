//! Chapter 10's demo: `cargo run --release -p ch10-recurrent` (with
//! `KINDLING_DATASETS` set to the folder holding `tinyshakespeare/input.txt` for
//! the language model).
//!
//! Checks the recurrent cell written by hand against the fused layer; measures the
//! gradient reaching every time step of a tanh RNN, an LSTM and a GRU; shows what
//! padding does with and without lengths; times a training step on the naive and
//! the fast kernels; forecasts a noisy sum of sines one step and many steps ahead;
//! and trains a character-level LSTM language model on Tiny Shakespeare, sampling
//! from it as it learns. Everything the book shows is written to
//! `book/src/generated/10-recurrent/`.
//!
//! ```text
//! cargo run --release -p ch10-recurrent                        # about a minute
//! cargo run --release -p ch10-recurrent -- --full              # the real language-model recipe
//! cargo run --release -p ch10-recurrent -- --full --max-seconds 30
//!     [--steps N] [--hidden N] [--layers N] [--dropout P] [--lr X] [--cell lstm|gru]   # change the recipe
//! ```
//!
//! Without the dataset the language-model part says that it skipped and keeps the
//! files of an earlier run.

use ch10_recurrent::*;
use chapter_kit::{best_of, markdown_table, LineChart, Output};
use kindling_autograd::Variable;
use kindling_nn::Module;
use kindling_optim::{Adam, AdamConfig};
use kindling_sequence::forecast::{
    last_value_forecast, mse, sliding_windows, time_split, Forecaster,
};
use kindling_sequence::lm::random_windows;
use kindling_sequence::{
    unrolled, CellKind, Recurrent, RecurrentLm, RecurrentOptions,
};
use kindling_tensor::{with_kernel_mode, KernelMode, Rng, Tensor};
use std::time::{Duration, Instant};

/// What the command line asked for.
struct Args {
    full: bool,
    max_seconds: Option<f64>,
    steps: Option<usize>,
    hidden: Option<usize>,
    layers: Option<usize>,
    dropout: Option<f64>,
    lr: Option<f64>,
    cell: Option<CellKind>,
}

const OPTIONS: [&str; 8] = [
    "--full",
    "--max-seconds",
    "--steps",
    "--hidden",
    "--layers",
    "--dropout",
    "--lr",
    "--cell",
];

fn parse_args() -> Args {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |name: &str| -> Option<String> {
        args.iter().position(|a| a == name).map(|i| {
            args.get(i + 1).cloned().unwrap_or_else(|| {
                eprintln!("ch10-recurrent: {name} needs a value");
                std::process::exit(2)
            })
        })
    };
    let number = |name: &str| -> Option<f64> {
        value(name).map(|v| {
            v.parse().unwrap_or_else(|_| {
                eprintln!("ch10-recurrent: {name} expects a number, got {v:?}");
                std::process::exit(2)
            })
        })
    };
    for a in &args {
        if a.starts_with("--") && !OPTIONS.contains(&a.as_str()) {
            eprintln!(
                "ch10-recurrent: unknown option {a} (known: {})",
                OPTIONS.join(", ")
            );
            std::process::exit(2);
        }
    }
    Args {
        full: args.iter().any(|a| a == "--full"),
        max_seconds: number("--max-seconds"),
        steps: number("--steps").map(|s| s as usize),
        hidden: number("--hidden").map(|s| s as usize),
        layers: number("--layers").map(|s| s as usize),
        dropout: number("--dropout"),
        lr: number("--lr"),
        cell: value("--cell").map(|c| match c.as_str() {
            "lstm" => CellKind::Lstm,
            "gru" => CellKind::Gru,
            other => {
                eprintln!(
                    "ch10-recurrent: --cell expects lstm or gru, got {other:?}"
                );
                std::process::exit(2)
            }
        }),
    }
}

fn cell_name(kind: CellKind) -> &'static str {
    if kind == CellKind::Gru {
        "GRU"
    } else {
        "LSTM"
    }
}

fn sci(v: f64) -> String {
    format!("{v:.1e}")
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1e3)
}

fn clock(seconds: f64) -> String {
    let s = seconds.round() as u64;
    if s >= 3600 {
        format!("{}h{:02}m{:02}s", s / 3600, s % 3600 / 60, s % 60)
    } else {
        format!("{}m{:02}s", s / 60, s % 60)
    }
}

fn main() -> std::io::Result<()> {
    let args = parse_args();
    let out = Output::for_chapter("10-recurrent")?;
    if cfg!(debug_assertions) {
        out.step("note: this is a debug build; run with --release");
    }
    let start = Instant::now();

    out.step("shapes: nn.LSTM(10, 20, batch_first=True) on x of shape (5, 3, 10)");
    let [y, h, c] = lstm_shapes();
    out.write("shapes.txt", &format!("output {y:?}, h_n {h:?}, c_n {c:?}\n"))?;

    out.step("a tanh RNN by hand against the fused layer");
    hand_against_fused(&out)?;

    out.step("the gradient reaching every time step: 100 steps, 64 units, loss on the last output");
    vanishing(&out)?;

    out.step("a padded batch, with and without lengths");
    padding(&out)?;

    out.step("naive against fast: one LSTM layer, and one training step of a small language model");
    timing(&out)?;

    out.step("forecasting a noisy sum of sines");
    forecasting(&out)?;

    let mut config = if args.full { LmConfig::full() } else { LmConfig::short() };
    config.max_seconds = args.max_seconds;
    config.steps = args.steps.unwrap_or(config.steps);
    config.hidden = args.hidden.unwrap_or(config.hidden);
    config.layers = args.layers.unwrap_or(config.layers);
    config.dropout = args.dropout.unwrap_or(config.dropout);
    config.kind = args.cell.unwrap_or(config.kind);
    if let Some(lr) = args.lr {
        // Keep the schedule's shape: the floor stays the same fraction of the peak.
        config.min_lr *= lr / config.lr;
        config.lr = lr;
    }
    out.step(&format!(
        "character-level language model on Tiny Shakespeare ({} run)",
        if args.full { "full" } else { "short" }
    ));
    char_lm(&out, &config, args.full)?;

    out.step(&format!("done in {:.1} s", start.elapsed().as_secs_f64()));
    Ok(())
}

fn hand_against_fused(out: &Output) -> std::io::Result<()> {
    let mut rng = Rng::seed(4);
    let rnn = HandRnn::<f32>::new(8, 32, &mut rng);
    let x = Variable::constant(Tensor::randn([50, 4, 8], &mut rng));
    let (ours, _) = rnn.forward(&x);
    let (fused, _) = rnn.to_layer().forward_with_state(&x, None);
    let gap = ours
        .value()
        .to_vec()
        .iter()
        .zip(fused.value().to_vec())
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    out.write(
        "hand-rnn.txt",
        &format!(
            "50 steps, batch 4, 8 inputs, 32 units: largest difference between the hand-written loop and the fused \
             layer {gap:.1e} (f32)\n"
        ),
    )
}

fn vanishing(out: &Output) -> std::io::Result<()> {
    let setup = BpttSetup::default();
    let runs = [
        ("tanh RNN", CellKind::RnnTanh, RecurrentOptions::default()),
        ("GRU", CellKind::Gru, RecurrentOptions::default()),
        ("LSTM", CellKind::Lstm, RecurrentOptions::default()),
        (
            "LSTM, forget bias 1",
            CellKind::Lstm,
            RecurrentOptions::default().forget_bias(1.0),
        ),
        (
            "LSTM, forget bias 3",
            CellKind::Lstm,
            RecurrentOptions::default().forget_bias(3.0),
        ),
    ];
    let mut chart = LineChart::new(
        "Gradient reaching each input, loss on the last output only",
    )
    .x_label("steps between the input and the loss (T − 1 − t)")
    .y_label("log10 ‖∂L/∂x_t‖")
    .include_y(-25.0, 15.0);
    let mut rows = Vec::new();
    let lags = [0usize, 5, 10, 25, 50, 99];
    for (name, kind, options) in runs {
        let norms = input_gradient_norms(kind, options, &setup);
        let last = setup.steps - 1;
        chart = chart.series(
            name,
            norms
                .iter()
                .enumerate()
                .map(|(t, n)| ((last - t) as f64, n.log10()))
                .collect(),
        );
        let mut row = vec![name.to_string()];
        row.extend(lags.iter().map(|&lag| sci(norms[last - lag])));
        // The average factor per step over the whole sequence.
        row.push(format!(
            "{:.3}",
            (norms[0] / norms[last]).powf(1.0 / last as f64)
        ));
        rows.push(row);
        out.step(&format!(
            "  {name:<20} ‖∂L/∂x‖ {} at the last step, {} at the first",
            sci(norms[last]),
            sci(norms[0])
        ));
    }
    out.write("grad-through-time.svg", &chart.to_svg())?;
    let headers = [
        "layer",
        "lag 0",
        "lag 5",
        "lag 10",
        "lag 25",
        "lag 50",
        "lag 99",
        "factor per step",
    ];
    out.write("grad-through-time.md", &markdown_table(&headers, &rows))
}

fn padding(out: &Output) -> std::io::Result<()> {
    let rows: Vec<Vec<String>> = padding_effect(3)
        .into_iter()
        .map(|(len, with, without)| vec![len.to_string(), sci(with), sci(without)])
        .collect();
    out.write(
        "padding.md",
        &markdown_table(
            &[
                "length (padded to 5)",
                "‖h_n − h_n alone‖, with lengths",
                "‖h_n − h_n alone‖, padding read as data",
            ],
            &rows,
        ),
    )
}

/// Forward and backward of one LSTM layer over `x` `[T, B, I]`, as the fused op or
/// as the unrolled cells.
fn layer_pass(layer: &Recurrent<f32>, x: &Variable<f32>, fused: bool) {
    let y = if fused {
        layer.forward_with_state(x, None).0
    } else {
        unrolled(layer.kind(), layer.weights(0, 0), x, None, None, None, false).0
    };
    y.sum_all().backward();
    layer.zero_grad();
}

fn timing(out: &Output) -> std::io::Result<()> {
    let mut rng = Rng::seed(8);
    let (steps, batch, input, hidden) = (64, 32, 64, 256);
    let layer = Recurrent::<f32>::new(
        CellKind::Lstm,
        input,
        hidden,
        RecurrentOptions::default(),
        &mut rng,
    );
    let x = Variable::param(Tensor::randn([steps, batch, input], &mut rng));
    let (fused, _) = best_of(5, || layer_pass(&layer, &x, true));
    let (cells, _) = best_of(3, || layer_pass(&layer, &x, false));
    let (naive, _) = with_kernel_mode(KernelMode::Naive, || {
        best_of(2, || layer_pass(&layer, &x, false))
    });
    let rows = vec![
        vec!["fused op (fast kernels)".to_string(), ms(fused), "1.0".to_string()],
        vec![
            "unrolled cells, fast kernels".to_string(),
            ms(cells),
            format!("{:.1}", cells.as_secs_f64() / fused.as_secs_f64()),
        ],
        vec![
            "unrolled cells, KINDLING_KERNELS=naive".to_string(),
            ms(naive),
            format!("{:.1}", naive.as_secs_f64() / fused.as_secs_f64()),
        ],
    ];
    out.step(&format!(
        "  LSTM 64 → 256, 64 steps × batch 32, forward + backward: fused {} ms, unrolled {} ms, all naive {} ms",
        ms(fused),
        ms(cells),
        ms(naive)
    ));

    // One whole training step of a small character model, both ways.
    let vocab = 65;
    let corpus: Vec<i64> = (0..20_000).map(|_| rng.below(vocab) as i64).collect();
    let (x, y) = random_windows(&corpus, 32, 64, &mut rng);
    let step = |model: &RecurrentLm<f32>, opt: &mut Adam<f32>| {
        lm_train_step(model, opt, &x, &y, 1.0)
    };
    let model = RecurrentLm::<f32>::new(
        CellKind::Lstm,
        vocab as usize,
        64,
        256,
        RecurrentOptions::default(),
        &mut Rng::seed(1),
    );
    let mut opt = Adam::new(
        model.parameters(),
        AdamConfig { lr: 2e-3, ..Default::default() },
    );
    let (fast_step, _) = best_of(5, || step(&model, &mut opt));
    let (naive_step, _) = with_kernel_mode(KernelMode::Naive, || {
        best_of(2, || step(&model, &mut opt))
    });
    let ratio = naive_step.as_secs_f64() / fast_step.as_secs_f64();
    out.step(&format!(
        "  char-LM step (LSTM 64 → 256, batch 32 × 64): fast {} ms, naive {} ms, {ratio:.1}× slower",
        ms(fast_step),
        ms(naive_step)
    ));
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut text = markdown_table(
        &["forward + backward of one LSTM layer", "milliseconds", "time / fused"],
        &rows,
    );
    text.push_str(&format!(
        "\nThe layer has 64 inputs and 256 units and reads 64 steps of a batch of 32 (best of a few runs; release \
         build, {threads} threads). One whole training step of a character model with that layer (embedding \
         65 → 64, the LSTM, linear 256 → 65, cross-entropy, backward, clipping, Adam) takes {} ms on the fast \
         kernels and {} ms with KINDLING_KERNELS=naive: {ratio:.1} times as long.\n",
        ms(fast_step),
        ms(naive_step)
    ));
    out.write("naive-vs-fast.md", &text)
}

fn forecasting(out: &Output) -> std::io::Result<()> {
    let series = sum_of_sines(2000, 0.1, 7);
    let (train, val) = time_split(&series, 0.8);
    let (window, horizon) = (48, 24);
    let opts = RecurrentOptions::default();

    // One step ahead.
    let (xt, yt) = sliding_windows(&train, window, 1, &[0]);
    let (xv, yv) = sliding_windows(&val, window, 1, &[0]);
    let one = Forecaster::<f32>::new(
        CellKind::Gru,
        1,
        32,
        1,
        1,
        opts.clone(),
        &mut Rng::seed(11),
    );
    let losses = train_forecaster(&one, &xt, &yt, 600, 32, 5e-3, 12);
    let one_pred = one.predict(&xv);
    let one_mse = mse(&one_pred, &yv);
    let one_base = mse(&last_value_forecast(&xv, 1, &[0]), &yv);
    out.step(&format!(
        "  one step ahead: GRU {one_mse:.4}, last value {one_base:.4} (final training loss {:.4})",
        losses.last().unwrap()
    ));

    // 24 steps ahead: direct (one model, 24 outputs) and recursive (the one-step
    // model, fed back).
    let (xt24, yt24) = sliding_windows(&train, window, horizon, &[0]);
    let (xv24, yv24) = sliding_windows(&val, window, horizon, &[0]);
    let direct = Forecaster::<f32>::new(
        CellKind::Gru,
        1,
        32,
        horizon,
        1,
        opts,
        &mut Rng::seed(13),
    );
    train_forecaster(&direct, &xt24, &yt24, 600, 32, 5e-3, 14);
    let direct_pred = direct.predict(&xv24);
    let recursive_pred = one.predict_recursive(&xv24, horizon);
    let base24 = last_value_forecast(&xv24, horizon, &[0]);
    // The error at every lead time, averaged over the validation windows.
    let by_lead = |p: &Tensor<f32>| -> Vec<f64> {
        (0..horizon)
            .map(|k| {
                mse(
                    &p.narrow(1, k, 1).contiguous(),
                    &yv24.narrow(1, k, 1).contiguous(),
                )
            })
            .collect()
    };
    let (e_direct, e_rec, e_base) =
        (by_lead(&direct_pred), by_lead(&recursive_pred), by_lead(&base24));
    let mut rows = vec![vec![
        "next step, one-step windows".to_string(),
        format!("{one_base:.4}"),
        format!("{one_mse:.4}"),
        "–".to_string(),
        "–".to_string(),
    ]];
    for k in [1usize, 6, 12, 24] {
        rows.push(vec![
            format!(
                "{k} step{} ahead, 24-step windows",
                if k == 1 { "" } else { "s" }
            ),
            format!("{:.4}", e_base[k - 1]),
            "–".to_string(),
            format!("{:.4}", e_direct[k - 1]),
            format!("{:.4}", e_rec[k - 1]),
        ]);
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    rows.push(vec![
        "mean over the 24 lead times".to_string(),
        format!("{:.4}", mean(&e_base)),
        "–".to_string(),
        format!("{:.4}", mean(&e_direct)),
        format!("{:.4}", mean(&e_rec)),
    ]);
    out.step(&format!(
        "  24 steps ahead, mean MSE: direct {:.4}, recursive {:.4}, last value {:.4}",
        mean(&e_direct),
        mean(&e_rec),
        mean(&e_base)
    ));
    let mut text = markdown_table(
        &[
            "forecast",
            "last value",
            "GRU, one step",
            "GRU, direct 24 steps",
            "GRU one-step, recursive",
        ],
        &rows,
    );
    text.push_str(&format!(
        "\nMean squared error on the last 20 % of a 2000-step series (validation windows, {} one-step, {} 24-step); \
         the noise alone costs 0.0100.\n",
        xv.shape()[0],
        xv24.shape()[0]
    ));
    out.write("forecast.md", &text)?;

    // Figure 1: one-step forecasts over the first 150 validation steps.
    let n = 150.min(yv.shape()[0]);
    let (truth, pred) = (yv.to_vec(), one_pred.to_vec());
    let t0 = (train.shape()[0] + window) as f64;
    let chart = LineChart::new(
        "One step ahead: every point forecast from the 48 true values before it",
    )
    .x_label("time step")
    .y_label("value")
    .include_y(-2.0, 2.5)
    .scatter_series(
        "observed (noisy)",
        (0..n).map(|i| (t0 + i as f64, truth[i] as f64)).collect(),
    )
    .series(
        "GRU forecast",
        (0..n).map(|i| (t0 + i as f64, pred[i] as f64)).collect(),
    );
    out.write("forecast-one-step.svg", &chart.to_svg())?;

    // Figure 2: one window, 24 steps ahead, three ways.
    let w = 100.min(xv24.shape()[0] - 1);
    let context = xv24.select(0, w).to_vec();
    let start = (train.shape()[0] + w) as f64;
    let pts = |v: Vec<f32>, from: f64| {
        v.iter().enumerate().map(|(i, &y)| (from + i as f64, y as f64)).collect()
    };
    let ahead = start + window as f64;
    let chart = LineChart::new("24 steps ahead from one window")
        .x_label("time step")
        .y_label("value")
        .include_y(-2.0, 3.5)
        .scatter_series("context (48 values)", pts(context, start))
        .scatter_series("what happened", pts(yv24.select(0, w).to_vec(), ahead))
        .series(
            "direct (24 outputs)",
            pts(direct_pred.select(0, w).to_vec(), ahead),
        )
        .series(
            "recursive (fed back)",
            pts(recursive_pred.select(0, w).to_vec(), ahead),
        )
        .dashed_series("last value", pts(base24.select(0, w).to_vec(), ahead));
    out.write("forecast-multi-step.svg", &chart.to_svg())?;

    let by_k = |e: &[f64]| {
        e.iter().enumerate().map(|(k, &e)| ((k + 1) as f64, e.log10())).collect()
    };
    let chart =
        LineChart::new("Forecast error against lead time (validation windows)")
            .x_label("steps ahead")
            .y_label("log10 mean squared error")
            .include_y(-2.5, 1.5)
            .series("direct", by_k(&e_direct))
            .series("recursive", by_k(&e_rec))
            .dashed_series("last value", by_k(&e_base));
    out.write("forecast-by-lead.svg", &chart.to_svg())
}

/// The step, wall seconds and training seconds at which a validation loss was first
/// reached.
type Reached = (usize, f64, f64);

fn char_lm(out: &Output, config: &LmConfig, full: bool) -> std::io::Result<()> {
    let text = match kindling_data::datasets_dir()
        .and_then(|d| kindling_data::tiny_shakespeare(d.join("tinyshakespeare")))
    {
        Ok(text) => text,
        Err(e) => {
            out.step(&format!("  skipped the language model (the files of an earlier run stay): {e}"));
            return Ok(());
        }
    };
    let data = split_corpus(&text, 0.9);
    let model = config.model(data.vocab.len());
    out.step(&format!(
        "  {} characters ({} distinct): {} for training, {} for validation; {} {} × {}, {} parameters",
        text.chars().count(),
        data.vocab.len(),
        data.train.len(),
        data.val.len(),
        cell_name(config.kind),
        config.layers,
        config.hidden,
        model.num_parameters()
    ));
    let prompt = data.vocab.encode("ROMEO:").expect("in the vocabulary").to_vec();
    let mut sample_rng = Rng::seed(42);
    let mut samples: Vec<String> = Vec::new();
    // For each target loss: when it was first reached (step, wall seconds, training
    // seconds).
    let mut reached: Vec<(f64, Option<Reached>)> = vec![(1.55, None), (1.50, None)];
    let records = train_char_lm(&model, &data, config, |r, model| {
        let text =
            data.vocab.decode(&model.sample(&prompt, 160, 0.8, &mut sample_rng));
        let train = if r.train_loss.is_finite() {
            format!("{:.3}", r.train_loss)
        } else {
            "  –  ".to_string()
        };
        println!(
            "[10-recurrent]   step {:>6}  {} ({} training)  train {train}  val {:.3} nats/char  lr {:.1e}",
            r.step,
            clock(r.seconds),
            clock(r.train_seconds),
            r.val_loss,
            r.lr
        );
        for line in text.lines().take(4) {
            println!("[10-recurrent]       | {line}");
        }
        for (target, at) in reached.iter_mut() {
            if at.is_none() && r.val_loss <= *target {
                *at = Some((r.step, r.seconds, r.train_seconds));
                println!(
                    "[10-recurrent]   reached {target:.2} nats/char at step {} after {} ({} training)",
                    r.step,
                    clock(r.seconds),
                    clock(r.train_seconds)
                );
            }
        }
        samples.push(format!(
            "--- step {}, validation loss {:.3} ---\n{}\n\n",
            r.step,
            r.val_loss,
            text.trim_end()
        ));
    });

    let pts = |f: fn(&EvalRecord) -> f64| -> Vec<(f64, f64)> {
        records
            .iter()
            .filter(|r| f(r).is_finite())
            .map(|r| (r.step as f64, f(r)))
            .collect()
    };
    let cell = cell_name(config.kind);
    let chart =
        LineChart::new(&format!("Character-level {cell} on Tiny Shakespeare"))
            .x_label("training step")
            .y_label("cross-entropy (nats per character)")
            .series("training", pts(|r| r.train_loss))
            .series("validation", pts(|r| r.val_loss));
    out.write("char-lm-loss.svg", &chart.to_svg())?;
    let rows: Vec<Vec<String>> = records
        .iter()
        .map(|r| {
            vec![
                r.step.to_string(),
                clock(r.seconds),
                clock(r.train_seconds),
                if r.train_loss.is_finite() {
                    format!("{:.3}", r.train_loss)
                } else {
                    "–".to_string()
                },
                format!("{:.3}", r.val_loss),
            ]
        })
        .collect();
    out.write(
        "char-lm.md",
        &markdown_table(
            &[
                "step",
                "wall time",
                "training time",
                "training loss",
                "validation loss (nats/char)",
            ],
            &rows,
        ),
    )?;
    // At most six samples for the book, evenly spread, the first and the last
    // included.
    let picked: Vec<usize> = if samples.len() <= 6 {
        (0..samples.len()).collect()
    } else {
        (0..6).map(|k| k * (samples.len() - 1) / 5).collect()
    };
    out.write(
        "char-lm-samples.txt",
        &picked.iter().map(|&i| samples[i].as_str()).collect::<String>(),
    )?;

    // The finished model at three temperatures.
    let mut text = String::new();
    for t in [0.5, 0.8, 1.2] {
        let s =
            data.vocab.decode(&model.sample(&prompt, 240, t, &mut Rng::seed(7)));
        text.push_str(&format!("--- temperature {t} ---\n{}\n\n", s.trim_end()));
    }
    out.write("char-lm-temperature.txt", &text)?;

    let last = records.last().expect("at least one evaluation");
    let best = records.iter().map(|r| r.val_loss).fold(f64::INFINITY, f64::min);
    let reach = |i: usize| match reached[i].1 {
        Some((step, s, t)) => format!(
            "reached at step {step}, after {} ({} of it training)",
            clock(s),
            clock(t)
        ),
        None => "not reached".to_string(),
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let layers = if config.layers == 1 {
        format!("one {cell} layer")
    } else {
        format!("{} {cell} layers", config.layers)
    };
    let dropout = if config.layers > 1 && config.dropout > 0.0 {
        format!(", dropout {} between layers", config.dropout)
    } else {
        String::new()
    };
    let schedule = if config.warmup == 0 && config.min_lr == config.lr {
        format!("a constant learning rate of {}", config.lr)
    } else {
        format!(
            "learning rate {} after a {}-step warm-up, cosine decay to {}",
            config.lr, config.warmup, config.min_lr
        )
    };
    let run = format!(
        "{} run: {layers} of {} units (embedding {}{dropout}), {} parameters; {} steps planned, batches of {} \
         windows of {} characters; Adam with {schedule}; gradient norm clipped at {}; validation on {} fixed windows \
         of {} characters.\n\nAfter {} steps ({} on {threads} threads): validation loss {:.3} nats/char (best \
         {:.3}); 1.55 {}; 1.50 {}.\n",
        if full { "Full" } else { "Short" },
        config.hidden,
        config.embed,
        model.num_parameters(),
        config.steps,
        config.batch,
        config.seq_len,
        config.clip,
        config.eval_windows,
        config.eval_len,
        last.step,
        clock(last.seconds),
        last.val_loss,
        best,
        reach(0),
        reach(1),
    );
    out.write("char-lm-run.md", &run)
}
