//! Checkpoint round trips: every part, the history included, comes back exactly.

use kindling_tensor::safetensors::StateDict;
use kindling_tensor::Tensor;
use kindling_train::{Checkpoint, EpochLog, History};

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
