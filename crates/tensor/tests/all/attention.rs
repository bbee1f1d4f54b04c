//! The attention family: the fast (tiled, online-softmax) kernels against the naive ones at
//! sizes that are not multiples of the tiles or the SIMD width, L ≠ S both ways, every mask
//! kind, key padding, dropout, a custom scale, strided and broadcast inputs, f32 and f64,
//! forward and backward; PyTorch's semantics on small hand-checked cases; the course fixture
//! #33; the shape errors.

use kindling_tensor::attention::{
    attention_weights, backward, dropout_keep, forward, AttentionConfig, AttentionForward, AttentionMask,
};
use kindling_tensor::testing::check_close;
use kindling_tensor::{with_kernel_mode, DType, Float, KernelMode, Rng, Tensor, Tolerance};

fn tol<T: Float>() -> Tolerance {
    match T::DTYPE {
        DType::F64 => Tolerance::new(1e-10, 1e-10),
        _ => Tolerance::new(2e-5, 2e-5),
    }
}

/// Forward and backward on both kernel sets; fast compared with naive.
fn compare<T: Float>(what: &str, q: &Tensor<T>, k: &Tensor<T>, v: &Tensor<T>, cfg: &AttentionConfig<T>) {
    let run = |mode| {
        with_kernel_mode(mode, || {
            let fwd = forward(q, k, v, cfg);
            let d_out = Tensor::<T>::randn(fwd.out.shape(), &mut Rng::seed(99));
            let grads = backward(q, k, v, cfg, &fwd, &d_out);
            (fwd, grads)
        })
    };
    let (naive, naive_grads) = run(KernelMode::Naive);
    let (fast, fast_grads) = run(KernelMode::Fast);
    let tol = tol::<T>();
    check_close(&format!("{what}: output"), &fast.out, &naive.out, tol);
    check_close(&format!("{what}: lse"), &fast.lse, &naive.lse, tol);
    check_close(&format!("{what}: dq"), &fast_grads.q, &naive_grads.q, tol);
    check_close(&format!("{what}: dk"), &fast_grads.k, &naive_grads.k, tol);
    check_close(&format!("{what}: dv"), &fast_grads.v, &naive_grads.v, tol);
    // Either backward kernel accepts either forward's saved state.
    let mixed = with_kernel_mode(KernelMode::Fast, || {
        let d_out = Tensor::<T>::randn(naive.out.shape(), &mut Rng::seed(99));
        backward(q, k, v, cfg, &AttentionForward { out: naive.out.clone(), lse: naive.lse.clone() }, &d_out)
    });
    check_close(&format!("{what}: dq from the naive forward"), &mixed.q, &naive_grads.q, tol);
}

fn bool_tensor(shape: &[usize], rng: &mut Rng, p_true: f64) -> Tensor<bool> {
    let n = shape.iter().product::<usize>();
    Tensor::from_vec((0..n).map(|_| rng.uniform_f64() < p_true).collect(), shape)
}

/// Every configuration for leading axes [b, h] and sizes l, s.
fn configs<T: Float>(b: usize, h: usize, l: usize, s: usize, rng: &mut Rng) -> Vec<(&'static str, AttentionConfig<T>)> {
    let additive = {
        let x = Tensor::<T>::randn([h, l, s], rng);
        let v = x.to_vec().into_iter().map(|x| if x.to_f64() < -1.5 { T::NEG_INFINITY } else { x }).collect();
        Tensor::from_vec(v, [h, l, s])
    };
    vec![
        ("no mask", AttentionConfig::default()),
        ("causal", AttentionConfig::causal()),
        (
            "bool mask [L, S]",
            AttentionConfig { mask: Some(AttentionMask::Bool(bool_tensor(&[l, s], rng, 0.7))), ..Default::default() },
        ),
        (
            "bool mask [B, H, L, S] + causal",
            AttentionConfig {
                mask: Some(AttentionMask::Bool(bool_tensor(&[b, h, l, s], rng, 0.8))),
                is_causal: true,
                ..Default::default()
            },
        ),
        (
            "additive mask [H, L, S]",
            AttentionConfig { mask: Some(AttentionMask::Additive(additive)), ..Default::default() },
        ),
        ("key padding", AttentionConfig { key_padding: Some(bool_tensor(&[b, s], rng, 0.3)), ..Default::default() }),
        ("custom scale + causal", AttentionConfig { scale: Some(0.37), is_causal: true, ..Default::default() }),
        ("dropout", AttentionConfig { dropout: 0.25, seed: 5, ..Default::default() }),
        (
            "dropout + causal + padding",
            AttentionConfig {
                dropout: 0.5,
                seed: 6,
                is_causal: true,
                key_padding: Some(bool_tensor(&[b, s], rng, 0.2)),
                ..Default::default()
            },
        ),
    ]
}

fn grid<T: Float>() {
    let mut rng = Rng::seed(1);
    // (L, S, E, Ev): 1, 7, 33, 63, 65, 97 cut the 32-row and 64-key tiles and the SIMD lanes.
    for (l, s, e, ev) in
        [(1, 1, 1, 1), (7, 5, 3, 4), (5, 70, 17, 9), (65, 33, 8, 33), (97, 130, 5, 2), (63, 63, 32, 32)]
    {
        let (b, h) = (2, 3);
        let q = Tensor::<T>::randn([b, h, l, e], &mut rng);
        let k = Tensor::<T>::randn([b, h, s, e], &mut rng);
        let v = Tensor::<T>::randn([b, h, s, ev], &mut rng);
        for (name, cfg) in configs::<T>(b, h, l, s, &mut rng) {
            compare(&format!("{} L={l} S={s} E={e} Ev={ev} {name}", T::DTYPE), &q, &k, &v, &cfg);
        }
    }
}

#[test]
fn fast_matches_naive_f32() {
    grid::<f32>();
}

#[test]
fn fast_matches_naive_f64() {
    grid::<f64>();
}

/// q, k, v as the GPT makes them: views of one [B, T, 3·H·D] projection, [B, H, T, D].
fn gpt_views<T: Float>(b: usize, h: usize, t: usize, d: usize, rng: &mut Rng) -> [Tensor<T>; 3] {
    let qkv = Tensor::<T>::randn([b, t, 3 * h * d], rng);
    let parts = qkv.split(h * d, 2);
    [0, 1, 2].map(|i| parts[i].reshape(&[b, t, h, d][..]).transpose(1, 2))
}

#[test]
fn strided_views_match_dense_copies_and_naive() {
    let mut rng = Rng::seed(2);
    let [q, k, v] = gpt_views::<f32>(3, 2, 37, 8, &mut rng);
    assert!(!q.is_contiguous());
    let cfg = AttentionConfig::causal();
    compare("GPT views", &q, &k, &v, &cfg);
    let dense = forward(&q.contiguous(), &k.contiguous(), &v.contiguous(), &cfg);
    let viewed = forward(&q, &k, &v, &cfg);
    check_close("views vs dense", &viewed.out, &dense.out, Tolerance::STRICT);
    // Columns not adjacent (the last axis transposed): the fast path copies them once.
    let e_first = Tensor::<f64>::randn([2, 6, 11], &mut rng).transpose(1, 2); // [2, 11, 6]
    let k2 = Tensor::<f64>::randn([2, 9, 6], &mut rng);
    let v2 = Tensor::<f64>::randn([2, 6, 9], &mut rng).transpose(1, 2);
    compare("transposed last axes", &e_first, &k2, &v2, &AttentionConfig::causal());
}

#[test]
fn fast_matches_naive_above_the_threading_threshold() {
    let mut rng = Rng::seed(3);
    let [q, k, v] = gpt_views::<f32>(4, 4, 64, 32, &mut rng);
    compare("GPT shape, causal", &q, &k, &v, &AttentionConfig::causal());
    let cfg = AttentionConfig { dropout: 0.1, seed: 9, is_causal: true, ..Default::default() };
    compare("GPT shape, causal, dropout", &q, &k, &v, &cfg);
}

#[test]
fn rank_3_inputs_and_a_single_query() {
    let mut rng = Rng::seed(4);
    let q = Tensor::<f64>::randn([5, 1, 4], &mut rng);
    let k = Tensor::<f64>::randn([5, 100, 4], &mut rng);
    let v = Tensor::<f64>::randn([5, 100, 3], &mut rng);
    compare("one query, 100 keys", &q, &k, &v, &AttentionConfig::default());
    // is_causal with L = 1 < S: top-left aligned, the query sees key 0 only.
    let out = q.scaled_dot_product_attention(&k, &v, &AttentionConfig::causal());
    check_close("causal L=1", &out, &v.narrow(1, 0, 1).contiguous(), Tolerance::STRICT);
}

#[test]
fn causal_is_top_left_aligned_when_lengths_differ() {
    let mut rng = Rng::seed(5);
    for (l, s) in [(3, 6), (6, 3)] {
        let q = Tensor::<f64>::randn([1, l, 4], &mut rng);
        let k = Tensor::<f64>::randn([1, s, 4], &mut rng);
        let tril = Tensor::from_vec((0..l * s).map(|x| x % s <= x / s).collect(), [l, s]);
        let by_flag = attention_weights(&q, &k, &AttentionConfig::causal());
        let by_mask =
            attention_weights(&q, &k, &AttentionConfig { mask: Some(AttentionMask::Bool(tril)), ..Default::default() });
        check_close(&format!("causal L={l} S={s}"), &by_flag, &by_mask, Tolerance::STRICT);
        // Query i attends to exactly keys 0..=i (those that exist).
        for i in 0..l {
            let row = by_flag.select(1, i).to_vec();
            assert!(row.iter().enumerate().all(|(j, &w)| (w > 0.0) == (j <= i)), "L={l} S={s} row {i}: {row:?}");
        }
    }
}

#[test]
fn course_fixture_33_causal_weights() {
    let mut rng = Rng::seed(33);
    let n = 6;
    let q = Tensor::<f64>::randn([n, 8], &mut rng);
    let k = Tensor::<f64>::randn([n, 8], &mut rng);
    let w = attention_weights(&q, &k, &AttentionConfig::causal());
    for i in 0..n {
        let row = w.select(0, i).to_vec();
        let visible: f64 = row[..=i].iter().sum();
        assert!((visible - 1.0).abs() < 1e-12, "row {i} sums to {visible} over j <= i");
        assert!(row[i + 1..].iter().all(|&x| x == 0.0), "row {i} has weight after the diagonal: {row:?}");
    }
    let first = w.select(0, 0).to_vec();
    assert_eq!(first[0], 1.0);
    assert!(first[1..].iter().all(|&x| x == 0.0));
}

#[test]
fn masks_follow_pytorch_conventions() {
    let mut rng = Rng::seed(6);
    let q = Tensor::<f64>::randn([2, 2, 3, 4], &mut rng);
    let k = Tensor::<f64>::randn([2, 2, 5, 4], &mut rng);
    let v = Tensor::<f64>::randn([2, 2, 5, 2], &mut rng);
    // Bool true = attend is the same as additive 0 / -inf.
    let allow = bool_tensor(&[3, 5], &mut rng, 0.6);
    let additive =
        Tensor::from_vec(allow.to_vec().iter().map(|&a| if a { 0.0 } else { f64::NEG_INFINITY }).collect(), [3, 5]);
    let by_bool = q.scaled_dot_product_attention(
        &k,
        &v,
        &AttentionConfig { mask: Some(AttentionMask::Bool(allow)), ..Default::default() },
    );
    let by_add = q.scaled_dot_product_attention(
        &k,
        &v,
        &AttentionConfig { mask: Some(AttentionMask::Additive(additive)), ..Default::default() },
    );
    check_close("bool vs additive", &by_bool, &by_add, Tolerance::STRICT);
    // Key padding [B, S] true = excluded, the same for every head: a [B, 1, 1, S] bool mask.
    let pad = Tensor::from([[false, false, true, false, true], [true, false, false, false, false]]);
    let as_mask = Tensor::from_vec(pad.to_vec().iter().map(|&p| !p).collect(), [2, 1, 1, 5]);
    let by_pad =
        q.scaled_dot_product_attention(&k, &v, &AttentionConfig { key_padding: Some(pad), ..Default::default() });
    let by_mask = q.scaled_dot_product_attention(
        &k,
        &v,
        &AttentionConfig { mask: Some(AttentionMask::Bool(as_mask)), ..Default::default() },
    );
    check_close("key padding vs mask", &by_pad, &by_mask, Tolerance::STRICT);
    // The default scale is 1/√E; a custom one replaces it.
    let default = q.scaled_dot_product_attention(&k, &v, &AttentionConfig::default());
    let custom = q.scaled_dot_product_attention(&k, &v, &AttentionConfig { scale: Some(0.5), ..Default::default() });
    check_close("scale 1/√4", &custom, &default, Tolerance::STRICT);
}

#[test]
fn dropout_keeps_about_1_minus_p_and_scales_the_kept_weights() {
    let (p, seed) = (0.3, 17);
    let kept =
        (0..200).flat_map(|i| (0..200).map(move |j| (i, j))).filter(|&(i, j)| dropout_keep(seed, p, 3, i, j)).count();
    let rate = kept as f64 / 40_000.0;
    assert!((rate - 0.7).abs() < 0.01, "kept {rate}");
    assert_ne!(
        (0..64).map(|j| dropout_keep(seed, p, 0, 0, j)).collect::<Vec<_>>(),
        (0..64).map(|j| dropout_keep(seed + 1, p, 0, 0, j)).collect::<Vec<_>>(),
        "another seed, another mask"
    );
    let mut rng = Rng::seed(7);
    let q = Tensor::<f64>::randn([1, 4, 3], &mut rng);
    let k = Tensor::<f64>::randn([1, 6, 3], &mut rng);
    let plain = attention_weights(&q, &k, &AttentionConfig::default());
    let dropped = attention_weights(&q, &k, &AttentionConfig { dropout: p, seed, ..Default::default() });
    for i in 0..4 {
        for j in 0..6 {
            let want = if dropout_keep(seed, p, 0, i, j) { plain.get(&[0, i, j]) / (1.0 - p) } else { 0.0 };
            assert!((dropped.get(&[0, i, j]) - want).abs() < 1e-15, "({i}, {j})");
        }
    }
}

#[test]
fn a_fully_masked_query_gives_zeros() {
    let q = Tensor::<f32>::from([[[1.0f32, 0.5], [0.2, 0.1]]]);
    let k = Tensor::<f32>::from([[[0.3f32, 0.4], [0.5, 0.6]]]);
    let v = Tensor::<f32>::from([[[1.0f32], [2.0]]]);
    let allow = Tensor::from([[true, false], [false, false]]);
    for mode in [KernelMode::Naive, KernelMode::Fast] {
        let cfg = AttentionConfig { mask: Some(AttentionMask::Bool(allow.clone())), ..Default::default() };
        let out = with_kernel_mode(mode, || q.scaled_dot_product_attention(&k, &v, &cfg));
        assert_eq!(out.to_vec(), vec![1.0, 0.0], "{mode:?}");
    }
}

#[test]
#[should_panic(
    expected = "scaled_dot_product_attention: q and k must have the same feature size E ([*, L, E] and [*, S, E]), got q [2, 3, 4], k [2, 5, 6], v [2, 5, 2]"
)]
fn feature_sizes_must_agree() {
    let t = |s: &[usize]| Tensor::<f32>::zeros(s);
    t(&[2, 3, 4]).scaled_dot_product_attention(&t(&[2, 5, 6]), &t(&[2, 5, 2]), &AttentionConfig::default());
}

#[test]
#[should_panic(
    expected = "scaled_dot_product_attention: k and v must have the same number of keys S ([*, S, E] and [*, S, Ev]), got q [3, 4], k [5, 4], v [6, 2]"
)]
fn key_counts_must_agree() {
    let t = |s: &[usize]| Tensor::<f32>::zeros(s);
    t(&[3, 4]).scaled_dot_product_attention(&t(&[5, 4]), &t(&[6, 2]), &AttentionConfig::default());
}

#[test]
#[should_panic(
    expected = "scaled_dot_product_attention: q, k and v must have the same leading (batch) axes, got q [2, 3, 4], k [1, 5, 4], v [2, 5, 2]"
)]
fn batch_axes_must_agree() {
    let t = |s: &[usize]| Tensor::<f32>::zeros(s);
    t(&[2, 3, 4]).scaled_dot_product_attention(&t(&[1, 5, 4]), &t(&[2, 5, 2]), &AttentionConfig::default());
}

#[test]
#[should_panic(
    expected = "scaled_dot_product_attention: q, k and v must have the same rank (at least 2: [*, L, E], [*, S, E], [*, S, Ev]), got q [4], k [5, 4], v [5, 2]"
)]
fn ranks_must_agree() {
    let t = |s: &[usize]| Tensor::<f32>::zeros(s);
    t(&[4]).scaled_dot_product_attention(&t(&[5, 4]), &t(&[5, 2]), &AttentionConfig::default());
}

#[test]
#[should_panic(
    expected = "scaled_dot_product_attention: the boolean mask of shape [4, 5] does not broadcast to [2, 3, 5] (q [2, 3, 4], k [2, 5, 4], v [2, 5, 2])"
)]
fn a_mask_must_broadcast() {
    let t = |s: &[usize]| Tensor::<f32>::zeros(s);
    let cfg = AttentionConfig { mask: Some(AttentionMask::Bool(Tensor::full([4, 5], true))), ..Default::default() };
    t(&[2, 3, 4]).scaled_dot_product_attention(&t(&[2, 5, 4]), &t(&[2, 5, 2]), &cfg);
}

#[test]
#[should_panic(
    expected = "scaled_dot_product_attention: the additive mask of shape [3, 4] does not broadcast to [2, 3, 5] (q [2, 3, 4], k [2, 5, 4], v [2, 5, 2])"
)]
fn an_additive_mask_must_broadcast() {
    let t = |s: &[usize]| Tensor::<f32>::zeros(s);
    let cfg = AttentionConfig { mask: Some(AttentionMask::Additive(t(&[3, 4]))), ..Default::default() };
    t(&[2, 3, 4]).scaled_dot_product_attention(&t(&[2, 5, 4]), &t(&[2, 5, 2]), &cfg);
}

#[test]
#[should_panic(
    expected = "scaled_dot_product_attention: key padding must be [B, S] = [2, 5] (B the first batch axis), got [2, 4] (q [2, 3, 3, 4], k [2, 3, 5, 4], v [2, 3, 5, 2])"
)]
fn key_padding_must_be_batch_by_keys() {
    let t = |s: &[usize]| Tensor::<f32>::zeros(s);
    let cfg = AttentionConfig { key_padding: Some(Tensor::full([2, 4], false)), ..Default::default() };
    t(&[2, 3, 3, 4]).scaled_dot_product_attention(&t(&[2, 3, 5, 4]), &t(&[2, 3, 5, 2]), &cfg);
}

#[test]
#[should_panic(
    expected = "scaled_dot_product_attention: dropout must be in [0, 1), got 1 (with q [3, 4], k [5, 4], v [5, 2])"
)]
fn dropout_must_be_below_one() {
    let t = |s: &[usize]| Tensor::<f32>::zeros(s);
    let cfg = AttentionConfig { dropout: 1.0, ..Default::default() };
    t(&[3, 4]).scaled_dot_product_attention(&t(&[5, 4]), &t(&[5, 2]), &cfg);
}
