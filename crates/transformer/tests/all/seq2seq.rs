//! The encoder–decoder transformer as a sequence-to-sequence model: shapes, names, masks,
//! padding, decoding (greedy, beam search) and a copy task it must learn.

use kindling_autograd::Variable;
use kindling_nn::Module;
use kindling_tensor::{Rng, Tensor};
use kindling_transformer::layer::{TransformerDecoder, TransformerDecoderLayer};
use kindling_transformer::seq2seq::{
    train_pairs, PairBatch, Seq2SeqTransformer, Seq2SeqTransformerConfig, TrainOptions, Transformer, TransformerMasks,
};

const VOCAB: usize = 14;

fn tiny(dropout: f64) -> Seq2SeqTransformerConfig {
    Seq2SeqTransformerConfig::new(VOCAB).width(16, 2).layers(2, 2).feedforward(32).dropout(dropout).max_len(24)
}

fn model64(seed: u64) -> Seq2SeqTransformer<f64> {
    Seq2SeqTransformer::new(tiny(0.0), &mut Rng::seed(seed))
}

fn random_tokens(n: usize, len: usize, rng: &mut Rng) -> Vec<i64> {
    (0..n * len).map(|_| 3 + rng.below(11) as i64).collect()
}

#[test]
fn shapes_and_pytorch_style_names() {
    let model = model64(0);
    let mut rng = Rng::seed(1);
    let src = Tensor::from_vec(random_tokens(3, 5, &mut rng), [3, 5]);
    let tgt_in = Tensor::from_vec(random_tokens(3, 4, &mut rng), [3, 4]);
    assert_eq!(model.forward(&src, &tgt_in).shape(), [3, 4, VOCAB]);
    let names: Vec<String> = model.named_parameters().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names[0], "src_tok_emb.weight");
    assert_eq!(names[1], "tgt_tok_emb.weight");
    assert_eq!(names[2], "transformer.encoder.layers.0.self_attn.in_proj_weight");
    for name in ["transformer.encoder.norm.weight", "transformer.decoder.layers.1.multihead_attn.in_proj_weight"] {
        assert!(names.iter().any(|n| n == name), "{name} missing from {names:?}");
    }
    assert_eq!(&names[names.len() - 2..], ["generator.weight", "generator.bias"]);
    // nn.Transformer's defaults: sequence-first, and the same width in and out.
    let t = Transformer::<f32>::new(8, 2, 1, 1, 16, &mut rng);
    assert!(!t.is_batch_first());
    let src = Variable::constant(Tensor::randn([5, 3, 8], &mut rng));
    let tgt = Variable::constant(Tensor::randn([4, 3, 8], &mut rng));
    assert_eq!(t.forward(&src, &tgt, &TransformerMasks::default()).shape(), [4, 3, 8]);
}

#[test]
fn the_target_is_causal() {
    let model = model64(2);
    let mut rng = Rng::seed(3);
    let src = Tensor::from_vec(random_tokens(2, 6, &mut rng), [2, 6]);
    let mut tgt = random_tokens(2, 5, &mut rng);
    let before = model.forward(&src, &Tensor::from_vec(tgt.clone(), [2, 5])).value();
    tgt[3] = if tgt[3] == 3 { 4 } else { 3 }; // row 0, position 3
    let after = model.forward(&src, &Tensor::from_vec(tgt, [2, 5])).value();
    let (b, a) = (before.to_vec(), after.to_vec());
    let row = 5 * VOCAB;
    assert_eq!(b[..3 * VOCAB], a[..3 * VOCAB], "positions before the change must not move");
    assert_ne!(b[3 * VOCAB..row], a[3 * VOCAB..row], "the changed position must");
    assert_eq!(b[row..], a[row..], "the other sequence must not move");
}

#[test]
fn padding_a_source_does_not_change_its_outputs() {
    let model = model64(4);
    let mut rng = Rng::seed(5);
    let short = random_tokens(1, 4, &mut rng);
    let long = random_tokens(1, 9, &mut rng);
    let tgt = random_tokens(1, 3, &mut rng);
    let alone = model.forward(&Tensor::from_vec(short.clone(), [1, 4]), &Tensor::from_vec(tgt.clone(), [1, 3])).value();
    let batch = PairBatch::new(&[short.clone(), long], &[tgt.clone(), tgt.clone()], &model.config);
    assert_eq!(batch.src.shape(), [2, 9]);
    let tgt2 = Tensor::from_vec([tgt.clone(), tgt].concat(), [2, 3]);
    let padded = model.forward(&batch.src, &tgt2).value();
    let (a, p) = (alone.to_vec(), padded.to_vec());
    for (x, y) in a.iter().zip(&p[..3 * VOCAB]) {
        assert!((x - y).abs() < 1e-12, "padding moved a logit: {x} vs {y}");
    }
    // Decoding agrees too, whatever else is in the batch.
    let alone = model.greedy(std::slice::from_ref(&short), 6);
    assert_eq!(alone, model.greedy(&[short, random_tokens(1, 12, &mut rng)], 6)[..1]);
}

#[test]
fn batches_put_bos_and_eos_around_the_target() {
    let config = tiny(0.0);
    let batch = PairBatch::new(&[vec![5, 6, 7], vec![8]], &[vec![7, 6, 5], vec![9, 9]], &config);
    assert_eq!(batch.src.to_vec(), [5, 6, 7, 8, 0, 0]);
    assert_eq!(batch.tgt_in.to_vec(), [1, 7, 6, 5, 1, 9, 9, 0]);
    assert_eq!(batch.tgt_out.to_vec(), [7, 6, 5, 2, 9, 9, 2, 0]);
}

#[test]
fn beam_of_one_is_greedy() {
    let model = model64(6);
    let mut rng = Rng::seed(7);
    let sources: Vec<Vec<i64>> = (0..6).map(|i| random_tokens(1, 3 + i, &mut rng)).collect();
    let greedy = model.greedy_hypotheses(&sources, 10);
    let beam = model.beam_search_hypotheses(&sources, 1, 10, 0.0);
    for (g, b) in greedy.iter().zip(&beam) {
        assert_eq!(g.tokens, b.tokens);
        assert_eq!(g.finished, b.finished);
        assert!((g.log_prob - b.log_prob).abs() < 1e-9);
    }
    assert_eq!(model.beam_search(&sources, 1, 10, 0.0), model.greedy(&sources, 10));
}

/// An untrained model's next-token distributions are flat enough that the greedy first step
/// is often a trap; on this source a beam of 4 finds an output more likely than greedy's, and
/// both scores are what the model gives those outputs under teacher forcing.
#[test]
fn beam_search_beats_greedy_on_a_trap() {
    let model = model64(8);
    let mut rng = Rng::seed(9);
    let sources: Vec<Vec<i64>> = (0..8).map(|_| random_tokens(1, 5, &mut rng)).collect();
    let greedy = model.greedy_hypotheses(&sources, 4);
    let beam = model.beam_search_hypotheses(&sources, 4, 4, 0.0);
    let mut better = 0;
    for ((source, g), b) in sources.iter().zip(&greedy).zip(&beam) {
        if g.finished {
            assert!((g.log_prob - model.log_prob(source, &g.tokens)).abs() < 1e-9);
        }
        if b.finished {
            assert!((b.log_prob - model.log_prob(source, &b.tokens)).abs() < 1e-9);
        }
        assert!(b.log_prob >= g.log_prob - 1e-12, "beam {} lost to greedy {}", b.log_prob, g.log_prob);
        better += usize::from(b.log_prob > g.log_prob + 1e-6);
    }
    assert!(better >= 1, "beam search never beat greedy: {greedy:?} {beam:?}");
}

#[test]
fn a_tiny_copy_task_is_learned() {
    let config =
        Seq2SeqTransformerConfig::new(VOCAB).width(32, 4).layers(1, 1).feedforward(64).dropout(0.0).max_len(12);
    let model = Seq2SeqTransformer::<f32>::new(config, &mut Rng::seed(10));
    let mut rng = Rng::seed(11);
    let sources: Vec<Vec<i64>> = (0..2000).map(|i| random_tokens(1, 2 + i % 4, &mut rng)).collect();
    let options = TrainOptions { batch: 32, lr: 3e-3, warmup: 30, ..TrainOptions::new(300) };
    let log = train_pairs(&model, &sources, &sources, &options, |_, _| {});
    assert_eq!(log.steps, 300);
    let (first, last) = (log.losses[0].1, log.losses.last().unwrap().1);
    assert!(last < first / 5.0, "the loss fell only from {first} to {last}");
    let held_out: Vec<Vec<i64>> = (0..100).map(|i| random_tokens(1, 2 + i % 4, &mut rng)).collect();
    let out = model.greedy(&held_out, 8);
    let right = out.iter().zip(&held_out).filter(|(o, s)| o == s).count();
    assert!(right >= 90, "only {right} of 100 copies exact");
}

#[test]
fn the_learning_rate_warms_up_then_decays_to_a_tenth() {
    let options = TrainOptions { lr: 1e-3, warmup: 10, ..TrainOptions::new(200) };
    assert!((options.lr_at(0) - 1e-4).abs() < 1e-12);
    assert!((options.lr_at(9) - 1e-3).abs() < 1e-12);
    assert!((options.lr_at(199) - 1e-4).abs() < 1e-9);
}

#[test]
#[should_panic(expected = "Seq2SeqTransformer: source 1 is all padding")]
fn an_all_padding_source_is_refused() {
    let model = model64(0);
    model.forward(&Tensor::from_vec(vec![3, 4, 0, 0], [2, 2]), &Tensor::from_vec(vec![1, 1], [2, 1]));
}

#[test]
#[should_panic(
    expected = "Seq2SeqTransformer::greedy: max_len 30 needs 31 decoder positions, more than the position table's 24"
)]
fn decoding_past_the_position_table_is_refused() {
    model64(0).greedy(&[vec![3, 4]], 30);
}

#[test]
#[should_panic(expected = "Seq2SeqTransformer::encode: token id 14 is outside the vocabulary 0..14")]
fn tokens_outside_the_vocabulary_are_refused() {
    model64(0).forward(&Tensor::from_vec(vec![3, 14], [1, 2]), &Tensor::from_vec(vec![1], [1, 1]));
}

#[test]
#[should_panic(expected = "Transformer::forward: src [2, 5, 8] and tgt [3, 4, 8] have different batch sizes")]
fn transformer_batches_must_agree() {
    let mut rng = Rng::seed(0);
    let t = Transformer::<f32>::new(8, 2, 1, 1, 16, &mut rng).batch_first(true);
    let src = Variable::constant(Tensor::randn([2, 5, 8], &mut rng));
    let tgt = Variable::constant(Tensor::randn([3, 4, 8], &mut rng));
    t.forward(&src, &tgt, &TransformerMasks::default());
}

#[test]
#[should_panic(expected = "Transformer::encode: src of shape [2, 5, 6] must be")]
fn transformer_width_must_agree() {
    let mut rng = Rng::seed(0);
    let t = Transformer::<f32>::new(8, 2, 1, 1, 16, &mut rng);
    t.encode(&Variable::constant(Tensor::randn([2, 5, 6], &mut rng)), &Default::default());
}

#[test]
#[should_panic(expected = "TransformerDecoder: a stack needs at least one layer")]
fn an_empty_decoder_stack_is_refused() {
    let _ = TransformerDecoder::<f32>::new(Vec::<TransformerDecoderLayer<f32>>::new(), None);
}

#[test]
#[should_panic(expected = "PairBatch::new: 2 sources for 1 targets")]
fn pair_batches_need_a_target_per_source() {
    PairBatch::new(&[vec![3], vec![4]], &[vec![3]], &tiny(0.0));
}
