//! Sentence embeddings and retrieval: a passage's vector is the mean of its tokens' last
//! hidden states ([`mean_pool`](super::mean_pool())), and the passages nearest a query are those
//! of highest cosine similarity, the retrieval step of retrieval-augmented generation.

use super::{mean_pool, BertModel};
use kindling_autograd::no_grad;
use kindling_data::text::nearest;
use kindling_nn::Module;
use kindling_tensor::{Float, Tensor};

/// Mean-pooled embeddings `[N, H]` of `N` token sequences (each already tokenised, with its
/// specials), in batches of `batch_size`, in evaluation mode and without recording a graph.
/// Sequences longer than the model's positions are cut. Panics on an empty sequence.
pub fn embed<T: Float>(model: &BertModel<T>, sequences: &[Vec<i64>], batch_size: usize) -> Tensor<T> {
    let h = model.config().hidden_size;
    let max_len = model.config().max_position_embeddings;
    let pad = model.config().pad_token_id as i64;
    let was_training = model.is_training();
    model.eval();
    let mut out: Vec<T> = Vec::with_capacity(sequences.len() * h);
    for batch in sequences.chunks(batch_size.max(1)) {
        let (ids, mask) = pad_batch(batch, max_len, pad);
        let pooled = no_grad(|| mean_pool(&model.forward(&ids, None, Some(&mask)).last_hidden_state, &mask));
        out.extend(pooled.value().to_vec());
    }
    model.set_training(was_training);
    Tensor::from_vec(out, [sequences.len(), h])
}

/// Pads sequences (cut to `max_len`) into ids and an attention mask, both `[B, longest]`.
pub fn pad_batch(batch: &[Vec<i64>], max_len: usize, pad: i64) -> (Tensor<i64>, Tensor<i64>) {
    let t = batch.iter().map(|s| s.len().min(max_len)).max().unwrap_or(0);
    if let Some(empty) = batch.iter().position(Vec::is_empty) {
        panic!("pad_batch: sequence {empty} is empty");
    }
    let mut ids = Vec::with_capacity(batch.len() * t);
    let mut mask = Vec::with_capacity(batch.len() * t);
    for seq in batch {
        let kept = &seq[..seq.len().min(max_len)];
        ids.extend(kept.iter().copied().chain(std::iter::repeat_n(pad, t - kept.len())));
        mask.extend(std::iter::repeat_n(1, kept.len()).chain(std::iter::repeat_n(0, t - kept.len())));
    }
    (Tensor::from_vec(ids, [batch.len(), t]), Tensor::from_vec(mask, [batch.len(), t]))
}

/// The `k` rows of `corpus` `[N, H]` nearest `query` `[H]` by cosine similarity, as
/// `(row, similarity)` pairs, most similar first (ties in row order): the TF-IDF chapter's
/// [`kindling_data::text::nearest`], on learned embeddings.
pub fn top_k<T: Float>(query: &Tensor<T>, corpus: &Tensor<T>, k: usize) -> Vec<(usize, f64)> {
    nearest(query, corpus, k).into_iter().map(|(row, similarity)| (row, similarity.to_f64())).collect()
}
