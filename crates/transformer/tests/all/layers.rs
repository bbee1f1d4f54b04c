//! The transformer layers beyond the PyTorch fixtures: names, defaults, dropout, train/eval,
//! masks, and gradient checks of whole layers.

use kindling_autograd::Variable;
use kindling_nn::{gradcheck_module, Forward, LayerNorm, Module};
use kindling_tensor::{assert_close, Rng, Tensor, Tolerance};
use kindling_transformer::layer::{
    Activation, AttentionMasks, FeedForward, TransformerDecoderLayer, TransformerEncoder, TransformerEncoderLayer,
};

fn randn(shape: &[usize], seed: u64) -> Variable<f64> {
    Variable::constant(Tensor::randn(shape.to_vec(), &mut Rng::seed(seed)))
}

fn names(m: &dyn Module<f64>) -> Vec<String> {
    m.named_parameters().into_iter().map(|(n, _)| n).collect()
}

#[test]
fn decoder_and_stack_use_pytorch_names() {
    let mut rng = Rng::seed(0);
    let dec = TransformerDecoderLayer::<f64>::new(4, 2, 8, &mut rng);
    let n = names(&dec);
    assert_eq!(n.len(), 18);
    assert_eq!(n[4], "multihead_attn.in_proj_weight");
    assert_eq!(n[8..12], ["linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias"]);
    assert_eq!(n[16..], ["norm3.weight", "norm3.bias"]);
    let layers = (0..3).map(|_| TransformerEncoderLayer::<f64>::new(4, 2, 8, &mut rng)).collect();
    let stack = TransformerEncoder::new(layers, Some(LayerNorm::new([4])));
    let n = names(&stack);
    assert_eq!(n.len(), 3 * 12 + 2);
    assert_eq!(n[12], "layers.1.self_attn.in_proj_weight");
    assert_eq!(n[36..], ["norm.weight", "norm.bias"]);
    // FeedForward alone names its two linears.
    assert_eq!(
        names(&FeedForward::<f64>::new(4, 8, &mut rng)),
        ["linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias"]
    );
}

#[test]
fn dropout_defaults_to_pytorch_and_stops_in_eval() {
    let layer = TransformerEncoderLayer::<f64>::new(8, 2, 16, &mut Rng::seed(1)).batch_first(true);
    let x = randn(&[2, 5, 8], 2);
    let (a, b) = (layer.call(&x).value(), layer.call(&x).value());
    assert!(a.to_vec() != b.to_vec(), "dropout 0.1 by default draws a new mask per call");
    layer.eval();
    let (c, d) = (layer.call(&x).value(), layer.call(&x).value());
    assert_close(&c, &d, Tolerance::STRICT);
    // With dropout(0.0) training equals evaluation.
    let no_drop = TransformerEncoderLayer::<f64>::new(8, 2, 16, &mut Rng::seed(1)).batch_first(true).dropout(0.0);
    assert_close(&no_drop.call(&x).value(), &c, Tolerance::STRICT);
}

#[test]
fn dropout_is_reproducible_from_the_seed() {
    let make = || TransformerEncoderLayer::<f64>::new(8, 2, 16, &mut Rng::seed(3)).batch_first(true).dropout(0.3);
    let x = randn(&[1, 4, 8], 4);
    assert_close(&make().call(&x).value(), &make().call(&x).value(), Tolerance::STRICT);
}

#[test]
fn key_padding_makes_padded_tokens_irrelevant() {
    let layer =
        TransformerEncoderLayer::<f64>::new(4, 2, 8, &mut Rng::seed(5)).batch_first(true).norm_first(true).dropout(0.0);
    let x = randn(&[1, 4, 4], 6);
    let mut other = x.value().to_vec();
    other[12..].iter_mut().for_each(|v| *v += 3.0); // change the padded last token
    let x2 = Variable::constant(Tensor::from_vec(other, [1, 4, 4]));
    let masks = AttentionMasks::key_padding(Tensor::from_vec(vec![false, false, false, true], [1, 4]));
    let (a, b) = (layer.encode(&x, &masks).value(), layer.encode(&x2, &masks).value());
    assert_close(&a.narrow(1, 0, 3), &b.narrow(1, 0, 3), Tolerance::STRICT);
    let w = layer.attention_weights(&x, &masks).value();
    assert_eq!(w.shape(), [1, 2, 4, 4]);
    assert!(w.to_vec().chunks(4).all(|row| row[3] == 0.0));
}

#[test]
fn a_causal_decoder_does_not_look_ahead() {
    let layer = TransformerDecoderLayer::<f64>::new(4, 2, 8, &mut Rng::seed(7)).batch_first(true).dropout(0.0);
    let (tgt, memory) = (randn(&[1, 3, 4], 8), randn(&[1, 5, 4], 9));
    let mut later = tgt.value().to_vec();
    later[8..].iter_mut().for_each(|v| *v -= 2.0);
    let tgt2 = Variable::constant(Tensor::from_vec(later, [1, 3, 4]));
    let (causal, none) = (AttentionMasks::causal(), AttentionMasks::none());
    let a = layer.decode(&tgt, &memory, &causal, &none).value();
    let b = layer.decode(&tgt2, &memory, &causal, &none).value();
    assert_close(&a.narrow(1, 0, 2), &b.narrow(1, 0, 2), Tolerance::STRICT);
}

#[test]
fn layers_pass_gradient_checks() {
    let mut rng = Rng::seed(10);
    let x = Tensor::randn([2, 3, 4], &mut Rng::seed(11));
    for norm_first in [false, true] {
        let layer = TransformerEncoderLayer::<f64>::new(4, 2, 6, &mut rng)
            .batch_first(true)
            .norm_first(norm_first)
            .activation(Activation::Gelu)
            .dropout(0.0);
        gradcheck_module("TransformerEncoderLayer", &layer, &x);
    }
}

#[test]
#[should_panic(expected = "TransformerEncoder: a stack needs at least one layer")]
fn an_empty_stack_is_refused() {
    TransformerEncoder::<f64>::new(vec![], None);
}
