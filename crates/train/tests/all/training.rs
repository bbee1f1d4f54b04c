//! Golden runs through `fit`, the hand-written loop, early stopping and exact resumption.

use kindling_autograd::Variable;
use kindling_data::{synthetic, DataLoader, TensorDataset};
use kindling_nn::{cross_entropy, mse_loss, Forward, Linear, Module, ReLU, Reduction, Sequential};
use kindling_optim::schedule::{CosineAnnealingLr, Scheduler};
use kindling_optim::{Adam, AdamConfig, Sgd, SgdConfig};
use kindling_tensor::{Rng, Tensor};
use kindling_train::metrics::{Accuracy, ClassScore, RegressionError, R2};
use kindling_train::{
    evaluate, on_epoch_end, seed_everything, train_epoch, Average, Control, EarlyStopping, Metric, Mode, Progress,
    Trainer,
};

fn mlp(sizes: &[usize], rng: &mut Rng) -> Sequential {
    let mut model = Sequential::new();
    for (i, w) in sizes.windows(2).enumerate() {
        model.push(Linear::new(w[0], w[1], rng));
        if i + 2 < sizes.len() {
            model.push(ReLU);
        }
    }
    model
}

#[test]
fn the_hand_written_loop_learns_the_line() {
    let (x, y) = synthetic::linear(100, 0.7, 0.3, 0.0, 0);
    let loader = DataLoader::new(TensorDataset::new(x, y), 10).shuffle(true).seed(1);
    let model = Linear::new(1, 1, &mut Rng::seed(0));
    let mut opt = Sgd::new(model.parameters(), SgdConfig { lr: 0.1, momentum: 0.9, ..Default::default() });
    let loss_fn = |out: &Variable, y: &Tensor<f32>| mse_loss(out, y, Reduction::Mean);
    let first = train_epoch(&model, loader.iter_epoch(0), &loss_fn, &mut opt);
    let mut last = first.clone();
    for epoch in 1..60 {
        last = train_epoch(&model, loader.iter_epoch(epoch), &loss_fn, &mut opt);
    }
    assert_eq!((first.samples, first.batches), (100, 10));
    assert!(last.loss < first.loss / 100.0, "{} → {}", first.loss, last.loss);
    let mut metrics: Vec<Box<dyn Metric<Tensor<f32>>>> = vec![Box::new(R2::new())];
    let eval = evaluate(&model, loader.iter_epoch(0), &loss_fn, &mut metrics);
    assert!(eval.metric("r2").unwrap() > 0.999);
    assert!(eval.wait_fraction() >= 0.0 && eval.wait_fraction() <= 1.0);
}

/// The workflow chapter's golden run: a one-weight model recovers y = 0.7x + 0.3 from the
/// noisy line, to within 0.02 (the noise has σ = 0.02 over 500 points).
#[test]
fn fit_recovers_weight_and_bias_of_the_noisy_line() {
    let seed = seed_everything(7);
    let (x, y) = synthetic::linear(500, 0.7, 0.3, 0.02, seed.data());
    let train = DataLoader::new(TensorDataset::new(x, y), 25).shuffle(true).seed(seed.loader());
    let model = Linear::new(1, 1, &mut seed.init());
    let mut opt = Sgd::new(model.parameters(), SgdConfig { lr: 0.1, momentum: 0.9, ..Default::default() });
    let mut trainer = Trainer::new(&model, &mut opt, |out, y: &Tensor<f32>| mse_loss(out, y, Reduction::Mean))
        .metric(RegressionError::mae())
        .metric(R2::new());
    let history = trainer.fit(&train, None, 40).unwrap();
    assert_eq!(history.len(), 40);
    let (w, b) = (model.weight.item(), model.bias.as_ref().unwrap().item());
    assert!((w - 0.7).abs() < 0.02 && (b - 0.3).abs() < 0.02, "w = {w}, b = {b}");
    assert!(history.last("loss").unwrap() < 1e-3);
    let r2 = history.last("r2").unwrap();
    assert!(r2 > 0.98, "R² {r2}"); // noise of σ 0.02 caps it near 0.99
}

fn classify(points: (Tensor<f32>, Tensor<i64>), test: (Tensor<f32>, Tensor<i64>), seed: u64, epochs: usize) -> f64 {
    let seed = seed_everything(seed);
    let train = DataLoader::new(TensorDataset::new(points.0, points.1), 32).shuffle(true).seed(seed.loader());
    let test = DataLoader::new(TensorDataset::new(test.0, test.1), 256);
    let model = mlp(&[2, 32, 32, 2], &mut seed.init());
    let mut opt = Adam::new(model.parameters(), AdamConfig { lr: 0.01, ..Default::default() });
    let mut trainer = Trainer::new(&model, &mut opt, cross_entropy).metric(Accuracy::new()).progress(Progress::Quiet);
    let history = trainer.fit(&train, Some(&test), epochs).unwrap();
    assert!(history.get("loss").unwrap()[0] > history.last("loss").unwrap());
    history.last("val_accuracy").unwrap()
}

#[test]
fn fit_separates_circles() {
    let acc = classify(synthetic::circles(1000, 0.5, 0.05, 1), synthetic::circles(500, 0.5, 0.05, 2), 3, 25);
    assert!(acc >= 0.99, "circles test accuracy {acc}");
}

#[test]
fn fit_separates_moons() {
    let acc = classify(synthetic::moons(1000, 0.1, 1), synthetic::moons(500, 0.1, 2), 3, 25);
    assert!(acc >= 0.97, "moons test accuracy {acc}");
}

/// A [`Linear`] with weight 0 and an SGD with rate 0: the weights change only where the test
/// sets them.
type Batches = Vec<(Tensor<f32>, Tensor<f32>)>;

fn frozen_setup() -> (Linear, Batches) {
    let model = Linear::from_weights(Tensor::from([[0.0f32]]), None);
    let batches = vec![(Tensor::from([[1.0f32]]), Tensor::from([[1.0f32]]))];
    (model, batches)
}

#[test]
fn early_stopping_stops_after_patience_and_restores_the_best_weights() {
    // Scripted values of a metric to maximise; the best is epoch 3 (0.7).
    let script = [0.5, 0.6, 0.55, 0.7, 0.69, 0.68, 0.9];
    let (model, batches) = frozen_setup();
    let mut opt = Sgd::new(model.parameters(), SgdConfig { lr: 0.0, ..Default::default() });
    let stopping = EarlyStopping::new("score", 2).mode(Mode::Max);
    let weight = model.weight.clone();
    let mut trainer = Trainer::new(&model, &mut opt, |o, y: &Tensor<f32>| mse_loss(o, y, Reduction::Mean))
        .callback(on_epoch_end(move |ctx, log| {
            // The "weights" of epoch e are e, and the epoch scores its scripted value.
            weight.set_value(Tensor::from([[ctx.epoch as f32]]));
            log.set("score", script[ctx.epoch]);
            Control::Continue
        }))
        .callback(stopping);
    let history = trainer.fit(&batches, None, 7).unwrap();
    // Epoch 4 and 5 do not improve on 0.7: patience 2 runs out after epoch 5 (6 epochs run).
    assert_eq!(history.len(), 6);
    assert!(trainer.stopped());
    assert_eq!(model.weight.item(), 3.0, "the best epoch's weights are restored");
}

#[test]
fn early_stopping_min_delta_and_min_mode() {
    let mut es = EarlyStopping::new("val_loss", 2).min_delta(0.1);
    let values = [1.0, 0.95, 0.85, 0.84, 0.80];
    let controls: Vec<Control> = values
        .iter()
        .enumerate()
        .map(|(e, &v)| es.observe(e, v, kindling_tensor::safetensors::StateDict::new))
        .collect();
    // 0.95 is not 0.1 better than 1.0; 0.85 is (best → 0.85); 0.84 and 0.80 are not: stop at epoch 4.
    assert_eq!(controls, [Control::Continue, Control::Continue, Control::Continue, Control::Continue, Control::Stop]);
    assert_eq!(es.best(), Some(0.85));
    assert_eq!(es.best_epoch(), Some(2));
    assert_eq!(es.stopped_epoch(), Some(4));
}

/// Everything a classification run uses, built fresh from the same seed.
fn resumable_parts(init_seed: u64) -> (Sequential, DataLoader<TensorDataset>, DataLoader<TensorDataset>) {
    let (x, y) = synthetic::moons(300, 0.15, 11);
    let (vx, vy) = synthetic::moons(100, 0.15, 12);
    let train = DataLoader::new(TensorDataset::new(x, y), 16).shuffle(true).seed(5);
    let val = DataLoader::new(TensorDataset::new(vx, vy), 50);
    // Dropout draws from its own generator, which the checkpoint carries too.
    let mut rng = Rng::seed(init_seed);
    let model = Sequential::new()
        .add(Linear::new(2, 16, &mut rng))
        .add(ReLU)
        .add(kindling_nn::Dropout::new(0.2, &mut rng))
        .add(Linear::new(16, 2, &mut rng));
    (model, train, val)
}

fn parameters_bits(model: &Sequential) -> Vec<Vec<u32>> {
    model.parameters().iter().map(|p| p.value().to_vec().iter().map(|v| v.to_bits()).collect()).collect()
}

fn run(
    model: &Sequential,
    train: &DataLoader<TensorDataset>,
    val: &DataLoader<TensorDataset>,
    epochs: usize,
    checkpoint: Option<&std::path::Path>,
    resume: bool,
) -> kindling_train::History {
    let mut opt = Adam::new(model.parameters(), AdamConfig { lr: 0.01, ..Default::default() });
    let scheduler = Scheduler::new(&mut opt, CosineAnnealingLr { t_max: 4, eta_min: 1e-4 });
    let augment = seed_everything(1).shared("augment");
    let mut trainer = Trainer::new(model, &mut opt, cross_entropy)
        .metric(Accuracy::new())
        .metric(ClassScore::f1(Average::Macro))
        .scheduler(scheduler)
        .callback(EarlyStopping::new("val_loss", 100))
        .track_rng("augment", augment.clone())
        .callback(on_epoch_end(move |_, log| {
            // Something random per epoch that must continue its stream across a resume.
            log.set("draw", augment.lock().unwrap().uniform_f64());
            Control::Continue
        }));
    if let Some(path) = checkpoint {
        trainer = trainer.checkpoint(path, 1);
        if resume {
            trainer.resume(path).unwrap();
            assert_eq!(trainer.epochs_done(), 2);
        }
    }
    trainer.fit(train, Some(val), epochs).unwrap().clone()
}

#[test]
fn a_resumed_run_equals_the_uninterrupted_run_bit_for_bit() {
    let dir = std::env::temp_dir().join(format!("kindling-train-resume-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("run.safetensors");

    let (model, train, val) = resumable_parts(42);
    let straight = run(&model, &train, &val, 4, None, false);

    let (first_half, train2, val2) = resumable_parts(42);
    let partial = run(&first_half, &train2, &val2, 2, Some(&path), false);
    assert_eq!(partial.len(), 2);

    // Fresh objects: a differently initialised model, a new optimizer and scheduler.
    let (resumed, train3, val3) = resumable_parts(999);
    let finished = run(&resumed, &train3, &val3, 4, Some(&path), true);

    assert_eq!(parameters_bits(&resumed), parameters_bits(&model), "parameters differ after resuming");
    assert_eq!(finished.len(), 4);
    for name in ["loss", "accuracy", "f1_macro", "val_loss", "val_accuracy", "lr", "draw"] {
        let (a, b) = (finished.get(name).unwrap(), straight.get(name).unwrap());
        let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&a), bits(&b), "history `{name}` differs");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn predict_runs_in_eval_mode_and_restores_the_mode() {
    let model = Sequential::new().add(kindling_nn::Dropout::new(0.5, &mut Rng::seed(0)));
    let x = Tensor::<f32>::ones([4, 8]);
    let out = kindling_train::predict(&model, &x);
    assert_eq!(out.to_vec(), x.to_vec(), "dropout is off in evaluation");
    assert!(model.is_training());
    let _ = model.forward(&Variable::constant(x));
}

struct StopAfterBatches(usize);

impl kindling_train::Callback for StopAfterBatches {
    fn on_batch_end(&mut self, _ctx: &kindling_train::Context, batch: &kindling_train::BatchInfo) -> Control {
        if batch.index + 1 >= self.0 {
            Control::Stop
        } else {
            Control::Continue
        }
    }
}

#[test]
fn a_batch_callback_can_stop_training_mid_epoch() {
    let (x, y) = synthetic::moons(100, 0.1, 0);
    let train = DataLoader::new(TensorDataset::new(x, y), 10);
    let model = mlp(&[2, 4, 2], &mut Rng::seed(0));
    let mut opt = Sgd::new(model.parameters(), SgdConfig { lr: 0.1, ..Default::default() });
    let mut trainer = Trainer::new(&model, &mut opt, cross_entropy).callback(StopAfterBatches(3));
    let history = trainer.fit(&train, None, 5).unwrap();
    assert_eq!(history.len(), 1);
    assert!(trainer.stopped());
}

#[test]
fn progress_bars_are_quiet_under_cargo_test() {
    if std::env::var_os("KINDLING_PROGRESS").is_none() {
        assert_eq!(Progress::Auto.resolve(), Progress::Quiet);
    }
    assert_eq!(Progress::Quiet.resolve(), Progress::Quiet);
}
