//! MultiheadAttention beyond the PyTorch fixtures: initialisation, layouts, unbatched inputs,
//! dropout, gradient checks and the messages of its shape errors.

use kindling_autograd::Variable;
use kindling_nn::{gradcheck_module, Forward, Module};
use kindling_tensor::{assert_close, Rng, Tensor, Tolerance};
use kindling_transformer::attention::{MhaMask, MhaOptions, MultiheadAttention};

fn randn(shape: &[usize], seed: u64) -> Variable<f64> {
    Variable::constant(Tensor::randn(shape.to_vec(), &mut Rng::seed(seed)))
}

#[test]
fn initialised_as_pytorch() {
    let mha = MultiheadAttention::<f64>::new(8, 2, &mut Rng::seed(0));
    let names: Vec<String> = mha.named_parameters().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["in_proj_weight", "in_proj_bias", "out_proj.weight", "out_proj.bias"]);
    assert_eq!(mha.in_proj_weight.shape(), [24, 8]);
    // Xavier-uniform on [3E, E]: bound √(6 / (E + 3E)) = √(6/32).
    let bound = (6.0f64 / 32.0).sqrt();
    let w = mha.in_proj_weight.value().to_vec();
    assert!(w.iter().all(|x| x.abs() <= bound));
    assert!(w.iter().any(|x| x.abs() > 0.8 * bound), "the weights fill the range");
    assert!(mha.in_proj_bias.as_ref().unwrap().value().to_vec().iter().all(|&b| b == 0.0));
    assert!(mha.out_proj.bias.as_ref().unwrap().value().to_vec().iter().all(|&b| b == 0.0));
    let plain = MultiheadAttention::<f64>::new(8, 2, &mut Rng::seed(0)).bias(false);
    assert_eq!(plain.num_parameters(), 3 * 64 + 64);
    assert_eq!((mha.head_dim(), mha.num_heads(), mha.embed_dim()), (4, 2, 8));
}

#[test]
fn batch_first_and_sequence_first_agree() {
    let a = MultiheadAttention::<f64>::new(6, 3, &mut Rng::seed(1));
    let b = MultiheadAttention::<f64>::new(6, 3, &mut Rng::seed(1)).batch_first(true);
    let x = randn(&[2, 4, 6], 2); // [B, T, E]
    let (yb, wb) = b.forward(&x, &x, &x, &MhaOptions::default());
    let xs = x.transpose(0, 1);
    let (ys, ws) = a.forward(&xs, &xs, &xs, &MhaOptions::default());
    assert_close(&ys.transpose(0, 1).value(), &yb.value(), Tolerance::STRICT);
    // The weights are batch-first whatever the layout.
    assert_close(&ws.unwrap().value(), &wb.unwrap().value(), Tolerance::STRICT);
}

#[test]
fn an_unbatched_input_is_a_batch_of_one() {
    let mha = MultiheadAttention::<f64>::new(4, 2, &mut Rng::seed(3)).batch_first(true);
    let (q, kv) = (randn(&[3, 4], 4), randn(&[5, 4], 5));
    let opts = MhaOptions {
        key_padding_mask: Some(Tensor::from_vec(vec![false, false, true, false, true], [5])),
        ..MhaOptions::default()
    };
    let (y, w) = mha.forward(&q, &kv, &kv, &opts);
    let batched =
        MhaOptions { key_padding_mask: opts.key_padding_mask.clone().map(|m| m.unsqueeze(0)), ..MhaOptions::default() };
    let (yb, wb) = mha.forward(&q.unsqueeze(0), &kv.unsqueeze(0), &kv.unsqueeze(0), &batched);
    assert_eq!(y.shape(), [3, 4]);
    assert_close(&y.value(), &yb.value().squeeze(0), Tolerance::STRICT);
    let w = w.unwrap().value();
    assert_close(&w, &wb.unwrap().value().squeeze(0), Tolerance::STRICT);
    // Padding keys get no weight; each row sums to one.
    assert!(w
        .to_vec()
        .chunks(5)
        .all(|row| row[2] == 0.0 && row[4] == 0.0 && (row.iter().sum::<f64>() - 1.0).abs() < 1e-12));
}

#[test]
fn causal_flag_equals_the_causal_bool_mask() {
    let mha = MultiheadAttention::<f64>::new(4, 2, &mut Rng::seed(6)).batch_first(true);
    let x = randn(&[2, 5, 4], 7);
    let upper: Vec<bool> = (0..25).map(|ij| ij % 5 > ij / 5).collect();
    let masked =
        MhaOptions { attn_mask: Some(MhaMask::Bool(Tensor::from_vec(upper, [5, 5]))), ..MhaOptions::default() };
    let causal = MhaOptions { is_causal: true, ..MhaOptions::default() };
    let (ym, wm) = mha.forward(&x, &x, &x, &masked);
    let (yc, wc) = mha.forward(&x, &x, &x, &causal);
    assert_close(&yc.value(), &ym.value(), Tolerance::STRICT);
    let w = wc.unwrap().value();
    assert_close(&w, &wm.unwrap().value(), Tolerance::STRICT);
    // The first token sees only itself.
    assert_eq!(w.select(1, 0).to_vec()[..5], [1.0, 0.0, 0.0, 0.0, 0.0]);
    // A later token cannot change an earlier output.
    let mut changed = x.value().to_vec();
    changed[4 * 4] += 1.0; // batch 0, token 4
    let x2 = Variable::constant(Tensor::from_vec(changed, [2, 5, 4]));
    let (y2, _) = mha.forward(&x2, &x2, &x2, &causal);
    assert_close(&y2.value().narrow(1, 0, 4), &yc.value().narrow(1, 0, 4), Tolerance::STRICT);
}

#[test]
fn dropout_acts_in_training_only() {
    let mha = MultiheadAttention::<f64>::new(4, 2, &mut Rng::seed(8)).batch_first(true).dropout(0.5);
    let x = randn(&[2, 6, 4], 9);
    let (a, _) = mha.forward(&x, &x, &x, &MhaOptions::output_only());
    let (b, _) = mha.forward(&x, &x, &x, &MhaOptions::output_only());
    assert!(a.value().to_vec() != b.value().to_vec(), "two training calls draw different masks");
    mha.eval();
    let (c, _) = mha.forward(&x, &x, &x, &MhaOptions::output_only());
    let plain = MultiheadAttention::<f64>::new(4, 2, &mut Rng::seed(8)).batch_first(true);
    assert_close(&c.value(), &plain.call(&x).value(), Tolerance::STRICT);
}

#[test]
fn self_attention_gradients_check_out() {
    let mha = MultiheadAttention::<f64>::new(4, 2, &mut Rng::seed(10)).batch_first(true);
    gradcheck_module("MultiheadAttention", &mha, &Tensor::randn([2, 3, 4], &mut Rng::seed(11)));
}

#[test]
#[should_panic(expected = "MultiheadAttention: embed_dim 6 is not divisible by num_heads 4")]
fn heads_must_divide_the_width() {
    MultiheadAttention::<f64>::new(6, 4, &mut Rng::seed(0));
}

#[test]
#[should_panic(
    expected = "MultiheadAttention: inputs must end in embed_dim = 4, got query [3, 2, 5], key [3, 2, 5], value [3, 2, 5]"
)]
fn rejects_a_wrong_width() {
    let mha = MultiheadAttention::<f64>::new(4, 2, &mut Rng::seed(0));
    let x = randn(&[3, 2, 5], 1);
    mha.forward(&x, &x, &x, &MhaOptions::default());
}

#[test]
#[should_panic(
    expected = "MultiheadAttention: key and value must have the same shape and the batch size of the query, got query [3, 2, 4], key [5, 3, 4], value [5, 3, 4]"
)]
fn rejects_a_batch_mismatch() {
    let mha = MultiheadAttention::<f64>::new(4, 2, &mut Rng::seed(0));
    let (q, kv) = (randn(&[3, 2, 4], 1), randn(&[5, 3, 4], 2));
    mha.forward(&q, &kv, &kv, &MhaOptions::default());
}

#[test]
#[should_panic(
    expected = "MultiheadAttention: inputs must all be 3-D (batched) or all 2-D (unbatched), got query [3, 4], key [1, 3, 4]"
)]
fn rejects_mixed_ranks() {
    let mha = MultiheadAttention::<f64>::new(4, 2, &mut Rng::seed(0));
    let (q, kv) = (randn(&[3, 4], 1), randn(&[1, 3, 4], 2));
    mha.forward(&q, &kv, &kv, &MhaOptions::default());
}

#[test]
#[should_panic(
    expected = "MultiheadAttention: attn_mask of shape [3, 3] must be [L, S] = [3, 5] or [B·num_heads, L, S] = [4, 3, 5]"
)]
fn rejects_a_mask_of_the_wrong_shape() {
    let mha = MultiheadAttention::<f64>::new(4, 2, &mut Rng::seed(0)).batch_first(true);
    let (q, kv) = (randn(&[2, 3, 4], 1), randn(&[2, 5, 4], 2));
    let opts = MhaOptions {
        attn_mask: Some(MhaMask::Bool(Tensor::from_vec(vec![false; 9], [3, 3]))),
        ..MhaOptions::default()
    };
    mha.forward(&q, &kv, &kv, &opts);
}

#[test]
#[should_panic(expected = "MultiheadAttention: key_padding_mask of shape [5, 2] must be [B, S] = [2, 5]")]
fn rejects_a_transposed_key_padding_mask() {
    let mha = MultiheadAttention::<f64>::new(4, 2, &mut Rng::seed(0)).batch_first(true);
    let (q, kv) = (randn(&[2, 3, 4], 1), randn(&[2, 5, 4], 2));
    let opts =
        MhaOptions { key_padding_mask: Some(Tensor::from_vec(vec![false; 10], [5, 2])), ..MhaOptions::default() };
    mha.forward(&q, &kv, &kv, &opts);
}

#[test]
fn cross_attention_with_masks_passes_gradient_checks() {
    let mha = MultiheadAttention::<f64>::new(4, 2, &mut Rng::seed(12)).batch_first(true);
    let mut rng = Rng::seed(13);
    let (q, k, v) =
        (Tensor::randn([2, 3, 4], &mut rng), Tensor::randn([2, 5, 4], &mut rng), Tensor::randn([2, 5, 4], &mut rng));
    let opts = MhaOptions {
        key_padding_mask: Some(Tensor::from_vec(
            vec![false, false, false, false, true, false, false, true, true, false],
            [2, 5],
        )),
        attn_mask: Some(MhaMask::Additive(Tensor::randn([3, 5], &mut rng))),
        is_causal: true,
        ..MhaOptions::default()
    };
    kindling_autograd::gradcheck::gradcheck("MultiheadAttention (cross, masked, with weights)", &[q, k, v], |x| {
        let (out, weights) = mha.forward(&x[0], &x[1], &x[2], &opts);
        &out.sum_all() + &weights.expect("weights").square().sum_all()
    });
}
