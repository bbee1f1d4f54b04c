//! One GPT block: x + attn(ln_1(x)), then x + mlp(ln_2(x)), on `[B·T, C]` rows.

use super::cache::LayerKv;
use super::{init_linear, layer_norm, Activation, GptConfig, INIT_STD};
use kindling_autograd::attention::scaled_dot_product_attention;
use kindling_autograd::Variable;
use kindling_nn::{Dropout, Forward, LayerNorm, Linear, Module, TrainingFlag, Visitor};
use kindling_tensor::attention::{AttentionConfig, AttentionMask};
use kindling_tensor::{Float, Rng, Tensor};
use std::sync::Mutex;

/// A linear layer on `[N, in]` rows, as one op (`Variable::linear`).
fn apply<T: Float>(layer: &Linear<T>, x: &Variable<T>) -> Variable<T> {
    x.linear(&layer.weight, layer.bias.as_ref())
}

/// The residual projections' standard deviation: 0.02/√(2·n_layer), since each block adds two
/// branches to the residual stream.
fn proj_std(config: &GptConfig) -> f64 {
    INIT_STD / (2.0 * config.n_layer as f64).sqrt()
}

/// Dropout on the attention weights. The kernel draws the mask itself from a seed, so this
/// layer keeps only the rate, the train/eval switch and the generator of the seeds.
pub(super) struct AttentionDropout {
    p: f64,
    rng: Mutex<Rng>,
    training: TrainingFlag,
}

impl AttentionDropout {
    fn new(p: f64, rng: &mut Rng) -> Self {
        AttentionDropout { p, rng: Mutex::new(rng.fork()), training: TrainingFlag::default() }
    }

    /// The rate and a fresh seed for this call, or zero rate when inactive.
    fn draw(&self) -> (f64, u64) {
        if self.p == 0.0 || !self.training.get() {
            return (0.0, 0);
        }
        (self.p, self.rng.lock().expect("attention dropout rng").next_u64())
    }
}

impl<T: Float> Module<T> for AttentionDropout {
    fn visit(&self, v: &mut Visitor<'_, T>) {
        v.mode(&self.training);
        v.rng(&self.rng);
    }
}

/// Multi-head causal self-attention with one fused q, k, v projection (`c_attn`).
pub(super) struct CausalSelfAttention<T: Float> {
    c_attn: Linear<T>,
    c_proj: Linear<T>,
    attn_dropout: AttentionDropout,
    resid_dropout: Dropout,
    n_head: usize,
}

/// Which keys each query sees.
pub(super) enum Visible {
    /// Key j for query i when j ≤ i (queries and keys start at the same position).
    Causal,
    /// Every key (one new query after the cached ones).
    All,
    /// Queries at positions `start..` over keys `0..`: key j for query i when j ≤ start + i.
    After(usize),
}

impl<T: Float> CausalSelfAttention<T> {
    fn new(config: &GptConfig, rng: &mut Rng) -> Self {
        let c = config.n_embd;
        CausalSelfAttention {
            c_attn: init_linear(c, 3 * c, INIT_STD, config.bias, rng),
            c_proj: init_linear(c, c, proj_std(config), config.bias, rng),
            attn_dropout: AttentionDropout::new(config.dropout, rng),
            resid_dropout: Dropout::new(config.dropout, rng),
            n_head: config.n_head,
        }
    }

    /// `x` is `[B·T, C]`; with `cache`, the new keys and values are appended to it and the
    /// queries attend to everything cached.
    fn forward(
        &self,
        x: &Variable<T>,
        b: usize,
        t: usize,
        cache: Option<LayerKv<'_, T>>,
        dropout: bool,
    ) -> Variable<T> {
        let c = x.shape()[1];
        let (h, d) = (self.n_head, c / self.n_head);
        // q, k and v each from its third of c_attn, so each is a dense [B·T, C] viewed as
        // [B, H, T, D] without a copy (slicing one [B·T, 3C] product instead would cost three
        // zero-filled [B·T, 3C] gradients in the backward).
        let heads = |part: usize| {
            let w = self.c_attn.weight.narrow(0, part * c, c);
            let bias = self.c_attn.bias.as_ref().map(|bias| bias.narrow(0, part * c, c));
            x.linear(&w, bias.as_ref()).reshape(vec![b, t, h, d]).permute([0, 2, 1, 3])
        };
        let (q, k, v) = (heads(0), heads(1), heads(2));
        let (p, seed) = if dropout { self.attn_dropout.draw() } else { (0.0, 0) };
        let y = match cache {
            None => attend(&q, &k, &v, Visible::Causal, p, seed),
            Some(cache) => {
                let start = cache.start;
                let (k_all, v_all) = cache.append(&k.value(), &v.value());
                let visible = match (start, t) {
                    (0, _) => Visible::Causal,
                    (_, 1) => Visible::All,
                    _ => Visible::After(start),
                };
                attend(&q, &Variable::constant(k_all), &Variable::constant(v_all), visible, 0.0, 0)
            }
        };
        // [B, H, T, D] → [B, T, H, D] → [B·T, C] (the one copy of the block's attention).
        let y = apply(&self.c_proj, &y.permute([0, 2, 1, 3]).reshape(vec![b * t, c]));
        if dropout {
            self.resid_dropout.forward(&y)
        } else {
            y
        }
    }
}

impl<T: Float> Module<T> for CausalSelfAttention<T> {
    fn visit(&self, v: &mut Visitor<'_, T>) {
        v.child("c_attn", &self.c_attn);
        v.child("c_proj", &self.c_proj);
        v.child("attn_dropout", &self.attn_dropout);
        v.child("resid_dropout", &self.resid_dropout);
    }
}

/// Scaled dot-product attention of q `[B, H, L, D]` over k, v `[B, H, S, D]` (the kernel
/// family's flash-style op: one recorded op, no `L × S` matrix kept for the backward).
fn attend<T: Float>(
    q: &Variable<T>,
    k: &Variable<T>,
    v: &Variable<T>,
    visible: Visible,
    p: f64,
    seed: u64,
) -> Variable<T> {
    let mut cfg = AttentionConfig { dropout: p, seed, ..AttentionConfig::new() };
    match visible {
        Visible::Causal => cfg.is_causal = true,
        Visible::All => {}
        Visible::After(start) => {
            // PyTorch's is_causal aligns the corners top-left; new queries after cached keys
            // need the bottom-right alignment, so spell the mask out.
            let (l, s) = (q.shape()[2], k.shape()[2]);
            let allowed: Vec<bool> = (0..l).flat_map(|i| (0..s).map(move |j| j <= start + i)).collect();
            cfg.mask = Some(AttentionMask::Bool(Tensor::from_vec(allowed, [l, s])));
        }
    }
    scaled_dot_product_attention(q, k, v, &cfg)
}

/// c_fc (C → 4C), GELU (exact or tanh), c_proj (4C → C), dropout.
pub(super) struct Mlp<T: Float> {
    c_fc: Linear<T>,
    c_proj: Linear<T>,
    dropout: Dropout,
    activation: Activation,
}

impl<T: Float> Module<T> for Mlp<T> {
    fn visit(&self, v: &mut Visitor<'_, T>) {
        v.child("c_fc", &self.c_fc);
        v.child("c_proj", &self.c_proj);
        v.child("dropout", &self.dropout);
    }
}

impl<T: Float> Mlp<T> {
    fn new(config: &GptConfig, rng: &mut Rng) -> Self {
        let c = config.n_embd;
        Mlp {
            c_fc: init_linear(c, 4 * c, INIT_STD, config.bias, rng),
            c_proj: init_linear(4 * c, c, proj_std(config), config.bias, rng),
            dropout: Dropout::new(config.dropout, rng),
            activation: config.activation,
        }
    }

    fn forward(&self, x: &Variable<T>, dropout: bool) -> Variable<T> {
        let hidden = apply(&self.c_fc, x);
        let hidden = match self.activation {
            Activation::Gelu => hidden.gelu(),
            Activation::GeluTanh => hidden.gelu_tanh(),
        };
        let y = apply(&self.c_proj, &hidden);
        if dropout {
            self.dropout.forward(&y)
        } else {
            y
        }
    }
}

/// A pre-norm transformer block.
pub(super) struct Block<T: Float> {
    ln_1: LayerNorm<T>,
    attn: CausalSelfAttention<T>,
    ln_2: LayerNorm<T>,
    mlp: Mlp<T>,
}

impl<T: Float> Module<T> for Block<T> {
    fn visit(&self, v: &mut Visitor<'_, T>) {
        v.child("ln_1", &self.ln_1);
        v.child("attn", &self.attn);
        v.child("ln_2", &self.ln_2);
        v.child("mlp", &self.mlp);
    }
}

impl<T: Float> Block<T> {
    pub(super) fn new(config: &GptConfig, rng: &mut Rng) -> Self {
        Block {
            ln_1: layer_norm(config),
            attn: CausalSelfAttention::new(config, rng),
            ln_2: layer_norm(config),
            mlp: Mlp::new(config, rng),
        }
    }

    /// `x` is the residual stream `[B·T, C]` of a batch of `b` sequences of `t` tokens.
    pub(super) fn forward(
        &self,
        x: &Variable<T>,
        b: usize,
        t: usize,
        cache: Option<LayerKv<'_, T>>,
        dropout: bool,
    ) -> Variable<T> {
        let x = x + &self.attn.forward(&self.ln_1.forward(x), b, t, cache, dropout);
        &x + &self.mlp.forward(&self.ln_2.forward(&x), dropout)
    }
}
