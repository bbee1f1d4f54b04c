//! The language-model loop on a toy model: windows, evaluation, the schedule it applies,
//! exact resumption from a checkpoint, and the errors of a bad checkpoint.

use std::path::PathBuf;

use kindling_autograd::Variable;
use kindling_nn::{cross_entropy, module, Dropout, Embedding, Forward, Linear, Module};
use kindling_optim::schedule::LrSchedule;
use kindling_optim::Optimizer;
use kindling_tensor::{Rng, Tensor};
use kindling_transformer::train::{resume_lm, train_lm, EvalRecord, LmData, LmTrainer, Split, TrainConfig};

const VOCAB: usize = 7;

/// A bigram model with a little more: embedding, dropout, a linear head with a bias (so the
/// optimizer has a decayed and an undecayed group, and the dropout generator must resume too).
struct Bigram {
    wte: Embedding,
    drop: Dropout,
    head: Linear,
}
module!(Bigram { wte, drop, head });

impl Bigram {
    fn new(seed: u64) -> Self {
        let mut rng = Rng::seed(seed);
        Bigram {
            wte: Embedding::new(VOCAB, 8, &mut rng),
            drop: Dropout::new(0.1, &mut rng),
            head: Linear::new(8, VOCAB, &mut rng),
        }
    }
    fn loss(&self, x: &Tensor<i64>, y: &Tensor<i64>) -> Variable {
        let h = self.drop.forward(&self.wte.forward(x));
        cross_entropy(&self.head.forward(&h).reshape([-1, VOCAB as isize]), &y.reshape([-1]))
    }
}

/// A stream where each token mostly follows from the previous one (learnable by a bigram).
fn stream(len: usize) -> Vec<i64> {
    let mut rng = Rng::seed(42);
    let mut out = vec![0i64];
    while out.len() < len {
        let prev = *out.last().unwrap();
        let next = if rng.uniform_f64() < 0.8 { (prev * 3 + 1) % VOCAB as i64 } else { rng.below(VOCAB as u64) as i64 };
        out.push(next);
    }
    out
}

fn config(dir: &tempdir::Dir, name: &str) -> TrainConfig {
    TrainConfig {
        max_iters: 40,
        batch_size: 4,
        block_size: 6,
        lr: 0.05,
        min_lr: 0.005,
        warmup_iters: 4,
        lr_decay_iters: 36,
        eval_interval: 10,
        eval_iters: 2,
        checkpoint: Some(dir.path(name)),
        seed: 7,
        ..TrainConfig::default()
    }
}

/// A temporary folder removed on drop (the tests must not depend on a crate for it).
mod tempdir {
    use std::path::PathBuf;
    pub struct Dir(PathBuf);
    impl Dir {
        pub fn new(tag: &str) -> Dir {
            let dir = std::env::temp_dir().join(format!("kindling-lm-{tag}-{}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            Dir(dir)
        }
        pub fn path(&self, name: &str) -> PathBuf {
            self.0.join(name)
        }
    }
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

fn bits(model: &dyn Module) -> Vec<(String, Vec<u32>)> {
    model
        .named_parameters()
        .into_iter()
        .map(|(n, p)| (n, p.value().to_vec().iter().map(|x| x.to_bits()).collect()))
        .collect()
}

fn dict_bits(dict: &kindling_tensor::safetensors::StateDict) -> Vec<(String, Vec<u64>)> {
    dict.iter().map(|(n, t)| (n.to_string(), t.cast::<f64>().to_vec().iter().map(|x| x.to_bits()).collect())).collect()
}

/// The history without the measured throughput, as bits.
fn history_bits(h: &[EvalRecord]) -> Vec<(usize, u64, u64, u64)> {
    h.iter().map(|r| (r.iter, r.train_loss.to_bits(), r.val_loss.to_bits(), r.lr.to_bits())).collect()
}

#[test]
fn batches_are_shifted_windows_of_the_right_split() {
    let tokens: Vec<i64> = (0..100).collect();
    let data = LmData::split(&tokens, 0.9);
    assert_eq!(data.tokens(Split::Train).len(), 90);
    assert_eq!(data.tokens(Split::Val)[0], 90);
    let mut rng = Rng::seed(3);
    let (x, y) = data.batch(Split::Val, 5, 4, &mut rng);
    assert_eq!(x.shape(), [5, 4]);
    let (x, y) = (x.to_vec(), y.to_vec());
    for b in 0..5 {
        let row = &x[b * 4..b * 4 + 4];
        assert!(row[0] >= 90 && row[3] <= 98, "window {row:?} leaves the validation split");
        for t in 0..4 {
            assert_eq!(y[b * 4 + t], row[t] + 1, "targets are the inputs shifted by one");
            assert_eq!(row[t], row[0] + t as i64, "a window is consecutive tokens");
        }
    }
    // The same generator state gives the same batch.
    let once = data.batch(Split::Train, 3, 5, &mut Rng::seed(11));
    let again = data.batch(Split::Train, 3, 5, &mut Rng::seed(11));
    assert_eq!((once.0.to_vec(), once.1.to_vec()), (again.0.to_vec(), again.1.to_vec()));
}

#[test]
#[should_panic(expected = "LmData::batch: the Val split holds 4 tokens, too few for windows of block 4 + 1")]
fn a_split_shorter_than_a_window_panics() {
    let data = LmData::split(&(0..40).collect::<Vec<i64>>(), 0.9);
    let _ = data.batch(Split::Val, 1, 4, &mut Rng::seed(0));
}

#[test]
fn training_lowers_both_losses_and_follows_the_schedule() {
    let dir = tempdir::Dir::new("lowers");
    let data = LmData::split(&stream(2000), 0.9);
    let model = Bigram::new(1);
    let loss = |x: &Tensor<i64>, y: &Tensor<i64>| model.loss(x, y);
    let config = TrainConfig { max_iters: 45, ..config(&dir, "run.safetensors") };
    let history = train_lm(&model, &loss, &data, &config).unwrap();
    // Evaluations at 0, 10, 20, 30, 40, and after the last iteration.
    assert_eq!(history.iter().map(|r| r.iter).collect::<Vec<_>>(), [0, 10, 20, 30, 40, 45]);
    let (first, last) = (history[0], history[5]);
    assert!(last.train_loss < first.train_loss - 0.5, "{first:?} -> {last:?}");
    assert!(last.val_loss < first.val_loss - 0.5, "{first:?} -> {last:?}");
    for r in &history {
        assert_eq!(r.lr, config.schedule().lr(config.lr, r.iter), "iteration {}", r.iter);
    }
    assert_eq!(history[0].tokens_per_sec, 0.0);
    assert!(history[1].tokens_per_sec > 0.0);
    // Evaluation leaves the model in training mode.
    assert!(model.is_training());
    assert!(config.checkpoint.unwrap().is_file());
}

#[test]
fn a_resumed_run_ends_with_the_same_bits_as_an_uninterrupted_one() {
    let dir = tempdir::Dir::new("resume");
    let data = LmData::split(&stream(1500), 0.9);

    let straight_model = Bigram::new(1);
    let straight_loss = |x: &Tensor<i64>, y: &Tensor<i64>| straight_model.loss(x, y);
    let mut straight = LmTrainer::new(&straight_model, &straight_loss, &config(&dir, "straight.safetensors"));
    straight.run(&data).unwrap();

    // Half the run, then everything is dropped but the checkpoint file.
    let path = dir.path("halves.safetensors");
    {
        let model = Bigram::new(1);
        let loss = |x: &Tensor<i64>, y: &Tensor<i64>| model.loss(x, y);
        let mut first_half = LmTrainer::new(&model, &loss, &config(&dir, "halves.safetensors"));
        first_half.run_until(&data, 20).unwrap();
        assert_eq!(first_half.iter(), 20);
    }
    // A model built from another seed: everything it needs comes from the file.
    let model = Bigram::new(99);
    let loss = |x: &Tensor<i64>, y: &Tensor<i64>| model.loss(x, y);
    let mut second_half = LmTrainer::resume(&model, &loss, &config(&dir, "halves.safetensors"), &path).unwrap();
    assert_eq!(second_half.iter(), 20);
    second_half.run(&data).unwrap();

    assert_eq!(bits(&model), bits(&straight_model));
    assert_eq!(dict_bits(&second_half.optimizer().state_dict()), dict_bits(&straight.optimizer().state_dict()));
    assert_eq!(second_half.scheduler().steps(), 40);
    assert_eq!(second_half.batch_rng().state(), straight.batch_rng().state());
    assert_eq!(model.rng_states().keys().count(), 1);
    assert_eq!(dict_bits(&model.rng_states()), dict_bits(&straight_model.rng_states()));
    assert_eq!(history_bits(second_half.history()), history_bits(straight.history()));
    assert_eq!(second_half.history().len(), 5);

    // The one-call form reaches the same history from the same file.
    let model = Bigram::new(5);
    let loss = |x: &Tensor<i64>, y: &Tensor<i64>| model.loss(x, y);
    let config = TrainConfig { checkpoint: None, ..config(&dir, "unused") };
    let history = resume_lm(&model, &loss, &data, &config, &path).unwrap();
    assert_eq!(history_bits(&history), history_bits(straight.history()));
}

fn resume_error(path: &PathBuf) -> String {
    let model = Bigram::new(1);
    let loss = |x: &Tensor<i64>, y: &Tensor<i64>| model.loss(x, y);
    let before = bits(&model);
    let dir = tempdir::Dir::new("unused");
    let err = LmTrainer::resume(&model, &loss, &config(&dir, "x"), path).err().expect("resume must fail");
    assert_eq!(bits(&model), before, "a failed resume changed the model");
    err.to_string()
}

#[test]
fn a_missing_damaged_or_foreign_checkpoint_is_an_error_naming_the_file() {
    let dir = tempdir::Dir::new("errors");
    let missing = dir.path("nothing-here.safetensors");
    let msg = resume_error(&missing);
    assert!(msg.contains("nothing-here.safetensors") && msg.contains("no such file"), "{msg}");
    assert!(msg.contains("start the run with train_lm"), "{msg}");

    // Train a little to have a real checkpoint, then damage a copy of it.
    let data = LmData::split(&stream(600), 0.9);
    let model = Bigram::new(1);
    let loss = |x: &Tensor<i64>, y: &Tensor<i64>| model.loss(x, y);
    let config = TrainConfig { max_iters: 10, ..config(&dir, "good.safetensors") };
    train_lm(&model, &loss, &data, &config).unwrap();
    let good = dir.path("good.safetensors");
    let mut bytes = std::fs::read(&good).unwrap();
    let last = bytes.len() - 3;
    bytes[last] ^= 0x10;
    let damaged = dir.path("damaged.safetensors");
    std::fs::write(&damaged, &bytes).unwrap();
    let msg = resume_error(&damaged);
    assert!(msg.contains("damaged.safetensors") && msg.contains("checksum"), "{msg}");

    // A checkpoint of another model: the state dict does not fit.
    let other = Bigram { head: Linear::new(8, 3, &mut Rng::seed(0)), ..Bigram::new(1) };
    let other_loss = |x: &Tensor<i64>, _: &Tensor<i64>| other.head.forward(&other.wte.forward(x)).sum_all();
    let mut trainer = LmTrainer::new(&other, &other_loss, &config);
    trainer.train_step(&data);
    let foreign = dir.path("foreign.safetensors");
    trainer.save(&foreign).unwrap();
    let msg = resume_error(&foreign);
    assert!(msg.contains("foreign.safetensors") && msg.contains("head.weight"), "{msg}");

    // An epoch checkpoint written by kindling_train's Trainer is not a language-model one.
    let epoch_checkpoint = kindling_train::Checkpoint { model: model.state_dict(), ..Default::default() };
    let epochs = dir.path("epochs.safetensors");
    epoch_checkpoint.save(&epochs).unwrap();
    let msg = resume_error(&epochs);
    assert!(msg.contains("epochs.safetensors") && msg.contains("rng.batches"), "{msg}");
}

#[test]
#[should_panic(expected = "TrainConfig: eval_interval and eval_iters must be >= 1, got 0 and 2")]
fn a_config_without_evaluation_interval_panics() {
    let model = Bigram::new(1);
    let loss = |x: &Tensor<i64>, y: &Tensor<i64>| model.loss(x, y);
    let dir = tempdir::Dir::new("panic");
    let _ = LmTrainer::new(&model, &loss, &TrainConfig { eval_interval: 0, ..config(&dir, "x") });
}

#[test]
fn the_optimizer_decays_the_matrices_only() {
    let model = Bigram::new(1);
    let loss = |x: &Tensor<i64>, y: &Tensor<i64>| model.loss(x, y);
    let dir = tempdir::Dir::new("groups");
    let trainer = LmTrainer::new(&model, &loss, &config(&dir, "x"));
    let groups = trainer.optimizer().param_groups();
    assert_eq!((groups[0].params().len(), groups[0].config.weight_decay), (2, 0.1));
    assert_eq!((groups[1].params().len(), groups[1].config.weight_decay), (1, 0.0));
    assert!(groups[1].params()[0].same_as(&model.head.bias.clone().unwrap()));
    assert_eq!(trainer.optimizer().learning_rate(), 0.05 / 5.0);
}
