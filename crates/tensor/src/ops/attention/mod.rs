//! Scaled dot-product attention with the semantics of PyTorch's
//! `torch.nn.functional.scaled_dot_product_attention`: for queries `q` `[*, L, E]`, keys `k`
//! `[*, S, E]` and values `v` `[*, S, Ev]`,
//!
//! ```text
//! scores = scale · q kᵀ + additive mask      (scale = 1/√E unless given)
//! weights = softmax over the keys of the scores, with excluded keys at -inf
//! out = dropout(weights) v                   [*, L, Ev]
//! ```
//!
//! A key `j` is excluded for query `i` by any of: `is_causal` and `j > i` (top-left aligned,
//! `tril(ones(L, S))`, also when L ≠ S), a boolean mask that is false there (true = attend, as
//! in PyTorch's function), an additive mask of -inf there, or key padding true for `j` (true =
//! padding, PyTorch MHA's `key_padding_mask`). The masks may be combined (PyTorch refuses an
//! explicit mask with `is_causal`; here both apply). A query whose keys are all excluded gets a
//! row of zero weights and a zero output, and its gradients are zero: what PyTorch 2.15's CPU
//! kernel returns for such a row.
//!
//! Dropout drops weight `(i, j)` of flat batch-head `n` when a hash of `(seed, n, i, j)` says so
//! ([`dropout_keep`]) and scales the kept weights by 1/(1-p); the hash is counter-based, so the
//! naive kernel, the fast one and both backward passes regenerate the same mask without storing
//! it. PyTorch's dropout draws from its own generator, so the masks differ from PyTorch's.
//!
//! Two implementations ([`naive`], [`fast`]), chosen by the process's kernel mode. The naive
//! one materialises the `[L, S]` weights of every head; the fast one is a tiled online-softmax
//! kernel whose memory grows linearly with the context (see the catalogue in `fast.rs`). The
//! differentiable op is `kindling_autograd::attention`.

pub mod fast;
pub mod naive;

use crate::shape::{dims_str, unravel_index};
use crate::{Element, Float, Tensor};

/// A mask over the scores, broadcastable to `[*, L, S]`.
#[derive(Clone)]
pub enum AttentionMask<T: Element> {
    /// true = this query may attend to this key (the convention of PyTorch's
    /// `scaled_dot_product_attention`); broadcastable to `[*, L, S]`.
    Bool(Tensor<bool>),
    /// Added to the scaled scores before the softmax (use -inf to exclude); broadcastable to
    /// `[*, L, S]`.
    Additive(Tensor<T>),
}

/// Everything about one attention call except the operands.
#[derive(Clone, Default)]
pub struct AttentionConfig<T: Element> {
    /// An optional mask (boolean or additive), broadcastable to `[*, L, S]`.
    pub mask: Option<AttentionMask<T>>,
    /// `[B, S]`, true = padding, excluded as a key (PyTorch MHA's key_padding_mask
    /// convention); B is the first batch axis; broadcast over the others (heads).
    pub key_padding: Option<Tensor<bool>>,
    /// Query i may attend to key j only when j <= i (PyTorch's is_causal: top-left aligned
    /// tril(ones(L, S)), also when L != S).
    pub is_causal: bool,
    /// Dropout on the attention weights (0.0 = none).
    pub dropout: f64,
    /// The seed of the counter-based dropout mask, so backward and naive/fast regenerate the
    /// same mask.
    pub seed: u64,
    /// Multiplies the scores; None = 1/sqrt(E).
    pub scale: Option<f64>,
}

impl<T: Element> AttentionConfig<T> {
    /// No mask, no dropout, the default scale: `AttentionConfig::default()`.
    pub fn new() -> Self {
        AttentionConfig { mask: None, key_padding: None, is_causal: false, dropout: 0.0, seed: 0, scale: None }
    }

    /// Causal attention (query i sees keys 0..=i), nothing else.
    pub fn causal() -> Self {
        AttentionConfig { is_causal: true, ..Self::new() }
    }
}

/// The result of a forward pass: the output and what the backward pass needs besides the
/// operands.
#[derive(Clone)]
pub struct AttentionForward<T: Element> {
    /// `[*, L, Ev]`, contiguous.
    pub out: Tensor<T>,
    /// `[*, L]`: ln Σ_j e^(score_ij) over the keys query i may attend to (before dropout); +inf
    /// for a query whose keys are all excluded, so that e^(score - lse) is 0 on its row.
    pub lse: Tensor<T>,
}

/// Gradients of a scalar loss with respect to the three operands (contiguous, in their shapes).
pub struct AttentionGrads<T: Element> {
    pub q: Tensor<T>,
    pub k: Tensor<T>,
    pub v: Tensor<T>,
}

impl<T: Float> Tensor<T> {
    /// Scaled dot-product attention of the queries `self` `[*, L, E]` over keys `k` `[*, S, E]`
    /// and values `v` `[*, S, Ev]` (same leading axes; strided views are fine): `[*, L, Ev]`.
    /// See [`crate::attention`] for the semantics (PyTorch's).
    ///
    /// ```
    /// use kindling_tensor::attention::AttentionConfig;
    /// use kindling_tensor::Tensor;
    ///
    /// // One query, two keys with equal scores: the output is the mean of the values.
    /// let q = Tensor::from([[[1.0f64, 0.0]]]);
    /// let k = Tensor::from([[[0.0, 1.0], [0.0, -1.0]]]);
    /// let v = Tensor::from([[[2.0], [4.0]]]);
    /// let out = q.scaled_dot_product_attention(&k, &v, &AttentionConfig::default());
    /// assert_eq!(out.to_vec(), vec![3.0]);
    /// ```
    pub fn scaled_dot_product_attention(&self, k: &Tensor<T>, v: &Tensor<T>, cfg: &AttentionConfig<T>) -> Tensor<T> {
        forward(self, k, v, cfg).out
    }
}

/// The attention weights `[*, L, S]`: the softmax over the keys of the masked, scaled scores,
/// after dropout when `cfg.dropout > 0` (the matrix that multiplies `v`; PyTorch's
/// `need_weights`). Always materialised by the naive kernel. Row i of causal weights sums to 1
/// over j <= i; a fully masked row is zeros.
pub fn attention_weights<T: Float>(q: &Tensor<T>, k: &Tensor<T>, cfg: &AttentionConfig<T>) -> Tensor<T> {
    let p = Problem::new("attention_weights", q, k, None, cfg);
    naive::weights(&p, true)
}

/// The forward pass on the kernels of the current mode: the output and the row log-sum-exps.
pub fn forward<T: Float>(q: &Tensor<T>, k: &Tensor<T>, v: &Tensor<T>, cfg: &AttentionConfig<T>) -> AttentionForward<T> {
    let p = Problem::new("scaled_dot_product_attention", q, k, Some(v), cfg);
    if crate::kernels::use_fast() {
        fast::forward(&p)
    } else {
        naive::forward(&p)
    }
}

/// The backward pass on the kernels of the current mode: the gradients of q, k, v given the
/// gradient `d_out` of the output `[*, L, Ev]`. `fwd` is the forward pass of the same call (of
/// either mode); the naive kernel recomputes the weights, the fast one uses `fwd.lse`.
pub fn backward<T: Float>(
    q: &Tensor<T>,
    k: &Tensor<T>,
    v: &Tensor<T>,
    cfg: &AttentionConfig<T>,
    fwd: &AttentionForward<T>,
    d_out: &Tensor<T>,
) -> AttentionGrads<T> {
    let p = Problem::new("scaled_dot_product_attention backward", q, k, Some(v), cfg);
    let want = p.out_shape();
    if d_out.shape() != want.as_slice() || fwd.out.shape() != want.as_slice() {
        panic!(
            "scaled_dot_product_attention backward: the output gradient has shape {} and the output {}, expected {} for q {}, k {}, v {}",
            dims_str(d_out.shape()),
            dims_str(fwd.out.shape()),
            dims_str(&want),
            dims_str(q.shape()),
            dims_str(k.shape()),
            dims_str(v.shape())
        );
    }
    if crate::kernels::use_fast() {
        fast::backward(&p, fwd, d_out)
    } else {
        naive::backward(&p, d_out)
    }
}

/// The gradients of q and k given the gradient `d_weights` `[*, L, S]` of
/// [`attention_weights`]' result (the backward of that function; naive).
pub fn weights_backward<T: Float>(
    q: &Tensor<T>,
    k: &Tensor<T>,
    cfg: &AttentionConfig<T>,
    d_weights: &Tensor<T>,
) -> (Tensor<T>, Tensor<T>) {
    let p = Problem::new("attention_weights backward", q, k, None, cfg);
    let mut want = p.lead.clone();
    want.extend([p.l, p.s]);
    if d_weights.shape() != want.as_slice() {
        panic!(
            "attention_weights backward: the weights' gradient has shape {}, expected {} for q {}, k {}",
            dims_str(d_weights.shape()),
            dims_str(&want),
            dims_str(q.shape()),
            dims_str(k.shape())
        );
    }
    naive::weights_backward(&p, d_weights)
}

/// Whether dropout keeps weight `(i, j)` of flat batch-head `n` (row-major over the leading
/// axes) for this `seed` and drop probability `p`: a pure function of its arguments (a
/// splitmix64-style hash), so every kernel and both passes agree.
pub fn dropout_keep(seed: u64, p: f64, n: usize, i: usize, j: usize) -> bool {
    Dropout::new(seed, p).map_or(true, |d| d.keep(d.row_key(n, i), j))
}

/// The dropout decision, prepared once per call.
#[derive(Clone, Copy)]
pub(crate) struct Dropout {
    seed_key: u64,
    /// Hashes below this are dropped: p · 2⁶⁴.
    threshold: u64,
    /// 1 / (1 - p).
    pub(crate) keep_scale: f64,
}

#[inline(always)]
fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl Dropout {
    pub(crate) fn new(seed: u64, p: f64) -> Option<Self> {
        (p > 0.0).then(|| Dropout {
            seed_key: mix64(seed.wrapping_add(0x9e37_79b9_7f4a_7c15)),
            threshold: (p * 2f64.powi(64)) as u64,
            keep_scale: 1.0 / (1.0 - p),
        })
    }

    /// The part of the hash shared by one row (one query of one batch-head).
    #[inline(always)]
    pub(crate) fn row_key(&self, n: usize, i: usize) -> u64 {
        mix64(self.seed_key ^ mix64(((n as u64) << 32) ^ i as u64))
    }

    #[inline(always)]
    pub(crate) fn keep(&self, row_key: u64, j: usize) -> bool {
        mix64(row_key ^ (j as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)) >= self.threshold
    }
}

/// A `[*, R, C]` tensor seen as one `R × C` matrix per flat batch-head: element `(n, r, c)` is
/// at `bases[n] + r·row + c·col` in `tensor`'s buffer (broadcast axes have stride 0).
#[derive(Clone)]
pub(crate) struct Mats<E: Element> {
    tensor: Tensor<E>,
    pub(crate) bases: Vec<usize>,
    pub(crate) row: usize,
    pub(crate) col: usize,
}

impl<E: Element> Mats<E> {
    /// `t` broadcast (already checked) to `lead ++ [rows, cols]`.
    fn new(t: &Tensor<E>, lead: &[usize], rows: usize, cols: usize) -> Self {
        let mut target = lead.to_vec();
        target.extend([rows, cols]);
        let strides = t.layout().broadcast_strides("scaled_dot_product_attention", &target);
        let n = lead.iter().product::<usize>();
        let bases = (0..n)
            .map(|flat| {
                let idx = unravel_index(flat, lead);
                t.offset() + idx.iter().zip(&strides).map(|(i, s)| i * s).sum::<usize>()
            })
            .collect();
        let r = lead.len();
        Mats { tensor: t.clone(), bases, row: strides[r], col: strides[r + 1] }
    }

    #[inline(always)]
    pub(crate) fn buf(&self) -> &[E] {
        self.tensor.buffer()
    }

    #[inline(always)]
    pub(crate) fn get(&self, n: usize, r: usize, c: usize) -> E {
        self.buf()[self.bases[n] + r * self.row + c * self.col]
    }

    /// These matrices with dense rows (column stride 1), copied once if they have none: what
    /// the fast kernels read. Only for an operand (q, k, v), whose shape is `lead ++ [rows, cols]`.
    pub(crate) fn with_dense_rows(&self, lead: &[usize], rows: usize, cols: usize) -> Self {
        if self.col == 1 || cols <= 1 {
            return self.clone();
        }
        Mats::new(&self.tensor.contiguous(), lead, rows, cols)
    }
}

/// One checked call: the sizes, the operands as per-head matrices, the resolved masks.
pub(crate) struct Problem<T: Float> {
    pub(crate) lead: Vec<usize>,
    /// The number of batch-heads (the product of the leading axes).
    pub(crate) n: usize,
    pub(crate) l: usize,
    pub(crate) s: usize,
    pub(crate) e: usize,
    pub(crate) ev: usize,
    pub(crate) q: Mats<T>,
    pub(crate) k: Mats<T>,
    /// Absent for [`attention_weights`].
    pub(crate) v: Option<Mats<T>>,
    pub(crate) allow: Option<Mats<bool>>,
    pub(crate) additive: Option<Mats<T>>,
    /// Key padding broadcast to `[*, L, S]` (row stride 0): true = excluded.
    pub(crate) padding: Option<Mats<bool>>,
    pub(crate) causal: bool,
    pub(crate) scale: T,
    pub(crate) dropout: Option<Dropout>,
}

impl<T: Float> Problem<T> {
    fn new(op: &str, q: &Tensor<T>, k: &Tensor<T>, v: Option<&Tensor<T>>, cfg: &AttentionConfig<T>) -> Self {
        let all = || {
            let mut s = format!("q {}, k {}", dims_str(q.shape()), dims_str(k.shape()));
            if let Some(v) = v {
                s += &format!(", v {}", dims_str(v.shape()));
            }
            s
        };
        let (qs, ks) = (q.shape(), k.shape());
        if qs.len() < 2 || ks.len() != qs.len() || v.is_some_and(|v| v.rank() != qs.len()) {
            panic!(
                "{op}: q, k and v must have the same rank (at least 2: [*, L, E], [*, S, E], [*, S, Ev]), got {}",
                all()
            );
        }
        let r = qs.len() - 2;
        let lead = qs[..r].to_vec();
        if ks[..r] != lead[..] || v.is_some_and(|v| v.shape()[..r] != lead[..]) {
            panic!("{op}: q, k and v must have the same leading (batch) axes, got {}", all());
        }
        let (l, e, s) = (qs[r], qs[r + 1], ks[r]);
        if ks[r + 1] != e {
            panic!("{op}: q and k must have the same feature size E ([*, L, E] and [*, S, E]), got {}", all());
        }
        let ev = v.map_or(0, |v| v.shape()[r + 1]);
        if v.is_some_and(|v| v.shape()[r] != s) {
            panic!("{op}: k and v must have the same number of keys S ([*, S, E] and [*, S, Ev]), got {}", all());
        }
        if !(0.0..1.0).contains(&cfg.dropout) {
            panic!("{op}: dropout must be in [0, 1), got {} (with {})", cfg.dropout, all());
        }
        let mut target = lead.clone();
        target.extend([l, s]);
        let broadcastable = |shape: &[usize]| {
            shape.len() <= target.len() && shape.iter().rev().zip(target.iter().rev()).all(|(&d, &t)| d == t || d == 1)
        };
        let (mut allow, mut additive) = (None, None);
        match &cfg.mask {
            Some(AttentionMask::Bool(m)) => {
                if !broadcastable(m.shape()) {
                    panic!(
                        "{op}: the boolean mask of shape {} does not broadcast to {} ({})",
                        dims_str(m.shape()),
                        dims_str(&target),
                        all()
                    );
                }
                allow = Some(Mats::new(m, &lead, l, s));
            }
            Some(AttentionMask::Additive(m)) => {
                if !broadcastable(m.shape()) {
                    panic!(
                        "{op}: the additive mask of shape {} does not broadcast to {} ({})",
                        dims_str(m.shape()),
                        dims_str(&target),
                        all()
                    );
                }
                additive = Some(Mats::new(m, &lead, l, s));
            }
            None => {}
        }
        let padding = cfg.key_padding.as_ref().map(|pad| {
            if r == 0 || pad.shape() != [lead[0], s] {
                panic!(
                    "{op}: key padding must be [B, S] = [{}, {s}] (B the first batch axis), got {} ({})",
                    lead.first().map_or("none".to_string(), |b| b.to_string()),
                    dims_str(pad.shape()),
                    all()
                );
            }
            // [B, S] → [B, 1, …, 1, S] → [*, L, S].
            let mut shape = vec![lead[0]];
            shape.extend(std::iter::repeat_n(1, r));
            shape.push(s);
            Mats::new(&pad.reshape(shape), &lead, l, s)
        });
        let scale = cfg.scale.unwrap_or(1.0 / (e as f64).sqrt());
        if !scale.is_finite() {
            panic!("{op}: the scale must be finite, got {scale} ({})", all());
        }
        Problem {
            n: lead.iter().product(),
            lead: lead.clone(),
            l,
            s,
            e,
            ev,
            q: Mats::new(q, &lead, l, e),
            k: Mats::new(k, &lead, s, e),
            v: v.map(|v| Mats::new(v, &lead, s, ev)),
            allow,
            additive,
            padding,
            causal: cfg.is_causal,
            scale: T::from_f64(scale),
            dropout: Dropout::new(cfg.seed, cfg.dropout),
        }
    }

    pub(crate) fn out_shape(&self) -> Vec<usize> {
        let mut s = self.lead.clone();
        s.extend([self.l, self.ev]);
        s
    }

    pub(crate) fn v(&self) -> &Mats<T> {
        self.v.as_ref().expect("attention with values")
    }

    /// What the masks add to the scaled score `(n, i, j)`: 0, a finite bias, or -inf.
    #[inline(always)]
    pub(crate) fn bias(&self, n: usize, i: usize, j: usize) -> T {
        let excluded = (self.causal && j > i)
            || self.allow.as_ref().is_some_and(|m| !m.get(n, i, j))
            || self.padding.as_ref().is_some_and(|m| m.get(n, i, j));
        if excluded {
            return T::NEG_INFINITY;
        }
        self.additive.as_ref().map_or(T::ZERO, |m| m.get(n, i, j))
    }
}
