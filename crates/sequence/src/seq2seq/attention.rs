//! Attention over the encoder's outputs: the score functions (Bahdanau's additive, Luong's
//! general and dot) and the softmax that gives padding exactly zero weight.

use kindling_autograd::Variable;
use kindling_nn::{Forward, Linear, Module, Visitor};
use kindling_tensor::shape::dims_str;
use kindling_tensor::{Float, Rng, Tensor};

/// `layer` on the last axis of `x` of any rank, as one product over all rows: a batched input
/// would run one small product per batch entry and, backwards, build a weight gradient per
/// entry before summing them.
pub(crate) fn linear_rows<T: Float>(layer: &Linear<T>, x: &Variable<T>) -> Variable<T> {
    let shape = x.shape();
    if shape.len() <= 2 {
        return layer.forward(x);
    }
    let features = shape[shape.len() - 1] as isize;
    let mut out: Vec<isize> = shape[..shape.len() - 1].iter().map(|&d| d as isize).collect();
    out.push(layer.out_features() as isize);
    layer.forward(&x.reshape([-1, features])).reshape(out)
}

/// How the decoder looks at the encoder's outputs (the keys `k`, one per source position) from
/// its query `q`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attention {
    /// No attention: the decoder sees the source only through the encoder's final state (the
    /// fixed-size context vector of Sutskever et al. and Cho et al.).
    None,
    /// Bahdanau et al. (2015): score(q, k) = vᵀ tanh(W_q q + W_k k), with the query the
    /// decoder's previous state and the context fed into the recurrent cell with the input
    /// token. Decoded step by step.
    Additive,
    /// Luong et al. (2015), "general": score(q, k) = qᵀ W k, with the query the decoder's
    /// current state and the context combined with it after the cell. Under teacher forcing
    /// the whole decoder runs as one fused recurrent op.
    Multiplicative,
    /// Luong's "dot": score(q, k) = qᵀ k (no weights; the query and key widths must match).
    Dot,
}

/// The weights of one attention kind: `w_query` and `v` for additive, `w_key` for additive
/// (W_k) and multiplicative (W); dot has none.
pub struct AttentionLayer<T: Float = f32> {
    kind: Attention,
    pub w_query: Option<Linear<T>>,
    pub w_key: Option<Linear<T>>,
    pub v: Option<Linear<T>>,
}

impl<T: Float> AttentionLayer<T> {
    /// Attention from queries `query_dim` wide to keys `key_dim` wide; `attention_dim` is the
    /// width of the additive score's hidden layer (unused by the others).
    pub fn new(kind: Attention, query_dim: usize, key_dim: usize, attention_dim: usize, rng: &mut Rng) -> Self {
        let (w_query, w_key, v) = match kind {
            Attention::None => (None, None, None),
            Attention::Additive => (
                Some(Linear::new(query_dim, attention_dim, rng)),
                Some(Linear::without_bias(key_dim, attention_dim, rng)),
                Some(Linear::without_bias(attention_dim, 1, rng)),
            ),
            Attention::Multiplicative => (None, Some(Linear::without_bias(key_dim, query_dim, rng)), None),
            Attention::Dot => {
                assert!(
                    query_dim == key_dim,
                    "AttentionLayer: dot attention needs queries and keys of one width, got {query_dim} and {key_dim}"
                );
                (None, None, None)
            }
        };
        AttentionLayer { kind, w_query, w_key, v }
    }

    pub fn kind(&self) -> Attention {
        self.kind
    }

    /// The keys `[B, S, K]` as the scores read them: W_k k (additive), W k (multiplicative) or
    /// k itself (dot). Computed once per source, reused at every decoder step.
    pub fn project_keys(&self, keys: &Variable<T>) -> Variable<T> {
        match &self.w_key {
            Some(w) => linear_rows(w, keys),
            None => keys.clone(),
        }
    }

    /// Scores `[B, Tq, S]` of queries `[B, Tq, Q]` against projected keys `[B, S, ·]`
    /// (from [`Self::project_keys`]): every query against every source position.
    pub fn scores(&self, queries: &Variable<T>, projected: &Variable<T>) -> Variable<T> {
        let (q, k) = (queries.shape(), projected.shape());
        if q.len() != 3 || k.len() != 3 || q[0] != k[0] {
            panic!(
                "AttentionLayer::scores: queries {} and keys {} must be [batch, steps, width] and [batch, source, width]",
                dims_str(&q),
                dims_str(&k)
            );
        }
        match self.kind {
            Attention::None => panic!("AttentionLayer::scores: Attention::None has no scores"),
            Attention::Additive => {
                let w_query = self.w_query.as_ref().expect("additive attention has W_q");
                let v = self.v.as_ref().expect("additive attention has v");
                // [B, Tq, 1, A] + [B, 1, S, A] → tanh → v → [B, Tq, S]
                let hidden = (&linear_rows(w_query, queries).unsqueeze(2) + &projected.unsqueeze(1)).tanh();
                linear_rows(v, &hidden).squeeze(-1)
            }
            Attention::Multiplicative | Attention::Dot => {
                if q[2] != k[2] {
                    panic!(
                        "AttentionLayer::scores: queries {} and projected keys {} differ in width",
                        dims_str(&q),
                        dims_str(&k)
                    );
                }
                queries.matmul(&projected.transpose(1, 2))
            }
        }
    }
}

impl<T: Float> Module<T> for AttentionLayer<T> {
    fn visit(&self, v: &mut Visitor<'_, T>) {
        if let Some(w) = &self.w_query {
            v.child("w_query", w);
        }
        if let Some(w) = &self.w_key {
            v.child("w_key", w);
        }
        if let Some(w) = &self.v {
            v.child("v", w);
        }
    }
}

/// Softmax over the last axis of `scores` `[B, Tq, S]` where example `b` has `lengths[b]` real
/// source positions: the others are set to −∞ before the softmax, so their weight is exactly
/// 0 and they get no gradient; each row of real positions sums to 1.
pub fn masked_softmax<T: Float>(scores: &Variable<T>, lengths: &[usize]) -> Variable<T> {
    let shape = scores.shape();
    if shape.len() != 3 || shape[0] != lengths.len() {
        panic!(
            "masked_softmax: scores of shape {} must be [batch, steps, source] with batch = {} (the number of lengths)",
            dims_str(&shape),
            lengths.len()
        );
    }
    let (b, tq, s) = (shape[0], shape[1], shape[2]);
    if let Some(&bad) = lengths.iter().find(|&&l| l == 0 || l > s) {
        panic!("masked_softmax: a source length of {bad} is outside 1..={s}");
    }
    if lengths.iter().all(|&l| l == s) {
        return scores.softmax(-1);
    }
    let padding: Vec<bool> = (0..b).flat_map(|i| (0..tq * s).map(move |j| j % s >= lengths[i])).collect();
    scores.masked_fill(&Tensor::from_vec(padding, [b, tq, s]), T::NEG_INFINITY).softmax(-1)
}
