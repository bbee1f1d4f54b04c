//! The key-value cache: each layer's keys and values of the tokens seen so far, so that
//! generating one more token costs one token's work instead of the whole context's.

use super::{Gpt, GptConfig};
use kindling_autograd::no_grad;
use kindling_tensor::shape::dims_str;
use kindling_tensor::{Float, Tensor};

/// Per layer, keys and values `[B, H, block_size, D]`, allocated once and filled in place; the
/// first [`len`](KvCache::len) positions are valid.
///
/// ```
/// use kindling_transformer::gpt::{Gpt, GptConfig, KvCache};
/// use kindling_tensor::{Rng, Tensor};
///
/// let model = Gpt::<f32>::new(GptConfig::tiny(65), &mut Rng::seed(0));
/// let mut cache = KvCache::new(model.config(), 1);
/// let prompt = model.forward_cached(&Tensor::from([[1i64, 2, 3]]), &mut cache); // [1, 65]
/// let next = model.forward_cached(&Tensor::from([[4i64]]), &mut cache); // one token's work
/// assert_eq!((cache.len(), next.shape()), (4, &[1usize, 65][..]));
/// ```
pub struct KvCache<T: Float = f32> {
    keys: Vec<Tensor<T>>,
    values: Vec<Tensor<T>>,
    batch: usize,
    len: usize,
}

/// One layer's slice of the cache during a forward pass.
pub(super) struct LayerKv<'a, T: Float> {
    keys: &'a mut Tensor<T>,
    values: &'a mut Tensor<T>,
    /// The position of the first new token (how many are cached before this pass).
    pub(super) start: usize,
}

impl<T: Float> KvCache<T> {
    /// An empty cache for `batch` sequences of a model with this configuration.
    pub fn new(config: &GptConfig, batch: usize) -> Self {
        let shape = [batch, config.n_head, config.block_size, config.head_dim()];
        KvCache {
            keys: (0..config.n_layer).map(|_| Tensor::zeros(shape)).collect(),
            values: (0..config.n_layer).map(|_| Tensor::zeros(shape)).collect(),
            batch,
            len: 0,
        }
    }

    /// How many positions are cached.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True when nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The most positions the cache holds (the model's `block_size`).
    pub fn capacity(&self) -> usize {
        self.keys.first().map_or(0, |k| k.shape()[2])
    }

    /// The number of sequences.
    pub fn batch(&self) -> usize {
        self.batch
    }

    /// Forgets every position (the memory stays allocated).
    pub fn clear(&mut self) {
        self.len = 0;
    }

    /// Layer `layer`'s slice for the next pass.
    pub(super) fn layer(&mut self, layer: usize) -> LayerKv<'_, T> {
        LayerKv { keys: &mut self.keys[layer], values: &mut self.values[layer], start: self.len }
    }

    /// Panics unless this cache was made for `config`.
    fn check_fits(&self, config: &GptConfig) {
        let expected = [self.batch, config.n_head, config.block_size, config.head_dim()];
        if self.keys.len() != config.n_layer || self.keys.first().is_some_and(|k| k.shape() != expected) {
            panic!(
                "Gpt::forward_cached: the cache has {} layers of {}, the model needs {} of {}",
                self.keys.len(),
                self.keys.first().map_or("[]".to_string(), |k| dims_str(k.shape())),
                config.n_layer,
                dims_str(&expected)
            );
        }
    }
}

/// Writes `new` `[B, H, T, D]` into `buffer` `[B, H, S, D]` at positions `start..start + T`.
fn write_rows<T: Float>(buffer: &mut Tensor<T>, new: &Tensor<T>, start: usize) {
    let (s, d) = (buffer.shape()[2], buffer.shape()[3]);
    let t = new.shape()[2];
    let new = new.contiguous();
    let src = new.as_slice().expect("contiguous");
    // Nothing else holds the buffer between passes, so this writes in place.
    let dst = buffer.make_mut();
    for (head, rows) in src.chunks_exact(t * d).enumerate() {
        let at = (head * s + start) * d;
        dst[at..at + t * d].copy_from_slice(rows);
    }
}

impl<T: Float> LayerKv<'_, T> {
    /// Appends the new keys and values `[B, H, T, D]` and returns views of every cached one,
    /// `[B, H, start + T, D]`.
    pub(super) fn append(self, k: &Tensor<T>, v: &Tensor<T>) -> (Tensor<T>, Tensor<T>) {
        let len = self.start + k.shape()[2];
        write_rows(self.keys, k, self.start);
        write_rows(self.values, v, self.start);
        (self.keys.narrow(2, 0, len), self.values.narrow(2, 0, len))
    }
}

impl<T: Float> Gpt<T> {
    /// Runs the new tokens `idx` `[B, T_new]` after those already in `cache`, appends their
    /// keys and values to it, and returns the logits of the last position, `[B, V]`. Records
    /// no graph and applies no dropout.
    ///
    /// With an empty cache this is the prompt (the queries see each other causally); then one
    /// token at a time (it sees every cached key). `cache.len() + T_new` must not exceed
    /// `block_size`: [`Gpt::generate`] re-encodes the last `block_size` tokens when it would.
    pub fn forward_cached(&self, idx: &Tensor<i64>, cache: &mut KvCache<T>) -> Tensor<T> {
        const OP: &str = "Gpt::forward_cached";
        cache.check_fits(&self.config);
        let (b, t) = self.check_tokens(OP, idx, cache.len());
        if b != cache.batch {
            panic!("{OP}: idx of shape {} does not fit a cache made for batch {}", dims_str(idx.shape()), cache.batch);
        }
        no_grad(|| {
            let hidden = self.hidden(idx, cache.len(), Some(cache), false);
            cache.len += t;
            self.last_logits(&hidden, b, t)
        })
    }

    /// The logits `[B, V]` of the last of each sequence's `t` rows in `hidden` `[B·T, C]`.
    pub(crate) fn last_logits(&self, hidden: &kindling_autograd::Variable<T>, b: usize, t: usize) -> Tensor<T> {
        let c = self.config.n_embd;
        let last = hidden.reshape(vec![b, t, c]).select(1, t - 1);
        self.head(&last).value()
    }
}
