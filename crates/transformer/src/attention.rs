//! Multi-head attention with PyTorch's parameter layout (book chapter 13).
//!
//! [`MultiheadAttention`] projects the query, key and value with one packed matrix
//! `in_proj_weight [3E, E]` (rows `0..E` for the query, `E..2E` for the key, `2E..3E` for the
//! value), splits the width E into `num_heads` heads of E / num_heads, runs scaled dot-product
//! attention in every head at once (`kindling_autograd::attention`, naive or flash-style by the
//! kernel mode), joins the heads and projects with `out_proj`. A PyTorch
//! `nn.MultiheadAttention` state dict loads as it is.
//!
//! Masks follow `nn.MultiheadAttention`'s conventions, which are the opposite of
//! `scaled_dot_product_attention`'s for booleans: in [`MhaMask::Bool`] and in
//! `key_padding_mask`, **true means "may not attend"**.

use kindling_autograd::attention as attn_op;
use kindling_autograd::Variable;
use kindling_nn::{init, Forward, Linear, Module, TrainingFlag, Visitor};
use kindling_tensor::attention::{AttentionConfig, AttentionMask};
use kindling_tensor::shape::dims_str;
use kindling_tensor::{Float, Rng, Tensor};
use std::sync::Mutex;

/// An attention mask in `nn.MultiheadAttention`'s convention, of shape `[L, S]` (shared by
/// the batch and the heads) or `[B·num_heads, L, S]` (one per sequence and head, the batch
/// index major).
#[derive(Clone, Debug)]
pub enum MhaMask<T: Float> {
    /// true = this query may **not** attend to this key.
    Bool(Tensor<bool>),
    /// Added to the scaled scores before the softmax (−∞ excludes a pair).
    Additive(Tensor<T>),
}

/// The per-call options of [`MultiheadAttention::forward`], as PyTorch's keyword arguments.
///
/// The default is PyTorch's: no masks, not causal, and the attention weights returned,
/// averaged over the heads. Layers that only want the output set `need_weights: false`,
/// which lets the attention run on the fused kernel.
#[derive(Clone, Debug)]
pub struct MhaOptions<T: Float> {
    /// `[B, S]` (or `[S]` for an unbatched input); true marks a padding key to ignore.
    pub key_padding_mask: Option<Tensor<bool>>,
    /// Which (query, key) pairs are excluded or how they are biased.
    pub attn_mask: Option<MhaMask<T>>,
    /// Also return the attention weights (the materialised softmax).
    pub need_weights: bool,
    /// Average the returned weights over the heads (`[B, L, S]`) instead of keeping them
    /// (`[B, num_heads, L, S]`).
    pub average_attn_weights: bool,
    /// Query i attends only to keys j ≤ i. PyTorch takes this as a hint that `attn_mask` is
    /// the causal mask and requires it; here the mask may be left out.
    pub is_causal: bool,
}

impl<T: Float> Default for MhaOptions<T> {
    fn default() -> Self {
        MhaOptions {
            key_padding_mask: None,
            attn_mask: None,
            need_weights: true,
            average_attn_weights: true,
            is_causal: false,
        }
    }
}

impl<T: Float> MhaOptions<T> {
    /// No masks and no weights: the output only.
    pub fn output_only() -> Self {
        MhaOptions { need_weights: false, ..Self::default() }
    }
}

/// Multi-head attention, `nn.MultiheadAttention` with the same parameters, defaults and
/// initialisation: `in_proj_weight` Xavier-uniform, `in_proj_bias` and `out_proj.bias` zero,
/// `out_proj.weight` as a `Linear`'s. Sequence-first (`[L, B, E]`) unless
/// [`batch_first`](MultiheadAttention::batch_first); unbatched `[L, E]` inputs work too.
///
/// ```
/// use kindling_autograd::Variable;
/// use kindling_nn::{Forward, Module};
/// use kindling_tensor::{Rng, Tensor};
/// use kindling_transformer::attention::{MhaOptions, MultiheadAttention};
///
/// let mut rng = Rng::seed(0);
/// let mha = MultiheadAttention::<f32>::new(16, 4, &mut rng).batch_first(true);
/// assert_eq!(mha.num_parameters(), 4 * 16 * 16 + 4 * 16);
/// let x = Variable::constant(Tensor::randn([2, 5, 16], &mut rng));
/// let (y, w) = mha.forward(&x, &x, &x, &MhaOptions::default());
/// assert_eq!(y.shape(), [2, 5, 16]);
/// assert_eq!(w.unwrap().shape(), [2, 5, 5]); // averaged over the heads
/// assert_eq!(mha.call(&x).shape(), [2, 5, 16]); // self-attention as a `Forward`
/// ```
pub struct MultiheadAttention<T: Float = f32> {
    /// `[3E, E]`: the query, key and value projections stacked by rows.
    pub in_proj_weight: Variable<T>,
    /// `[3E]`, absent after `.bias(false)`.
    pub in_proj_bias: Option<Variable<T>>,
    /// The projection applied after the heads are joined.
    pub out_proj: Linear<T>,
    num_heads: usize,
    batch_first: bool,
    dropout: f64,
    /// Seeds the attention-dropout masks.
    rng: Mutex<Rng>,
    training: TrainingFlag,
}

impl<T: Float> MultiheadAttention<T> {
    /// Attention over width `embed_dim` split into `num_heads` heads.
    pub fn new(embed_dim: usize, num_heads: usize, rng: &mut Rng) -> Self {
        if num_heads == 0 || !embed_dim.is_multiple_of(num_heads) {
            panic!("MultiheadAttention: embed_dim {embed_dim} is not divisible by num_heads {num_heads}");
        }
        let in_proj_weight = Variable::param(init::xavier_uniform([3 * embed_dim, embed_dim], 1.0, rng));
        let mut out_proj = Linear::new(embed_dim, embed_dim, rng);
        out_proj.bias = Some(Variable::param(Tensor::zeros([embed_dim])));
        MultiheadAttention {
            in_proj_weight,
            in_proj_bias: Some(Variable::param(Tensor::zeros([3 * embed_dim]))),
            out_proj,
            num_heads,
            batch_first: false,
            dropout: 0.0,
            rng: Mutex::new(rng.fork()),
            training: TrainingFlag::default(),
        }
    }

    /// Inputs and outputs `[B, L, E]` (true) or `[L, B, E]` (false, PyTorch's default).
    pub fn batch_first(mut self, batch_first: bool) -> Self {
        self.batch_first = batch_first;
        self
    }

    /// Dropout on the attention weights in training.
    pub fn dropout(mut self, p: f64) -> Self {
        assert!((0.0..=1.0).contains(&p), "MultiheadAttention: dropout probability {p} is outside [0, 1]");
        self.dropout = p;
        self
    }

    /// With (true, the default) or without the input and output projection biases.
    pub fn bias(mut self, bias: bool) -> Self {
        let e = self.embed_dim();
        self.in_proj_bias = bias.then(|| Variable::param(Tensor::zeros([3 * e])));
        self.out_proj.bias = bias.then(|| Variable::param(Tensor::zeros([e])));
        self
    }

    /// The model width E.
    pub fn embed_dim(&self) -> usize {
        self.in_proj_weight.shape()[1]
    }

    /// The number of heads.
    pub fn num_heads(&self) -> usize {
        self.num_heads
    }

    /// The width of one head, E / num_heads.
    pub fn head_dim(&self) -> usize {
        self.embed_dim() / self.num_heads
    }

    /// Whether inputs are `[B, L, E]`.
    pub fn is_batch_first(&self) -> bool {
        self.batch_first
    }

    /// Attention of `query [L, B, E]` over `key`, `value [S, B, E]` (batch-first: `[B, L, E]`,
    /// `[B, S, E]`; unbatched: `[L, E]`, `[S, E]`). Returns the output, shaped as the query,
    /// and, when `opts.need_weights`, the weights `[B, L, S]` (or `[B, num_heads, L, S]` when
    /// not averaged; batch-first whatever the input layout, as in PyTorch).
    pub fn forward(
        &self,
        query: &Variable<T>,
        key: &Variable<T>,
        value: &Variable<T>,
        opts: &MhaOptions<T>,
    ) -> (Variable<T>, Option<Variable<T>>) {
        let (qs, ks, vs) = (query.shape(), key.shape(), value.shape());
        let e = self.embed_dim();
        let shapes = || format!("query {}, key {}, value {}", dims_str(&qs), dims_str(&ks), dims_str(&vs));
        let rank = qs.len();
        if !(rank == 2 || rank == 3) || ks.len() != rank || vs.len() != rank {
            panic!("MultiheadAttention: inputs must all be 3-D (batched) or all 2-D (unbatched), got {}", shapes());
        }
        if qs[rank - 1] != e || ks[rank - 1] != e || vs[rank - 1] != e {
            panic!("MultiheadAttention: inputs must end in embed_dim = {e}, got {}", shapes());
        }
        if ks != vs || (rank == 3 && qs[self.batch_axis()] != ks[self.batch_axis()]) {
            panic!(
                "MultiheadAttention: key and value must have the same shape and the batch size of the query, got {}",
                shapes()
            );
        }
        if rank == 2 {
            // An unbatched call is a batch of one, batch-first.
            let as_batch = |x: &Variable<T>| if self.batch_first { x.unsqueeze(0) } else { x.unsqueeze(1) };
            let mut opts = opts.clone();
            opts.key_padding_mask = opts.key_padding_mask.map(|m| m.unsqueeze(0));
            let (out, weights) = self.forward(&as_batch(query), &as_batch(key), &as_batch(value), &opts);
            let out = if self.batch_first { out.squeeze(0) } else { out.squeeze(1) };
            return (out, weights.map(|w| w.squeeze(0)));
        }
        let (batch, len_q, len_k) = (qs[self.batch_axis()], qs[self.seq_axis()], ks[self.seq_axis()]);
        let [q, k, v] = self.project([query, key, value]);
        let cfg = self.config(opts, batch, len_q, len_k);
        let (heads, weights) = if opts.need_weights {
            let weights = attn_op::attention_weights(&q, &k, &cfg);
            (weights.matmul(&v), Some(weights))
        } else {
            (attn_op::scaled_dot_product_attention(&q, &k, &v, &cfg), None)
        };
        let out = self.out_proj.call(&self.join_heads(&heads));
        let weights = match weights {
            Some(w) if opts.average_attn_weights => Some(w.mean(1, false)),
            other => other,
        };
        (out, weights)
    }

    fn batch_axis(&self) -> usize {
        if self.batch_first {
            0
        } else {
            1
        }
    }

    fn seq_axis(&self) -> usize {
        1 - self.batch_axis()
    }

    // ANCHOR: heads
    /// The three projections, each split into heads `[B, H, len, head_dim]`.
    /// Self-attention (one tensor for all three) does one matrix product with the
    /// packed weight.
    fn project(&self, [q, k, v]: [&Variable<T>; 3]) -> [Variable<T>; 3] {
        let e = self.embed_dim();
        let linear = |x: &Variable<T>, part: usize, parts: usize| {
            let w = self.in_proj_weight.narrow(0, part * e, parts * e);
            let y = x.matmul(&w.t());
            match &self.in_proj_bias {
                Some(b) => &y + &b.narrow(0, part * e, parts * e),
                None => y,
            }
        };
        if q.same_as(k) && k.same_as(v) {
            let packed = linear(q, 0, 3).chunk(3, -1);
            [0, 1, 2].map(|part| self.split_heads(&packed[part]))
        } else {
            [0, 1, 2].map(|part| self.split_heads(&linear([q, k, v][part], part, 1)))
        }
    }

    /// `[B, len, E]` or `[len, B, E]` → `[B, H, len, head_dim]`.
    fn split_heads(&self, x: &Variable<T>) -> Variable<T> {
        let s = x.shape();
        let split = x.reshape(vec![s[0], s[1], self.num_heads, self.head_dim()]);
        if self.batch_first {
            split.permute([0, 2, 1, 3])
        } else {
            split.permute([1, 2, 0, 3])
        }
    }

    /// `[B, H, len, head_dim]` → the input layout `[B, len, E]` or `[len, B, E]`.
    fn join_heads(&self, x: &Variable<T>) -> Variable<T> {
        let s = x.shape();
        if self.batch_first {
            x.permute([0, 2, 1, 3]).reshape(vec![s[0], s[2], self.embed_dim()])
        } else {
            x.permute([2, 0, 1, 3]).reshape(vec![s[2], s[0], self.embed_dim()])
        }
    }

    // ANCHOR_END: heads

    /// Translates PyTorch MHA's masks into the attention op's configuration.
    fn config(&self, opts: &MhaOptions<T>, batch: usize, len_q: usize, len_k: usize) -> AttentionConfig<T> {
        let h = self.num_heads;
        let fit = |shape: &[usize]| -> Vec<usize> {
            if shape == [len_q, len_k] {
                vec![len_q, len_k]
            } else if shape == [batch * h, len_q, len_k] {
                vec![batch, h, len_q, len_k]
            } else {
                panic!(
                    "MultiheadAttention: attn_mask of shape {} must be [L, S] = [{len_q}, {len_k}] or [B·num_heads, L, S] = [{}, {len_q}, {len_k}]",
                    dims_str(shape),
                    batch * h
                )
            }
        };
        let mask = opts.attn_mask.as_ref().map(|m| match m {
            MhaMask::Bool(m) => AttentionMask::Bool(m.logical_not().reshape(fit(m.shape()))),
            MhaMask::Additive(m) => AttentionMask::Additive(m.reshape(fit(m.shape()))),
        });
        if let Some(kp) = &opts.key_padding_mask {
            if kp.shape() != [batch, len_k] {
                panic!(
                    "MultiheadAttention: key_padding_mask of shape {} must be [B, S] = [{batch}, {len_k}]",
                    dims_str(kp.shape())
                );
            }
        }
        let dropout = if self.training.get() { self.dropout } else { 0.0 };
        let seed = if dropout > 0.0 { self.rng.lock().expect("attention rng").next_u64() } else { 0 };
        AttentionConfig {
            mask,
            key_padding: opts.key_padding_mask.clone(),
            is_causal: opts.is_causal,
            dropout,
            seed,
            scale: None,
        }
    }
}

impl<T: Float> Module<T> for MultiheadAttention<T> {
    fn visit(&self, v: &mut Visitor<'_, T>) {
        v.param("in_proj_weight", &self.in_proj_weight);
        if let Some(b) = &self.in_proj_bias {
            v.param("in_proj_bias", b);
        }
        v.child("out_proj", &self.out_proj);
        v.mode(&self.training);
        v.rng(&self.rng);
    }
}

/// Self-attention with no mask: `x` is the query, the key and the value.
impl<T: Float> Forward<T> for MultiheadAttention<T> {
    fn forward(&self, x: &Variable<T>) -> Variable<T> {
        MultiheadAttention::forward(self, x, x, x, &MhaOptions::output_only()).0
    }
}
