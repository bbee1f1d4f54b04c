//! Small, fast checks of what the chapter's figures and tables show (the demo runs
//! the full versions).

use ch10_recurrent::*;
use kindling_autograd::Variable;
use kindling_nn::Module;
use kindling_optim::{Adam, AdamConfig};
use kindling_sequence::forecast::{
    last_value_forecast, mse, sliding_windows, time_split, Forecaster,
};
use kindling_sequence::{CellKind, RecurrentOptions};
use kindling_tensor::{Rng, Tensor};

/// A few sentences repeated: enough structure for a tiny model to learn quickly.
const TEXT: &str = "the cat sat on the mat. the dog sat on the log. a cat and a dog met on a mat. ";

#[test]
fn course_fixture_lstm_shapes() {
    // nn.LSTM(10, 20, batch_first=True) on x (5, 3, 10): output (5, 3, 20), h_n and
    // c_n (1, 5, 20).
    assert_eq!(lstm_shapes(), [vec![5, 3, 20], vec![1, 5, 20], vec![1, 5, 20]]);
}

#[test]
fn the_hand_written_rnn_is_the_fused_layer() {
    let mut rng = Rng::seed(2);
    let rnn = HandRnn::<f64>::new(3, 6, &mut rng);
    rnn.b.set_value(Tensor::randn([6], &mut rng));
    let x = Variable::constant(Tensor::randn([9, 2, 3], &mut rng));
    let (ours, _) = rnn.forward(&x);
    let (fused, _) = rnn.to_layer().forward_with_state(&x, None);
    let gap = ours
        .value()
        .to_vec()
        .iter()
        .zip(fused.value().to_vec())
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert!(
        gap < 1e-12,
        "hand-written RNN against the fused layer: largest difference {gap:e}"
    );
}

#[test]
fn rnn_gradients_vanish_orders_of_magnitude_faster_than_lstm_ones() {
    let setup = BpttSetup::default();
    let rnn = input_gradient_norms(
        CellKind::RnnTanh,
        RecurrentOptions::default(),
        &setup,
    );
    let lstm = input_gradient_norms(
        CellKind::Lstm,
        RecurrentOptions::default().forget_bias(1.0),
        &setup,
    );
    assert_eq!((rnn.len(), lstm.len()), (100, 100));
    let (last, first) = (setup.steps - 1, 0);
    // Both see the last input directly; the first one only through 99 steps of
    // recurrence.
    assert!(
        rnn[last] > 1e-2 && lstm[last] > 1e-2,
        "last step: RNN {:e}, LSTM {:e}",
        rnn[last],
        lstm[last]
    );
    assert!(
        rnn[first] < 1e-6 * lstm[first],
        "first step: RNN {:e}, LSTM {:e}",
        rnn[first],
        lstm[first]
    );
}

#[test]
fn padding_with_lengths_gives_each_sequence_its_own_final_state() {
    for (len, with_lengths, without) in padding_effect(3) {
        assert!(
            with_lengths < 1e-5,
            "length {len}: {with_lengths:e} away from running it alone"
        );
        if len < 5 {
            assert!(without > 1e-2, "length {len}: zeros fed as data should change the state, moved {without:e}");
        }
    }
}

#[test]
fn learning_rate_warms_up_then_decays() {
    let c = LmConfig {
        lr: 1e-3,
        min_lr: 1e-4,
        warmup: 10,
        steps: 110,
        ..LmConfig::short()
    };
    assert!((c.lr_at(0) - 1e-4).abs() < 1e-15 && (c.lr_at(9) - 1e-3).abs() < 1e-15);
    assert!(
        (c.lr_at(60) - 5.5e-4).abs() < 1e-12,
        "half way down the cosine: {}",
        c.lr_at(60)
    );
    assert!((c.lr_at(110) - 1e-4).abs() < 1e-15);
    let constant = LmConfig::short();
    assert_eq!(constant.lr_at(0), constant.lr_at(599));
}

#[test]
fn a_tiny_char_lm_learns_in_a_few_dozen_steps() {
    let data = split_corpus(&TEXT.repeat(40), 0.9);
    let config = LmConfig {
        embed: 16,
        hidden: 64,
        batch: 16,
        seq_len: 32,
        lr: 1e-2,
        min_lr: 1e-2,
        steps: 40,
        eval_every: 20,
        eval_windows: 16,
        eval_len: 32,
        ..LmConfig::short()
    };
    assert_eq!(data.vocab.len(), 14);
    let model = config.model(data.vocab.len());
    let records = train_char_lm(&model, &data, &config, |_, _| {});
    let (first, last) = (&records[0], records.last().unwrap());
    assert_eq!(last.step, 40);
    // ln 14 ≈ 2.64 nats for a uniform guess over the 14 characters.
    assert!(first.val_loss > 2.4, "untrained: {}", first.val_loss);
    assert!(
        last.val_loss < first.val_loss - 1.0,
        "validation loss {} → {}",
        first.val_loss,
        last.val_loss
    );
}

#[test]
fn truncated_bptt_carries_the_state_and_learns() {
    let data = split_corpus(&TEXT.repeat(30), 1.0 - 1e-3);
    let config = LmConfig { embed: 16, hidden: 48, ..LmConfig::short() };
    let model = config.model(data.vocab.len());
    let mut opt = Adam::new(
        model.parameters(),
        AdamConfig { lr: 1e-2, ..Default::default() },
    );
    let losses = train_tbptt(&model, &mut opt, &data.train, 8, 16, 1.0);
    assert!(losses.len() >= 15);
    let tail: f64 = losses[losses.len() - 3..].iter().sum::<f64>() / 3.0;
    assert!(tail < losses[0] - 1.0, "TBPTT losses {:.2} → {tail:.2}", losses[0]);
}

#[test]
fn the_forecaster_beats_the_last_value() {
    let series = sum_of_sines(900, 0.1, 4);
    let (train, val) = time_split(&series, 0.8);
    let (xt, yt) = sliding_windows(&train, 30, 1, &[0]);
    let (xv, yv) = sliding_windows(&val, 30, 1, &[0]);
    let model = Forecaster::<f32>::new(
        CellKind::Gru,
        1,
        16,
        1,
        1,
        RecurrentOptions::default(),
        &mut Rng::seed(5),
    );
    train_forecaster(&model, &xt, &yt, 200, 32, 1e-2, 6);
    let ours = mse(&model.predict(&xv), &yv);
    let baseline = mse(&last_value_forecast(&xv, 1, &[0]), &yv);
    assert!(ours < 0.5 * baseline, "GRU {ours} against last value {baseline}");
}
