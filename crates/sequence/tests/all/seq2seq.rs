//! Sequence to sequence: shapes, masked attention, the fused teacher-forced decoder against
//! step-by-step decoding, gradients, greedy and beam search, and a small real training run.

use kindling_autograd::gradcheck::GradCheck;
use kindling_autograd::{gradcheck, no_grad, Variable};
use kindling_data::synthetic::{string_task, StringTask, STRING_VOCAB};
use kindling_nn::Module;
use kindling_optim::{clip_grad_norm, Adam, AdamConfig, Optimizer};
use kindling_sequence::seq2seq::{
    beam_search, beam_search_with, greedy, length_penalty, masked_softmax, Attention, AttentionLayer, Seq2Seq,
    Seq2SeqBatch, Seq2SeqConfig, TeacherForcing,
};
use kindling_sequence::CellKind;
use kindling_tensor::{Rng, Tensor};

const ATTENTIONS: [Attention; 4] = [Attention::None, Attention::Additive, Attention::Multiplicative, Attention::Dot];

fn tiny(attention: Attention, cell: CellKind, bidirectional: bool, layers: usize) -> Seq2SeqConfig {
    Seq2SeqConfig::new(9)
        .embed(4)
        .hidden(3)
        .attention_dim(5)
        .attention(attention)
        .cell(cell)
        .bidirectional(bidirectional)
        .layers(layers)
}

fn toy_batch(config: &Seq2SeqConfig) -> Seq2SeqBatch {
    let sources = vec![vec![3, 4, 5, 6], vec![7, 8], vec![3, 3, 8]];
    let targets = vec![vec![6, 5], vec![8, 7, 4], vec![8]];
    Seq2SeqBatch::new(&sources, &targets, config)
}

fn max_diff(a: &Tensor<f64>, b: &Tensor<f64>) -> f64 {
    assert_eq!(a.shape(), b.shape());
    a.to_vec().iter().zip(b.to_vec()).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max)
}

#[test]
fn batch_layout_adds_bos_and_eos_and_marks_padding() {
    let config = Seq2SeqConfig::new(9);
    let b = toy_batch(&config);
    assert_eq!(b.sources.shape(), [3, 4]);
    assert_eq!(b.source_lengths, [4, 2, 3]);
    assert_eq!(b.decoder_inputs.to_vec(), [1, 6, 5, 0, 1, 8, 7, 4, 1, 8, 0, 0]);
    assert_eq!(b.targets.to_vec(), [6, 5, 2, -100, 8, 7, 4, 2, 8, 2, -100, -100]);
    assert_eq!(b.target_lengths, [3, 4, 2]);
}

#[test]
fn shapes_for_every_attention_cell_and_direction() {
    for attention in ATTENTIONS {
        for (cell, bi, layers) in [(CellKind::Gru, true, 1), (CellKind::Lstm, false, 2), (CellKind::Lstm, true, 2)] {
            let config = tiny(attention, cell, bi, layers);
            let model = Seq2Seq::<f64>::new(config.clone(), &mut Rng::seed(1));
            let (logits, weights) = model.forward(&toy_batch(&config));
            let s = if attention == Attention::None { 0 } else { 4 };
            assert_eq!(logits.shape(), [3, 4, 9], "{attention:?} {cell:?}");
            assert_eq!(weights.shape(), [3, 4, s], "{attention:?} {cell:?}");
        }
    }
}

#[test]
fn attention_weights_sum_to_one_and_are_exactly_zero_on_padding() {
    for attention in [Attention::Additive, Attention::Multiplicative, Attention::Dot] {
        let config = tiny(attention, CellKind::Gru, true, 1);
        let model = Seq2Seq::<f64>::new(config.clone(), &mut Rng::seed(2));
        let batch = toy_batch(&config);
        let w = model.forward(&batch).1.value();
        for (b, &len) in batch.source_lengths.iter().enumerate() {
            for t in 0..4 {
                let row: Vec<f64> = (0..4).map(|s| w.get(&[b, t, s])).collect();
                assert!((row.iter().sum::<f64>() - 1.0).abs() < 1e-12, "{attention:?}: row {row:?}");
                assert!(row[len..].iter().all(|&x| x == 0.0), "{attention:?}: padding weighted in {row:?}");
                assert!(row[..len].iter().all(|&x| x > 0.0), "{attention:?}: {row:?}");
            }
        }
    }
}

#[test]
fn masked_softmax_ignores_whatever_the_padding_scores_are() {
    let scores = Tensor::from_vec(vec![1.0, 2.0, 50.0, -3.0, 0.5, 0.0], [2, 1, 3]);
    let w = masked_softmax(&Variable::constant(scores), &[2, 3]).value().to_vec();
    let e = (1f64.exp(), 2f64.exp());
    assert!((w[0] - e.0 / (e.0 + e.1)).abs() < 1e-12 && w[2] == 0.0, "{w:?}");
    gradcheck("masked_softmax", &[Tensor::from_vec(vec![0.3, -0.2, 0.9, 0.1, 0.4, -0.7], [2, 1, 3])], |v| {
        masked_softmax(&v[0], &[1, 2])
    });
}

#[test]
fn the_fused_teacher_forced_decoder_equals_step_by_step_decoding() {
    for attention in [Attention::None, Attention::Multiplicative, Attention::Dot] {
        for (cell, bi, layers) in [(CellKind::Gru, true, 1), (CellKind::Lstm, true, 2), (CellKind::Gru, false, 2)] {
            let config = tiny(attention, cell, bi, layers);
            let model = Seq2Seq::<f64>::new(config.clone(), &mut Rng::seed(3));
            let batch = toy_batch(&config);
            let (fast, fast_w) = model.forward(&batch);
            let (slow, slow_w) = model.forward_stepwise(&batch, 1.0, &mut Rng::seed(0));
            let d = max_diff(&fast.value(), &slow.value()).max(max_diff(&fast_w.value(), &slow_w.value()));
            assert!(d < 1e-5, "{attention:?} {cell:?} layers {layers}: fast and step-by-step differ by {d}");
            // The gradients agree too.
            let grads = |logits: &Variable<f64>| {
                model.zero_grad();
                model.masked_loss(logits, &batch).backward();
                model.parameters().iter().map(|p| p.grad().map(|g| g.to_vec()).unwrap_or_default()).collect::<Vec<_>>()
            };
            let (a, b) = (grads(&fast), grads(&slow));
            for (ga, gb) in a.iter().zip(&b) {
                let d = ga.iter().zip(gb).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max);
                assert!(d < 1e-5, "{attention:?} {cell:?}: gradients differ by {d}");
            }
        }
    }
}

#[test]
fn attention_layers_pass_gradient_checks() {
    let mut rng = Rng::seed(4);
    for attention in [Attention::Additive, Attention::Multiplicative] {
        let layer = AttentionLayer::<f64>::new(attention, 3, 4, 5, &mut rng);
        let inputs = [Tensor::randn([2, 2, 3], &mut rng), Tensor::randn([2, 3, 4], &mut rng)];
        let params = layer.parameters();
        let q = Variable::param(inputs[0].clone());
        let k = Variable::param(inputs[1].clone());
        let mut leaves = vec![q.clone(), k.clone()];
        leaves.extend(params);
        let check = GradCheck::default().check_leaves(&format!("{attention:?} attention"), &leaves, || {
            let w = masked_softmax(&layer.scores(&q, &layer.project_keys(&k)), &[3, 2]);
            w.matmul(&k)
        });
        if let Err(failure) = check {
            panic!("{failure}");
        }
    }
}

#[test]
fn the_whole_model_passes_a_gradient_check_with_additive_attention() {
    let config = tiny(Attention::Additive, CellKind::Gru, true, 1);
    let model = Seq2Seq::<f64>::new(config.clone(), &mut Rng::seed(5));
    let batch = toy_batch(&config);
    let leaves = model.parameters();
    let check = GradCheck { max_elements: 8, directions: 1, ..GradCheck::default() };
    if let Err(failure) = check.check_leaves("seq2seq loss", &leaves, || model.forward(&batch).0) {
        panic!("{failure}");
    }
}

#[test]
fn teacher_forcing_schedules() {
    assert_eq!(TeacherForcing::Always.ratio(10_000), 1.0);
    assert_eq!(TeacherForcing::Constant(0.3).ratio(7), 0.3);
    let linear = TeacherForcing::Linear { start: 1.0, end: 0.2, steps: 100 };
    assert_eq!((linear.ratio(0), linear.ratio(50), linear.ratio(100), linear.ratio(500)), (1.0, 0.6, 0.2, 0.2));
    let exp = TeacherForcing::Exponential { k: 0.99 };
    assert!((exp.ratio(100) - 0.99f64.powi(100)).abs() < 1e-12);
    let sig = TeacherForcing::InverseSigmoid { k: 10.0 };
    assert!((sig.ratio(0) - 10.0 / 11.0).abs() < 1e-12);
    assert!((sig.ratio(50) - 10.0 / (10.0 + 5f64.exp())).abs() < 1e-12);
    assert!(sig.ratio(200) < 0.01);
}

#[test]
fn scheduled_sampling_feeds_the_model_its_own_predictions() {
    let config = tiny(Attention::Multiplicative, CellKind::Gru, true, 1);
    let model = Seq2Seq::<f64>::new(config.clone(), &mut Rng::seed(6));
    let batch = toy_batch(&config);
    let (forced, _) = model.forward(&batch);
    let (own, _) = model.forward_stepwise(&batch, 0.0, &mut Rng::seed(0));
    // The first step reads BOS either way; later steps read different tokens.
    let first = |x: &Variable<f64>| x.value().narrow(1, 0, 1).contiguous();
    assert!(max_diff(&first(&forced), &first(&own)) < 1e-12);
    assert!(max_diff(&forced.value(), &own.value()) > 1e-6);
    let loss = model.loss(&batch, 0.5, &mut Rng::seed(1));
    assert!(loss.item().is_finite());
}

#[test]
fn length_penalty_is_gnmts() {
    assert_eq!(length_penalty(1, 0.0), 1.0);
    assert!((length_penalty(1, 1.0) - 1.0).abs() < 1e-15);
    assert!((length_penalty(7, 0.6) - 2f64.powf(0.6)).abs() < 1e-12);
    assert!((length_penalty(13, 1.0) - 3.0).abs() < 1e-12);
}

#[test]
fn beam_one_equals_greedy_and_wider_beams_score_no_worse() {
    for attention in ATTENTIONS {
        let config = tiny(attention, CellKind::Lstm, true, 1);
        let model = Seq2Seq::<f64>::new(config, &mut Rng::seed(7));
        let sources = vec![vec![3, 4, 5, 6, 7], vec![8, 3], vec![4, 4, 4]];
        let g = greedy(&model, &sources, 6);
        let b1 = beam_search(&model, &sources, 1, 6, 0.0);
        let b4 = beam_search(&model, &sources, 4, 6, 0.0);
        for i in 0..sources.len() {
            assert_eq!(g[i].tokens, b1[i].tokens, "{attention:?} example {i}");
            assert_eq!(g[i].finished, b1[i].finished);
            assert!((g[i].log_prob - b1[i].log_prob).abs() < 1e-9);
            assert!(max_diff(&g[i].attention, &b1[i].attention) < 1e-12);
            let cols = if attention == Attention::None { 0 } else { sources[i].len() };
            let rows = g[i].tokens.len() + usize::from(g[i].finished);
            assert_eq!(g[i].attention.shape(), [rows, cols]);
            if attention != Attention::None {
                for r in 0..rows {
                    let s: f64 = (0..cols).map(|c| g[i].attention.get(&[r, c])).sum();
                    assert!((s - 1.0).abs() < 1e-9);
                }
            }
            if g[i].finished && b4[i].finished {
                assert!(b4[i].log_prob >= g[i].log_prob - 1e-9, "beam 4 found a worse finished output");
            }
        }
    }
}

/// A model with 4 tokens (0 = BOS, 1 = EOS, 2 = A, 3 = B): A first is likelier (0.6), but
/// every continuation of A is uncertain, while B is followed by EOS with 0.9.
fn toy_step(prefix: &[i64]) -> Vec<f64> {
    let p: [f64; 4] = match prefix {
        [] => [0.0, 0.0, 0.6, 0.4],
        [2] => [0.0, 0.3, 0.35, 0.35],
        [3] => [0.0, 0.9, 0.05, 0.05],
        _ => [0.0, 1.0, 0.0, 0.0],
    };
    p.iter().map(|x| x.ln()).collect()
}

fn toy_search(width: usize, alpha: f64) -> Vec<i64> {
    search_with(toy_step, width, alpha)
}

fn search_with(model: fn(&[i64]) -> Vec<f64>, width: usize, alpha: f64) -> Vec<i64> {
    let mut prefixes: Vec<Vec<i64>> = vec![Vec::new(); width];
    let hyp = beam_search_with(1, width, 5, alpha, 0, 1, |parents, tokens| {
        prefixes = parents
            .iter()
            .zip(tokens)
            .map(|(&p, &t)| if t == 0 { Vec::new() } else { [&prefixes[p][..], &[t]].concat() })
            .collect();
        (prefixes.iter().map(|p| model(p)).collect(), vec![Vec::new(); width])
    });
    hyp[0].tokens.clone()
}

#[test]
fn beam_search_finds_the_likelier_sequence_that_greedy_misses() {
    // Greedy: A (0.6) then EOS at best 0.3 or longer outputs → p(A EOS) = 0.18, p(A A EOS) = 0.21.
    // Beam 2 also keeps B and finds p(B EOS) = 0.36.
    let greedy_out = toy_search(1, 0.0);
    assert_eq!(greedy_out[0], 2, "greedy starts with A");
    assert_eq!(toy_search(2, 0.0), vec![3]);
}

/// A confident model whose likely output is A A A A EOS, with a small chance of ending early.
fn confident_step(prefix: &[i64]) -> Vec<f64> {
    let p: [f64; 5] = if prefix.len() < 4 { [0.0, 0.01, 0.97, 0.01, 0.01] } else { [0.0, 0.97, 0.01, 0.01, 0.01] };
    p.iter().map(|x| x.ln()).collect()
}

#[test]
fn early_endings_of_weak_beams_do_not_stop_the_search() {
    // Every step an EOS ranks among the top K; stopping after K finished hypotheses would
    // return a one- or two-token output. The search goes on while a live beam can still win.
    for width in [1, 2, 3] {
        for alpha in [0.0, 0.6, 1.0] {
            assert_eq!(search_with(confident_step, width, alpha), vec![2, 2, 2, 2], "width {width}, alpha {alpha}");
        }
    }
}

#[test]
fn a_real_model_learns_to_reverse_short_strings() {
    // Length-5 digit strings; a small GRU with Luong attention, full teacher forcing.
    let (train, test) = string_task(StringTask::Reverse, 4000, 200, 5, 5, 11);
    let config = Seq2SeqConfig::new(STRING_VOCAB).embed(16).hidden(32);
    let mut rng = Rng::seed(12);
    let model = Seq2Seq::<f32>::new(config.clone(), &mut rng);
    let mut opt = Adam::new(model.parameters(), AdamConfig { lr: 1e-2, ..Default::default() });
    let batch_size = 64;
    for step in 0..250 {
        let start = (step * batch_size) % (train.len() - batch_size);
        let batch = Seq2SeqBatch::new(
            &train.sources[start..start + batch_size],
            &train.targets[start..start + batch_size],
            &config,
        );
        opt.zero_grad();
        model.loss(&batch, 1.0, &mut rng).backward();
        clip_grad_norm(&model.parameters(), 1.0);
        opt.step();
    }
    let out = no_grad(|| greedy(&model, &test.sources, 8));
    let right = out.iter().zip(&test.targets).filter(|(o, t)| &o.tokens == *t && o.finished).count();
    let accuracy = right as f64 / test.len() as f64;
    assert!(accuracy >= 0.9, "exact match {accuracy} on held-out reversal of length 5");
}

#[test]
#[should_panic(expected = "Seq2SeqBatch::new: 2 sources and 1 targets")]
fn mismatched_batch_panics_with_the_counts() {
    let config = Seq2SeqConfig::new(9);
    Seq2SeqBatch::new(&[vec![3], vec![4]], &[vec![5]], &config);
}

#[test]
#[should_panic(expected = "masked_softmax: scores of shape [2, 1, 3] must be [batch, steps, source] with batch = 3")]
fn masked_softmax_panics_on_mismatched_lengths() {
    masked_softmax(&Variable::constant(Tensor::<f64>::zeros([2, 1, 3])), &[1, 2, 3]);
}

#[test]
#[should_panic(expected = "masked_softmax: a source length of 4 is outside 1..=3")]
fn masked_softmax_panics_on_a_length_past_the_end() {
    masked_softmax(&Variable::constant(Tensor::<f64>::zeros([1, 1, 3])), &[4]);
}

#[test]
#[should_panic(expected = "Seq2Seq::masked_loss: logits of shape [3, 2, 9] do not match targets [3, 4]")]
fn loss_panics_on_mismatched_logits() {
    let config = tiny(Attention::Dot, CellKind::Gru, true, 1);
    let model = Seq2Seq::<f64>::new(config.clone(), &mut Rng::seed(0));
    model.masked_loss(&Variable::constant(Tensor::zeros([3, 2, 9])), &toy_batch(&config));
}

#[test]
#[should_panic(expected = "greedy: token 12 is outside the vocabulary 0..9")]
fn decoding_panics_on_out_of_vocabulary_tokens() {
    let model = Seq2Seq::<f64>::new(tiny(Attention::Dot, CellKind::Gru, true, 1), &mut Rng::seed(0));
    greedy(&model, &[vec![3, 12]], 4);
}
