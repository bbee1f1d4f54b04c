//! Attention as a recorded op: gradient checks in f64 of q, k and v under every mask kind, key
//! padding, dropout and a custom scale, on both kernel sets; the differentiable weights.

use kindling_autograd::attention::{attention_weights, scaled_dot_product_attention};
use kindling_autograd::{gradcheck, Variable};
use kindling_tensor::attention::{AttentionConfig, AttentionMask};
use kindling_tensor::{with_kernel_mode, KernelMode, Rng, Tensor};

fn randn(shape: &[usize], rng: &mut Rng) -> Tensor<f64> {
    Tensor::randn(shape, rng)
}

/// The configurations every check runs under, for [B, H, L, S] = [2, 2, l, s].
fn configs(l: usize, s: usize, rng: &mut Rng) -> Vec<(&'static str, AttentionConfig<f64>)> {
    let allow = Tensor::from_vec((0..l * s).map(|x| x % 3 != 1).collect(), [l, s]);
    // Some -inf entries (excluded keys), the rest finite biases.
    let additive = {
        let x = randn(&[2, 1, l, s], rng);
        Tensor::from_vec(
            x.to_vec().into_iter().map(|x| if x < -1.2 { f64::NEG_INFINITY } else { x }).collect(),
            x.shape(),
        )
    };
    let padding = Tensor::from_vec((0..2 * s).map(|x| x == s - 1 || x == s).collect(), [2, s]);
    vec![
        ("no mask", AttentionConfig::default()),
        ("causal", AttentionConfig::causal()),
        ("bool mask", AttentionConfig { mask: Some(AttentionMask::Bool(allow)), ..Default::default() }),
        ("additive mask", AttentionConfig { mask: Some(AttentionMask::Additive(additive)), ..Default::default() }),
        ("key padding + causal", AttentionConfig { key_padding: Some(padding), is_causal: true, ..Default::default() }),
        ("custom scale", AttentionConfig { scale: Some(0.7), ..Default::default() }),
        ("dropout", AttentionConfig { dropout: 0.3, seed: 11, ..Default::default() }),
    ]
}

#[test]
fn attention_gradients_pass_gradcheck_under_every_mask_and_both_kernel_sets() {
    let mut rng = Rng::seed(7);
    for (l, s) in [(3, 5), (4, 2)] {
        let (q, k, v) =
            (randn(&[2, 2, l, 3], &mut rng), randn(&[2, 2, s, 3], &mut rng), randn(&[2, 2, s, 2], &mut rng));
        for (name, cfg) in configs(l, s, &mut rng) {
            for mode in [KernelMode::Naive, KernelMode::Fast] {
                with_kernel_mode(mode, || {
                    let op = format!("attention {name} L={l} S={s} {mode:?}");
                    gradcheck(&op, &[q.clone(), k.clone(), v.clone()], |x| {
                        scaled_dot_product_attention(&x[0], &x[1], &x[2], &cfg)
                    });
                });
            }
        }
    }
}

#[test]
fn attention_weights_pass_gradcheck_under_every_mask() {
    let mut rng = Rng::seed(8);
    let (q, k) = (randn(&[2, 2, 4, 3], &mut rng), randn(&[2, 2, 5, 3], &mut rng));
    for (name, cfg) in configs(4, 5, &mut rng) {
        gradcheck(&format!("attention_weights {name}"), &[q.clone(), k.clone()], |x| {
            attention_weights(&x[0], &x[1], &cfg)
        });
    }
}

#[test]
fn a_query_with_every_key_masked_gets_zero_output_and_zero_gradients() {
    let allow = Tensor::from([[true, true], [false, false]]);
    let cfg = AttentionConfig { mask: Some(AttentionMask::Bool(allow)), ..Default::default() };
    for mode in [KernelMode::Naive, KernelMode::Fast] {
        with_kernel_mode(mode, || {
            let q = Variable::param(Tensor::from([[[0.3f64, -0.2], [1.0, 2.0]]]));
            let k = Variable::param(Tensor::from([[[0.5, 0.1], [-0.4, 0.9]]]));
            let v = Variable::param(Tensor::from([[[1.0, 2.0], [3.0, 4.0]]]));
            let out = scaled_dot_product_attention(&q, &k, &v, &cfg);
            assert_eq!(out.value().narrow(1, 1, 1).to_vec(), vec![0.0, 0.0], "{mode:?}");
            out.sum_all().backward();
            assert_eq!(q.grad().unwrap().narrow(1, 1, 1).to_vec(), vec![0.0, 0.0], "{mode:?}");
            assert!(q.grad().unwrap().to_vec().iter().all(|x| x.is_finite()));
        });
    }
}
