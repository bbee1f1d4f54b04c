//! The layer options and the helpers around them: names and state dicts, dropout between
//! layers, the forget-gate bias, padding helpers, truncated BPTT, the language model.

use kindling_autograd::Variable;
use kindling_nn::Module;
use kindling_sequence::lm::{draw, random_windows};
use kindling_sequence::{
    mask_targets, pad_sequences, sequence_mask, CellKind, Gru, Lstm, Recurrent, RecurrentLm, RecurrentOptions, Rnn,
    StreamBatches,
};
use kindling_tensor::{assert_close, Rng, Tensor, Tolerance};

#[test]
fn parameter_names_and_shapes_follow_pytorch() {
    let mut rng = Rng::seed(0);
    let lstm = Lstm::<f32>::with_options(
        10,
        20,
        RecurrentOptions::default().num_layers(2).bidirectional(true).proj_size(5),
        &mut rng,
    );
    let names: Vec<(String, Vec<usize>)> = lstm.named_parameters().into_iter().map(|(n, p)| (n, p.shape())).collect();
    assert_eq!(names[0], ("weight_ih_l0".to_string(), vec![80, 10]));
    assert_eq!(names[1], ("weight_hh_l0".to_string(), vec![80, 5]));
    assert_eq!(names[4], ("weight_hr_l0".to_string(), vec![5, 20]));
    assert_eq!(names[5].0, "weight_ih_l0_reverse");
    assert_eq!(names[10], ("weight_ih_l1".to_string(), vec![80, 10]));
    assert_eq!(names.len(), 20);
    let gru = Gru::<f32>::new(3, 4, &mut rng);
    assert_eq!(gru.named_parameters()[0].1.shape(), [12, 3]);
    let rnn = Rnn::<f32>::with_options(3, 4, RecurrentOptions::default().bias(false), &mut rng);
    assert_eq!(rnn.named_parameters().len(), 2);
}

#[test]
fn a_state_dict_round_trips_through_a_file() {
    let mut rng = Rng::seed(1);
    let options = RecurrentOptions::default().num_layers(2).bidirectional(true);
    let a = Lstm::<f32>::with_options(3, 4, options.clone(), &mut rng);
    let b = Lstm::<f32>::with_options(3, 4, options, &mut rng);
    let path = std::env::temp_dir().join(format!("kindling-lstm-{}.safetensors", std::process::id()));
    a.save(&path).unwrap();
    b.load(&path).unwrap();
    std::fs::remove_file(&path).ok();
    let x = Variable::constant(Tensor::randn([5, 2, 3], &mut rng));
    assert_close(
        &a.forward_with_state(&x, None).0.value(),
        &b.forward_with_state(&x, None).0.value(),
        Tolerance::STRICT,
    );
}

#[test]
fn dropout_acts_between_layers_in_training_only() {
    let mut rng = Rng::seed(2);
    let layer =
        Recurrent::<f64>::new(CellKind::Gru, 3, 4, RecurrentOptions::default().num_layers(2).dropout(1.0), &mut rng);
    let x = Variable::constant(Tensor::randn([6, 2, 3], &mut rng));
    let other = Variable::constant(Tensor::randn([6, 2, 3], &mut rng));
    // Everything dropped: the second layer sees zeros whatever the input.
    layer.train();
    let (a, b) = (layer.forward_with_state(&x, None).0, layer.forward_with_state(&other, None).0);
    assert_close(&a.value(), &b.value(), Tolerance::STRICT);
    layer.eval();
    let (a, b) = (layer.forward_with_state(&x, None).0, layer.forward_with_state(&other, None).0);
    assert!((&a.value() - &b.value()).abs().max_all() > 1e-3);
}

#[test]
fn the_forget_bias_option_sets_the_forget_gate_sum() {
    let lstm = Lstm::<f32>::with_options(3, 4, RecurrentOptions::default().forget_bias(1.0), &mut Rng::seed(3));
    let w = lstm.weights(0, 0);
    let (b_ih, b_hh) = (w.bias_ih.as_ref().unwrap().value().to_vec(), w.bias_hh.as_ref().unwrap().value().to_vec());
    assert!(b_ih[4..8].iter().all(|&v| v == 1.0));
    assert!(b_hh[4..8].iter().all(|&v| v == 0.0));
    assert!(b_ih[..4].iter().any(|&v| v != 1.0 && v != 0.0));
}

#[test]
#[should_panic(expected = "Lstm: input of shape [5, 2, 4] must be [steps, batch, features] with 3 features")]
fn a_wrong_input_width_names_the_layer_and_the_shapes() {
    let lstm = Lstm::<f32>::new(3, 4, &mut Rng::seed(0));
    lstm.forward_with_state(&Variable::constant(Tensor::zeros([5, 2, 4])), None);
}

#[test]
#[should_panic(expected = "sequence 1 has length 7; lengths must be in 1..=5")]
fn a_length_longer_than_the_batch_is_refused() {
    let gru = Gru::<f32>::new(3, 4, &mut Rng::seed(0));
    gru.forward_padded(&Variable::constant(Tensor::zeros([5, 2, 3])), &[2, 7], None);
}

#[test]
fn padding_helpers_agree_with_each_other() {
    let (padded, lengths) = pad_sequences(&[vec![1i64, 2, 3], vec![4], vec![5, 6]], 0, true);
    assert_eq!(padded.to_vec(), vec![1, 2, 3, 4, 0, 0, 5, 6, 0]);
    assert_eq!(lengths, [3, 1, 2]);
    let (time_major, _) = pad_sequences(&[vec![1i64, 2, 3], vec![4]], -1, false);
    assert_eq!(time_major.shape(), [3, 2]);
    assert_eq!(time_major.to_vec(), vec![1, 4, 2, -1, 3, -1]);
    let mask = sequence_mask::<f32>(&lengths, 3, true);
    assert_eq!(mask.to_vec(), vec![1.0, 1.0, 1.0, 1.0, 0.0, 0.0, 1.0, 1.0, 0.0]);
    let targets = mask_targets(&padded, &lengths, true, -100);
    assert_eq!(targets.to_vec(), vec![1, 2, 3, 4, -100, -100, 5, 6, -100]);
}

#[test]
fn stream_batches_continue_each_row_and_detach_cuts_the_graph() {
    let tokens: Vec<i64> = (0..103).collect();
    let batches: Vec<_> = StreamBatches::new(&tokens, 4, 5).collect();
    // 4 streams of 25 tokens: 4 batches of 5 steps (plus one target each).
    assert_eq!(batches.len(), 4);
    let (x0, y0) = &batches[0];
    let (x1, _) = &batches[1];
    assert_eq!(x0.to_vec()[..5], [0, 1, 2, 3, 4]);
    assert_eq!(y0.to_vec()[..5], [1, 2, 3, 4, 5]);
    assert_eq!(x1.to_vec()[..5], [5, 6, 7, 8, 9]);
    assert_eq!(x1.to_vec()[5..10], [30, 31, 32, 33, 34]);

    let mut rng = Rng::seed(4);
    let lstm = Lstm::<f64>::new(2, 3, &mut rng);
    let first = Variable::param(Tensor::randn([4, 2, 2], &mut rng));
    let (_, state) = lstm.forward_with_state(&first, None);
    let second = Variable::constant(Tensor::randn([4, 2, 2], &mut rng));
    let (out, _) = lstm.forward_with_state(&second, Some(&state.detach()));
    out.sum_all().backward();
    assert!(first.grad().is_none(), "a detached state must not carry gradients into the previous batch");
    let (out, _) = lstm.forward_with_state(&second, Some(&state));
    out.sum_all().backward();
    assert!(first.grad().is_some());
}

#[test]
fn the_language_model_learns_a_repeating_pattern_and_samples_it() {
    let mut rng = Rng::seed(5);
    let model = RecurrentLm::<f32>::new(CellKind::Lstm, 5, 8, 32, RecurrentOptions::default(), &mut rng);
    let corpus: Vec<i64> = (0..400).map(|i| [0, 1, 2, 3, 4, 3, 2, 1][i % 8]).collect();
    let mut opt =
        kindling_optim::Adam::new(model.parameters(), kindling_optim::AdamConfig { lr: 0.02, ..Default::default() });
    let mut losses = Vec::new();
    for _ in 0..60 {
        let (x, y) = random_windows(&corpus, 8, 16, &mut rng);
        kindling_optim::Optimizer::zero_grad(&opt);
        let (loss, _) = model.loss(&x, &y, None);
        loss.backward();
        kindling_optim::Optimizer::step(&mut opt);
        losses.push(loss.item());
    }
    assert!(losses[59] < 0.2 * losses[0], "loss went from {} to {}", losses[0], losses[59]);
    // Greedy decoding continues the pattern.
    let text = model.sample(&[0, 1, 2], 6, 0.0, &mut rng);
    assert_eq!(text, [0, 1, 2, 3, 4, 3, 2, 1, 0]);
    // Temperature 0 is the arg max; a high one spreads the draws.
    assert_eq!(draw(&[0.1, 2.0, -1.0], 0.0, &mut rng), 1);
    let spread: std::collections::HashSet<i64> = (0..200).map(|_| draw(&[0.1, 2.0, -1.0], 100.0, &mut rng)).collect();
    assert_eq!(spread.len(), 3);
}

/// Every message a mistake with a recurrent layer or its kernel gets: the op, and the shapes.
mod errors {
    use kindling_autograd::recurrent::{recurrent, CellKind, LayerWeights};
    use kindling_autograd::Variable;
    use kindling_sequence::{pad_sequences, sequence_mask, Lstm, RecurrentOptions, RecurrentState, Rnn};
    use kindling_tensor::{Rng, Tensor};

    fn param(shape: &[usize]) -> Variable<f32> {
        Variable::param(Tensor::zeros(shape))
    }

    fn run(kind: CellKind, x: &[usize], w_ih: &[usize], w_hh: &[usize], lengths: Option<&[usize]>) {
        let (w_ih, w_hh) = (param(w_ih), param(w_hh));
        let w = LayerWeights { w_ih: &w_ih, w_hh: &w_hh, b_ih: None, b_hh: None, w_hr: None };
        recurrent(kind, &param(x), None, None, w, lengths, false);
    }

    #[test]
    #[should_panic(
        expected = "recurrent: weight_ih of shape [7, 3] does not fit input of shape [4, 2, 3]: LSTM needs [4·hidden, 3]"
    )]
    fn weight_ih_must_hold_whole_gates() {
        run(CellKind::Lstm, &[4, 2, 3], &[7, 3], &[7, 1], None);
    }

    #[test]
    #[should_panic(
        expected = "recurrent: weight_hh of shape [15, 4] does not match weight_ih of shape [15, 3]: expected [15, 5]"
    )]
    fn weight_hh_must_match() {
        run(CellKind::Gru, &[4, 2, 3], &[15, 3], &[15, 4], None);
    }

    #[test]
    #[should_panic(expected = "recurrent: the input must be [steps, batch, features], got shape [2, 3]")]
    fn the_input_needs_three_axes() {
        run(CellKind::RnnTanh, &[2, 3], &[5, 3], &[5, 5], None);
    }

    #[test]
    #[should_panic(expected = "recurrent: the input of shape [0, 2, 3] has no time steps")]
    fn an_empty_sequence_is_refused() {
        run(CellKind::RnnTanh, &[0, 2, 3], &[5, 3], &[5, 5], None);
    }

    #[test]
    #[should_panic(expected = "recurrent: 3 lengths given for a batch of 2")]
    fn one_length_per_sequence() {
        run(CellKind::RnnTanh, &[4, 2, 3], &[5, 3], &[5, 5], Some(&[1, 2, 3]));
    }

    #[test]
    #[should_panic(expected = "recurrent: sequence 0 has length 0; lengths must be in 1..=4")]
    fn a_zero_length_is_refused() {
        run(CellKind::RnnTanh, &[4, 2, 3], &[5, 3], &[5, 5], Some(&[0, 2]));
    }

    #[test]
    #[should_panic(expected = "recurrent: only an LSTM has a cell state, but a GRU layer got c0")]
    fn only_an_lstm_takes_c0() {
        let (w_ih, w_hh, c0) = (param(&[6, 3]), param(&[6, 2]), param(&[1, 2]));
        let w = LayerWeights { w_ih: &w_ih, w_hh: &w_hh, b_ih: None, b_hh: None, w_hr: None };
        recurrent(CellKind::Gru, &param(&[2, 1, 3]), None, Some(&c0), w, None, false);
    }

    #[test]
    #[should_panic(expected = "recurrent: the initial hidden state h0 must be [1, 2], got shape [2, 2]")]
    fn h0_must_fit_the_batch() {
        let (w_ih, w_hh, h0) = (param(&[6, 3]), param(&[6, 2]), param(&[2, 2]));
        let w = LayerWeights { w_ih: &w_ih, w_hh: &w_hh, b_ih: None, b_hh: None, w_hr: None };
        recurrent(CellKind::Gru, &param(&[2, 1, 3]), Some(&h0), None, w, None, false);
    }

    #[test]
    #[should_panic(
        expected = "Lstm: the initial state h has shape [1, 3, 4], expected [2, 3, 4] (layers × directions, batch, width)"
    )]
    fn a_layer_state_must_cover_every_layer() {
        let lstm = Lstm::<f32>::with_options(2, 4, RecurrentOptions::default().num_layers(2), &mut Rng::seed(0));
        let state = RecurrentState { h: param(&[1, 3, 4]), c: Some(param(&[2, 3, 4])) };
        lstm.forward_with_state(&param(&[5, 3, 2]), Some(&state));
    }

    #[test]
    #[should_panic(expected = "Lstm: token id 9 is out of range for a table of 5 rows")]
    fn a_lookup_checks_its_ids() {
        let lstm = Lstm::<f32>::new(2, 4, &mut Rng::seed(0));
        lstm.forward_lookup(&param(&[5, 2]), &Tensor::from_vec(vec![1i64, 9], [2, 1]), None, None);
    }

    #[test]
    #[should_panic(expected = "Rnn: proj_size is an LSTM option (3 given)")]
    fn proj_size_is_for_lstms() {
        Rnn::<f32>::with_options(2, 4, RecurrentOptions::default().proj_size(3), &mut Rng::seed(0));
    }

    #[test]
    #[should_panic(expected = "LstmCell: input of shape [2, 5] must be [batch, 3]")]
    fn a_cell_checks_its_input() {
        kindling_sequence::LstmCell::<f32>::new(3, 4, &mut Rng::seed(0)).forward(&param(&[2, 5]), None);
    }

    #[test]
    #[should_panic(expected = "pad_sequences: sequence 1 is empty; every sequence needs at least one element")]
    fn padding_refuses_an_empty_sequence() {
        pad_sequences(&[vec![1i64], vec![]], 0, true);
    }

    #[test]
    #[should_panic(expected = "sequence_mask: a length of 6 does not fit 5 steps")]
    fn a_mask_refuses_a_long_length() {
        sequence_mask::<f32>(&[2, 6], 5, true);
    }
}
