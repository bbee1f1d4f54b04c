//! Reference answers to chapter 15's exercises (`exercises.rs` has the same
//! signatures).

use kindling_tensor::{Rng, Tensor};

/// Exercise 15.1: BERT's 80/10/10 masking of one sequence.
pub fn mlm_mask(
    ids: &[i64],
    special: &[i64],
    mask_id: i64,
    vocab_size: usize,
    mask_prob: f64,
    rng: &mut Rng,
) -> (Vec<i64>, Vec<i64>) {
    let mut inputs = ids.to_vec();
    let mut labels = vec![-100; ids.len()];
    for (t, &id) in ids.iter().enumerate() {
        if special.contains(&id) || rng.uniform_f64() >= mask_prob {
            continue;
        }
        labels[t] = id;
        let case = rng.uniform_f64();
        if case < 0.8 {
            inputs[t] = mask_id;
        } else if case < 0.9 {
            inputs[t] = rng.below(vocab_size as u64) as i64;
        }
    }
    (inputs, labels)
}

/// Exercise 15.2: the encoder's (padding only) and the decoder's (padding and
/// future) masks.
pub fn attention_allowed(is_token: &[bool], causal: bool) -> Vec<Vec<bool>> {
    let t = is_token.len();
    (0..t)
        .map(|i| (0..t).map(|j| is_token[j] && (!causal || j <= i)).collect())
        .collect()
}

/// Exercise 15.3: the mean of each sequence's real tokens.
pub fn mean_pool(hidden: &Tensor<f64>, attention_mask: &[Vec<i64>]) -> Tensor<f64> {
    let [b, t, h] = *hidden.shape() else {
        panic!("mean_pool: hidden must be [B, T, H], got {:?}", hidden.shape());
    };
    assert!(
        attention_mask.len() == b
            && attention_mask.iter().all(|row| row.len() == t),
        "mean_pool: the mask must be [{b}, {t}] like hidden {:?}",
        hidden.shape()
    );
    let values = hidden.to_vec();
    let mut out = vec![0.0; b * h];
    for (s, mask) in attention_mask.iter().enumerate() {
        let count = mask.iter().filter(|&&m| m != 0).count();
        for (pos, _) in mask.iter().enumerate().filter(|(_, &m)| m != 0) {
            let row = &values[(s * t + pos) * h..(s * t + pos + 1) * h];
            for (o, v) in out[s * h..(s + 1) * h].iter_mut().zip(row) {
                *o += v / count as f64;
            }
        }
    }
    Tensor::from_vec(out, [b, h])
}

/// Exercise 15.4: the k most cosine-similar documents.
pub fn cosine_top_k(
    query: &[f64],
    docs: &[Vec<f64>],
    k: usize,
) -> Vec<(usize, f64)> {
    let norm = |v: &[f64]| v.iter().map(|x| x * x).sum::<f64>().sqrt();
    let q = norm(query);
    let mut scored: Vec<(usize, f64)> = docs
        .iter()
        .enumerate()
        .map(|(i, d)| {
            let n = q * norm(d);
            let dot: f64 = query.iter().zip(d).map(|(a, b)| a * b).sum();
            (i, if n > 0.0 { dot / n } else { 0.0 })
        })
        .collect();
    scored.sort_by(|a, b| b.1.total_cmp(&a.1));
    scored.truncate(k);
    scored
}

/// Exercise 15.5: an image as a sequence of flattened patches.
pub fn patchify(image: &Tensor<f64>, patch: usize) -> Tensor<f64> {
    let [c, h, w] = *image.shape() else {
        panic!("patchify: the image must be [C, H, W], got {:?}", image.shape());
    };
    assert!(
        patch > 0 && h % patch == 0 && w % patch == 0,
        "patchify: patches of {patch} do not tile an image of {h}x{w}"
    );
    let pixels = image.to_vec();
    let (rows, cols) = (h / patch, w / patch);
    let mut out = Vec::with_capacity(c * h * w);
    for r in 0..rows {
        for q in 0..cols {
            for ch in 0..c {
                for i in 0..patch {
                    let start = (ch * h + r * patch + i) * w + q * patch;
                    out.extend_from_slice(&pixels[start..start + patch]);
                }
            }
        }
    }
    Tensor::from_vec(out, [rows * cols, c * patch * patch])
}

/// Exercise 15.6: the class token in front, then the positions added.
pub fn vit_tokens(
    patches: &[Vec<f64>],
    class_token: &[f64],
    positions: &[Vec<f64>],
) -> Vec<Vec<f64>> {
    assert_eq!(
        positions.len(),
        patches.len() + 1,
        "vit_tokens: {} patches and a class token need {} positions, got {}",
        patches.len(),
        patches.len() + 1,
        positions.len()
    );
    std::iter::once(class_token)
        .chain(patches.iter().map(Vec::as_slice))
        .zip(positions)
        .map(|(token, pos)| token.iter().zip(pos).map(|(a, b)| a + b).collect())
        .collect()
}

/// Exercise 15.7: word + position + segment.
pub fn bert_embedding_sum(
    ids: &[i64],
    token_types: &[i64],
    word: &Tensor<f64>,
    position: &Tensor<f64>,
    segment: &Tensor<f64>,
) -> Tensor<f64> {
    let (t, h) = (ids.len(), word.shape()[1]);
    assert!(
        t <= position.shape()[0],
        "bert_embedding_sum: {t} positions but the position table holds {}",
        position.shape()[0]
    );
    assert_eq!(
        token_types.len(),
        t,
        "bert_embedding_sum: {t} ids but {} token types",
        token_types.len()
    );
    let (word, position, segment) =
        (word.to_vec(), position.to_vec(), segment.to_vec());
    let row = |table: &[f64], r: usize| table[r * h..(r + 1) * h].to_vec();
    let mut out = Vec::with_capacity(t * h);
    for (pos, (&id, &kind)) in ids.iter().zip(token_types).enumerate() {
        let (a, b, c) = (
            row(&word, id as usize),
            row(&position, pos),
            row(&segment, kind as usize),
        );
        out.extend((0..h).map(|k| a[k] + b[k] + c[k]));
    }
    Tensor::from_vec(out, [t, h])
}

/// Exercise 15.8: GPT-2's Conv1D weights transposed into a Linear's layout.
pub fn gpt2_tensor_for_linear(name: &str, tensor: &Tensor<f32>) -> Tensor<f32> {
    const CONV1D: [&str; 4] = [
        "attn.c_attn.weight",
        "attn.c_proj.weight",
        "mlp.c_fc.weight",
        "mlp.c_proj.weight",
    ];
    if CONV1D.iter().any(|suffix| name.ends_with(suffix)) {
        tensor.t().contiguous()
    } else {
        tensor.clone()
    }
}
