//! Checkpoint round trips (every part, the history included, comes back exactly), corruption
//! caught by the checksum, and restores that change nothing when they fail.

use kindling_data::{synthetic, DataLoader, TensorDataset};
use kindling_nn::{cross_entropy, Dropout, Linear, Module, ReLU, Sequential};
use kindling_optim::schedule::{CosineAnnealingLr, Scheduler};
use kindling_optim::{Adam, AdamConfig};
use kindling_tensor::safetensors::StateDict;
use kindling_tensor::{Rng, Tensor};
use kindling_train::{seed_everything, Checkpoint, EarlyStopping, EpochLog, History, Progress, TrainError, Trainer};

fn sample_history() -> History {
    let mut h = History::new();
    for e in 0..3 {
        let mut log = EpochLog::new(e);
        log.set("loss", 1.0 / (e as f64 + 1.0));
        log.set("accuracy", 0.5 + 0.1 * e as f64);
        if e > 0 {
            log.set("val_loss", 0.9 / e as f64);
        }
        h.push(&log);
    }
    h
}

#[test]
fn checkpoint_round_trips_every_part_exactly() {
    let mut model = StateDict::new();
    model.insert("0.weight", Tensor::from([[0.1f32, -0.2], [0.3, 1e-30]]));
    model.set_metadata("format", "pt");
    let mut optimizer = StateDict::new();
    optimizer.insert("state.0.step", Tensor::scalar(7i64));
    optimizer.set_metadata("optimizer", "Adam");
    let mut callback = StateDict::new();
    callback.insert("best", Tensor::scalar(0.123456789f64));
    let ck = Checkpoint {
        epochs_done: 3,
        model,
        optimizer,
        scheduler: Some(StateDict::new()),
        callbacks: vec![StateDict::new(), callback],
        rngs: vec![("augment".into(), [u64::MAX, 1, 2, 1 << 63])],
        history: sample_history(),
    };
    let dir = std::env::temp_dir().join(format!("kindling-train-ck-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("run.safetensors");
    ck.save(&path).unwrap();
    let back = Checkpoint::load(&path).unwrap();
    assert_eq!(back.epochs_done, 3);
    assert_eq!(back.model.get("0.weight").unwrap().cast::<f32>().to_vec(), vec![0.1, -0.2, 0.3, 1e-30]);
    assert_eq!(back.model.metadata().get("format").map(String::as_str), Some("pt"));
    assert_eq!(back.optimizer.metadata().get("optimizer").map(String::as_str), Some("Adam"));
    assert!(back.scheduler.is_some());
    assert_eq!(back.callbacks.len(), 2);
    assert_eq!(back.callbacks[1].get("best").unwrap().cast::<f64>().item(), 0.123456789);
    assert_eq!(back.rngs, ck.rngs);
    let (a, b) = (back.history.get("val_loss").unwrap(), ck.history.get("val_loss").unwrap());
    assert!(a[0].is_nan() && a[1..] == b[1..]);
    // A plain model file is not a checkpoint.
    let mut plain = StateDict::new();
    plain.insert("w", Tensor::scalar(1.0f32));
    plain.save(dir.join("model.safetensors")).unwrap();
    let err = Checkpoint::load(dir.join("model.safetensors")).unwrap_err().to_string();
    assert!(err.contains("kindling-checkpoint"), "{err}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A run with every part a checkpoint holds: model (with dropout's generator), Adam, a
/// scheduler, early stopping and a tracked generator.
struct Run {
    model: Sequential,
    train: DataLoader<TensorDataset>,
}

impl Run {
    fn new() -> Run {
        let (x, y) = synthetic::moons(64, 0.15, 3);
        let mut rng = Rng::seed(7);
        let model = Sequential::new()
            .add(Linear::new(2, 8, &mut rng))
            .add(ReLU)
            .add(Dropout::new(0.2, &mut rng))
            .add(Linear::new(8, 2, &mut rng));
        Run { model, train: DataLoader::new(TensorDataset::new(x, y), 16).shuffle(true).seed(5) }
    }
}

fn trainer<'a>(run: &'a Run, opt: &'a mut Adam) -> Trainer<'a, Tensor<i64>> {
    let scheduler = Scheduler::new(opt, CosineAnnealingLr { t_max: 4, eta_min: 1e-4 });
    Trainer::new(&run.model, opt, cross_entropy)
        .progress(Progress::Quiet)
        .scheduler(scheduler)
        .callback(EarlyStopping::new("loss", 100))
        .track_rng("augment", seed_everything(1).shared("augment"))
}

/// Every bit of the trainer's state, through the checkpoint's own encoding.
fn state_bytes(trainer: &Trainer<Tensor<i64>>) -> Vec<u8> {
    trainer.to_checkpoint().to_state_dict().to_bytes()
}

#[test]
fn a_failed_restore_changes_nothing() {
    let dir = std::env::temp_dir().join(format!("kindling-train-restore-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("run.safetensors");
    let run = Run::new();
    let mut opt = Adam::new(run.model.parameters(), AdamConfig { lr: 0.01, ..Default::default() });
    let mut trainer = trainer(&run, &mut opt).checkpoint(&path, 1);
    trainer.fit(&run.train, None, 2).unwrap();
    let saved = Checkpoint::load(&path).unwrap();
    trainer.fit(&run.train, None, 3).unwrap();
    let now = state_bytes(&trainer);
    assert_ne!(now, saved.to_state_dict().to_bytes(), "the run moved on after the checkpoint");

    // Each broken checkpoint fails at a different part; the later ones only after the model,
    // the optimizer and the scheduler have been loaded.
    let mut broken: Vec<(&str, Checkpoint)> = Vec::new();
    let mut c = saved.clone();
    c.model.insert("0.weight", Tensor::<f32>::zeros([3, 3]));
    broken.push(("model shape", c));
    let mut c = saved.clone();
    let first = c.optimizer.keys().find(|k| k.starts_with("state.")).unwrap().to_string();
    c.optimizer.remove(&first);
    broken.push(("optimizer", c));
    let mut c = saved.clone();
    c.scheduler = Some(StateDict::new());
    broken.push(("scheduler", c));
    let mut c = saved.clone();
    c.callbacks[0].remove("wait");
    broken.push(("early stopping", c));
    let mut c = saved.clone();
    c.callbacks[0].insert("best", Tensor::from([0.5f64, 0.25]));
    broken.push(("early stopping's best value", c));
    let mut c = saved.clone();
    c.rngs.retain(|(name, _)| name != "augment");
    broken.push(("generator", c));
    let mut c = saved.clone();
    c.callbacks.clear();
    broken.push(("callback count", c));
    for (what, checkpoint) in &broken {
        assert!(trainer.restore(checkpoint).is_err(), "a broken {what} part was accepted");
        assert!(state_bytes(&trainer) == now, "a failed restore ({what}) changed the trainer");
    }
    // The good one restores.
    trainer.restore(&saved).unwrap();
    assert_eq!(trainer.epochs_done(), 2);
    assert!(state_bytes(&trainer) == saved.to_state_dict().to_bytes());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn every_bit_flip_in_a_checkpoint_is_an_error_and_resume_changes_nothing() {
    let dir = std::env::temp_dir().join(format!("kindling-train-flip-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("run.safetensors");
    let run = Run::new();
    let mut opt = Adam::new(run.model.parameters(), AdamConfig { lr: 0.01, ..Default::default() });
    let mut trainer = trainer(&run, &mut opt).checkpoint(&path, 1);
    trainer.fit(&run.train, None, 1).unwrap();
    let good = std::fs::read(&path).unwrap();
    let mut bytes = good.clone();
    for bit in 0..good.len() * 8 {
        bytes[bit / 8] ^= 1 << (bit % 8);
        let loaded = StateDict::from_bytes_verified(&bytes)
            .map_err(TrainError::from)
            .and_then(|d| Checkpoint::from_state_dict(&d));
        assert!(loaded.is_err(), "flipping bit {bit} of {} went unnoticed", good.len() * 8);
        bytes[bit / 8] ^= 1 << (bit % 8);
    }
    // Through the file: the error names it, and the trainer is untouched.
    trainer.fit(&run.train, None, 2).unwrap();
    let now = state_bytes(&trainer);
    bytes[good.len() - 3] ^= 4; // in the data: only the checksum can tell
    std::fs::write(&path, &bytes).unwrap();
    let err = trainer.resume(&path).unwrap_err().to_string();
    assert!(err.contains(&path.display().to_string()) && err.contains("corrupted"), "{err}");
    assert!(state_bytes(&trainer) == now);
    // A checkpoint that fits nothing names the file too.
    let mut other = Checkpoint::from_state_dict(&StateDict::from_bytes(&good).unwrap()).unwrap();
    other.callbacks.clear();
    other.save(&path).unwrap();
    let err = trainer.resume(&path).unwrap_err().to_string();
    assert!(
        err.starts_with(&format!("checkpoint {}: ", path.display())) && err.contains("nothing was changed"),
        "{err}"
    );
    assert!(state_bytes(&trainer) == now);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn well_formed_files_with_impossible_values_are_errors_not_panics() {
    let base = Checkpoint { epochs_done: 1, history: sample_history(), ..Checkpoint::default() }.to_state_dict();
    let reason = |edit: &dyn Fn(&mut StateDict)| {
        let mut dict = base.clone();
        edit(&mut dict);
        // Through the bytes, so the file carries a valid checksum of the impossible values.
        let dict = StateDict::from_bytes_verified(&dict.to_bytes()).unwrap();
        Checkpoint::from_state_dict(&dict).unwrap_err().to_string()
    };
    assert!(reason(&|d| d.insert("epochs_done", Tensor::from([1i64, 2]))).contains("one non-negative integer"));
    assert!(reason(&|d| d.insert("epochs_done", Tensor::scalar(-3i64))).contains("one non-negative integer"));
    assert!(reason(&|d| d.set_metadata("callbacks", "99999999999")).contains("not a count up to 65536"));
    assert!(reason(&|d| d.insert("callbacks.7.best", Tensor::scalar(1.0))).contains("belongs to no callback"));
    assert!(reason(&|d| d.insert("history.epochs", Tensor::from([0i64, -1, 2]))).contains("negative epoch"));
    assert!(reason(&|d| d.insert("history.values", Tensor::<f64>::zeros([2]))).contains("expected 3 epochs × 3 names"));
    assert!(reason(&|d| d.set_metadata("history.names", r#"["loss","loss","x"]"#)).contains("`loss` twice"));
    assert!(reason(&|d| d.insert("rng.augment", Tensor::from([1i64]))).contains("must hold 4 words"));
}
