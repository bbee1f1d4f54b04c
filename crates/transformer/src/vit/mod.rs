//! A vision transformer (book chapter 15), with torchvision's `VisionTransformer` parameter
//! names so its state dict reads like theirs.
//!
//! An image `[C, H, W]` is cut into non-overlapping `p × p` patches; each patch, flattened, is
//! projected to a token of width D (`conv_proj`, a convolution whose kernel and stride are
//! both `p`). A learned class token is put in front, learned position embeddings are added,
//! and the `N + 1` tokens go through `depth` pre-norm encoder layers
//! (`x + attn(ln_1(x))`, then `x + mlp(ln_2(x))`). The class token's final state, after
//! `encoder.ln`, is the image's representation; `heads.head` maps it to class logits.
//!
//! ```
//! use kindling_autograd::Variable;
//! use kindling_nn::Module;
//! use kindling_tensor::{Rng, Tensor};
//! use kindling_transformer::vit::{Vit, VitConfig};
//!
//! let config = VitConfig { image_size: 8, patch_size: 4, in_channels: 1, num_classes: 3, dim: 16,
//!                          depth: 2, heads: 2, mlp_dim: 32, dropout: 0.0 };
//! let model = Vit::<f32>::new(config, &mut Rng::seed(0));
//! let images = Variable::constant(Tensor::rand([5, 1, 8, 8], &mut Rng::seed(1)));
//! assert_eq!(model.forward(&images).shape(), [5, 3]);
//! assert_eq!(model.named_parameters()[0].0, "class_token");
//! ```
//!
//! Like the GPT, the model keeps its activations as `[B·T, D]` rows between the patch
//! embedding and the head, so every projection is one matrix product; only attention views
//! them as `[B, heads, T, D/heads]`. Attention runs on the fused kernel
//! (`kindling_autograd::attention`), with no mask: every token sees every other.

mod train;

pub use train::{evaluate, flip_and_shift, train, VitEpoch, VitTrainConfig, VitTrainer};

use crate::attention::MultiheadAttention;
use kindling_autograd::attention::scaled_dot_product_attention;
use kindling_autograd::Variable;
use kindling_nn::{init, Dropout, Forward, LayerNorm, Linear, Module, Visitor};
use kindling_tensor::attention::AttentionConfig;
use kindling_tensor::shape::dims_str;
use kindling_tensor::{Float, Rng, Tensor};

/// The vision transformer's hyperparameters.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct VitConfig {
    /// Height and width of the (square) input images.
    pub image_size: usize,
    /// Height and width of a patch; must divide `image_size`.
    pub patch_size: usize,
    /// Channels of the input images (1 for grey-scale).
    pub in_channels: usize,
    /// Number of output classes.
    pub num_classes: usize,
    /// Width D of every token.
    pub dim: usize,
    /// Number of encoder layers.
    pub depth: usize,
    /// Attention heads per layer; must divide `dim`.
    pub heads: usize,
    /// Hidden width of each layer's MLP.
    pub mlp_dim: usize,
    /// Dropout after the position embedding and on each residual branch (0 = none).
    pub dropout: f64,
}

/// torchvision's LayerNorm epsilon in the vision transformer.
const LN_EPS: f64 = 1e-6;

impl VitConfig {
    /// The Fashion-MNIST model of chapter 15: 28×28 grey images cut into 7×7 patches (16
    /// tokens and the class token), width 64, 6 layers of 4 heads, MLP width 128, no dropout.
    pub fn fashion_mnist() -> Self {
        VitConfig {
            image_size: 28,
            patch_size: 7,
            in_channels: 1,
            num_classes: 10,
            dim: 64,
            depth: 6,
            heads: 4,
            mlp_dim: 128,
            dropout: 0.0,
        }
    }

    /// The number of patches N = (image_size / patch_size)².
    pub fn num_patches(&self) -> usize {
        let side = self.image_size / self.patch_size;
        side * side
    }

    /// The sequence length N + 1 (the patches and the class token).
    pub fn seq_len(&self) -> usize {
        self.num_patches() + 1
    }

    fn check(&self) {
        let sizes = [
            self.image_size,
            self.patch_size,
            self.in_channels,
            self.num_classes,
            self.dim,
            self.depth,
            self.heads,
            self.mlp_dim,
        ];
        if sizes.contains(&0) {
            panic!("VitConfig: every size must be positive, got {self:?}");
        }
        if !self.image_size.is_multiple_of(self.patch_size) {
            panic!("VitConfig: patch_size {} does not divide image_size {}", self.patch_size, self.image_size);
        }
        if !self.dim.is_multiple_of(self.heads) {
            panic!("VitConfig: dim {} is not divisible by heads {}", self.dim, self.heads);
        }
        if !(0.0..1.0).contains(&self.dropout) {
            panic!("VitConfig: dropout {} is outside [0, 1)", self.dropout);
        }
    }
}

/// A linear layer on `[N, in]` rows, as one op.
fn apply<T: Float>(layer: &Linear<T>, x: &Variable<T>) -> Variable<T> {
    x.linear(&layer.weight, layer.bias.as_ref())
}

/// torchvision's `MLPBlock`: `mlp.0` (D → mlp_dim), GELU, dropout, `mlp.3` (mlp_dim → D),
/// dropout. Linear weights Xavier-uniform, biases N(0, 10⁻¹²), as torchvision initialises them.
struct Mlp<T: Float> {
    fc1: Linear<T>,
    fc2: Linear<T>,
    dropout: Dropout,
}

impl<T: Float> Mlp<T> {
    fn new(config: &VitConfig, rng: &mut Rng) -> Self {
        let linear = |fan_in: usize, fan_out: usize, rng: &mut Rng| {
            let weight = init::xavier_uniform([fan_out, fan_in], 1.0, rng);
            Linear::from_weights(weight, Some(init::normal([fan_out], 0.0, 1e-6, rng)))
        };
        Mlp {
            fc1: linear(config.dim, config.mlp_dim, rng),
            fc2: linear(config.mlp_dim, config.dim, rng),
            dropout: Dropout::new(config.dropout, rng),
        }
    }

    fn forward(&self, x: &Variable<T>) -> Variable<T> {
        let hidden = self.dropout.forward(&apply(&self.fc1, x).gelu());
        self.dropout.forward(&apply(&self.fc2, &hidden))
    }
}

impl<T: Float> Module<T> for Mlp<T> {
    fn visit(&self, v: &mut Visitor<'_, T>) {
        // torchvision's MLPBlock is a Sequential: 0 Linear, 1 GELU, 2 Dropout, 3 Linear, 4 Dropout.
        v.child("0", &self.fc1);
        v.child("3", &self.fc2);
        v.child("dropout", &self.dropout);
    }
}

/// One pre-norm encoder layer (torchvision's `EncoderBlock`).
struct EncoderBlock<T: Float> {
    ln_1: LayerNorm<T>,
    self_attention: MultiheadAttention<T>,
    dropout: Dropout,
    ln_2: LayerNorm<T>,
    mlp: Mlp<T>,
    heads: usize,
}

impl<T: Float> EncoderBlock<T> {
    fn new(config: &VitConfig, rng: &mut Rng) -> Self {
        EncoderBlock {
            ln_1: LayerNorm::new([config.dim]).eps(LN_EPS),
            self_attention: MultiheadAttention::new(config.dim, config.heads, rng).batch_first(true),
            dropout: Dropout::new(config.dropout, rng),
            ln_2: LayerNorm::new([config.dim]).eps(LN_EPS),
            mlp: Mlp::new(config, rng),
            heads: config.heads,
        }
    }

    /// Self-attention of `x`, `[B·T, D]` rows of `b` sequences of `t` tokens, with the
    /// `MultiheadAttention`'s weights: q, k and v each from its third of `in_proj_weight`,
    /// so each is a dense `[B·T, D]` that views as `[B, H, T, D/H]` without a copy.
    fn attend(&self, x: &Variable<T>, b: usize, t: usize) -> Variable<T> {
        let mha = &self.self_attention;
        let d = x.shape()[1];
        let (h, hd) = (self.heads, d / self.heads);
        let heads = |part: usize| {
            let w = mha.in_proj_weight.narrow(0, part * d, d);
            let bias = mha.in_proj_bias.as_ref().map(|bias| bias.narrow(0, part * d, d));
            x.linear(&w, bias.as_ref()).reshape(vec![b, t, h, hd]).permute([0, 2, 1, 3])
        };
        let y = scaled_dot_product_attention(&heads(0), &heads(1), &heads(2), &AttentionConfig::new());
        apply(&mha.out_proj, &y.permute([0, 2, 1, 3]).reshape(vec![b * t, d]))
    }

    fn forward(&self, x: &Variable<T>, b: usize, t: usize) -> Variable<T> {
        let x = x + &self.dropout.forward(&self.attend(&self.ln_1.forward(x), b, t));
        &x + &self.mlp.forward(&self.ln_2.forward(&x))
    }
}

impl<T: Float> Module<T> for EncoderBlock<T> {
    fn visit(&self, v: &mut Visitor<'_, T>) {
        v.child("ln_1", &self.ln_1);
        v.child("self_attention", &self.self_attention);
        v.child("dropout", &self.dropout);
        v.child("ln_2", &self.ln_2);
        v.child("mlp", &self.mlp);
    }
}

/// torchvision's `Encoder`: position embedding, dropout, the layers, the final LayerNorm.
struct Encoder<T: Float> {
    pos_embedding: Variable<T>,
    dropout: Dropout,
    layers: Vec<EncoderBlock<T>>,
    ln: LayerNorm<T>,
}

impl<T: Float> Module<T> for Encoder<T> {
    fn visit(&self, v: &mut Visitor<'_, T>) {
        v.param("pos_embedding", &self.pos_embedding);
        v.child("dropout", &self.dropout);
        v.child("layers", &Layers(&self.layers));
        v.child("ln", &self.ln);
    }
}

/// The layer list, named `encoder_layer_{i}` as torchvision's `OrderedDict` names them.
struct Layers<'a, T: Float>(&'a [EncoderBlock<T>]);

impl<T: Float> Module<T> for Layers<'_, T> {
    fn visit(&self, v: &mut Visitor<'_, T>) {
        for (i, layer) in self.0.iter().enumerate() {
            v.child(&format!("encoder_layer_{i}"), layer);
        }
    }
}

/// torchvision's `heads` container, here only `head`.
struct Heads<T: Float> {
    head: Linear<T>,
}

impl<T: Float> Module<T> for Heads<T> {
    fn visit(&self, v: &mut Visitor<'_, T>) {
        v.child("head", &self.head);
    }
}

/// The vision transformer: see the [module docs](self).
pub struct Vit<T: Float = f32> {
    config: VitConfig,
    /// `[dim, C, p, p]` and `[dim]`: the patch embedding as a convolution's parameters.
    conv_weight: Variable<T>,
    conv_bias: Variable<T>,
    class_token: Variable<T>,
    encoder: Encoder<T>,
    heads: Heads<T>,
}

impl<T: Float> Vit<T> {
    /// A freshly initialised model, as torchvision initialises one: `conv_proj.weight`
    /// N(0, 1/fan_in) (torchvision truncates it at ±2σ; we do not), biases of the patch
    /// embedding zero, the class token zero, positions N(0, 0.02²), attention as
    /// `nn.MultiheadAttention`, MLP weights Xavier-uniform, and the head all zero.
    pub fn new(config: VitConfig, rng: &mut Rng) -> Self {
        config.check();
        let (d, c, p) = (config.dim, config.in_channels, config.patch_size);
        let fan_in = c * p * p;
        let conv_weight = Variable::param(init::normal([d, c, p, p], 0.0, (1.0 / fan_in as f64).sqrt(), rng));
        let conv_bias = Variable::param(Tensor::zeros([d]));
        let class_token = Variable::param(Tensor::zeros([1, 1, d]));
        let pos_embedding = Variable::param(init::normal([1, config.seq_len(), d], 0.0, 0.02, rng));
        let dropout = Dropout::new(config.dropout, rng);
        let layers = (0..config.depth).map(|_| EncoderBlock::new(&config, rng)).collect();
        let encoder = Encoder { pos_embedding, dropout, layers, ln: LayerNorm::new([d]).eps(LN_EPS) };
        let head =
            Linear::from_weights(Tensor::zeros([config.num_classes, d]), Some(Tensor::zeros([config.num_classes])));
        Vit { config, conv_weight, conv_bias, class_token, encoder, heads: Heads { head } }
    }

    /// The hyperparameters.
    pub fn config(&self) -> &VitConfig {
        &self.config
    }

    /// Class logits `[B, num_classes]` of images `[B, C, H, W]`.
    pub fn forward(&self, images: &Variable<T>) -> Variable<T> {
        let cls = self.features(images);
        apply(&self.heads.head, &cls)
    }

    /// The class token's final state `[B, dim]` (after `encoder.ln`): the representation the
    /// head classifies.
    pub fn features(&self, images: &Variable<T>) -> Variable<T> {
        let b = self.check_images("Vit::forward", images);
        let (d, t) = (self.config.dim, self.config.seq_len());
        let patches = self.patch_embedding(images).reshape(vec![b, t - 1, d]);
        let cls = self.class_token.expand([b as isize, 1, d as isize]);
        let tokens = &Variable::cat(&[&cls, &patches], 1) + &self.encoder.pos_embedding;
        let mut x = self.encoder.dropout.forward(&tokens).reshape(vec![b * t, d]);
        for layer in &self.encoder.layers {
            x = layer.forward(&x, b, t);
        }
        // LayerNorm works token by token, so normalising the class tokens alone gives what
        // torchvision's `encoder.ln` on the whole sequence then `[:, 0]` gives.
        let cls = x.reshape(vec![b, t, d]).select(1, 0);
        self.encoder.ln.forward(&cls)
    }

    /// The patch embedding on `[B·N, D]` rows, patches in row-major order: the convolution
    /// with kernel = stride = p is a product of each flattened patch with the kernel
    /// `[D, C·p·p]`, since the windows do not overlap.
    fn patch_embedding(&self, images: &Variable<T>) -> Variable<T> {
        let s = images.shape();
        let (b, c, p) = (s[0], s[1], self.config.patch_size);
        let side = self.config.image_size / p;
        // [B, C, side, p, side, p] → [B, side, side, C, p, p]: each patch's pixels in the
        // kernel's (channel, row, column) order.
        let patches = images
            .reshape(vec![b, c, side, p, side, p])
            .permute([0, 2, 4, 1, 3, 5])
            .reshape(vec![b * side * side, c * p * p]);
        let kernel = self.conv_weight.reshape(vec![self.config.dim, c * p * p]);
        patches.linear(&kernel, Some(&self.conv_bias))
    }

    fn check_images(&self, op: &str, images: &Variable<T>) -> usize {
        let s = images.shape();
        let (c, n) = (self.config.in_channels, self.config.image_size);
        if s.len() != 4 || s[1] != c || s[2] != n || s[3] != n || s[0] == 0 {
            panic!("{op}: images must be [B, {c}, {n}, {n}] with B > 0, got {}", dims_str(&s));
        }
        s[0]
    }
}

/// torchvision's `conv_proj` (its weight and bias as a `Conv2d`'s).
struct ConvProj<'a, T: Float> {
    weight: &'a Variable<T>,
    bias: &'a Variable<T>,
}

impl<T: Float> Module<T> for ConvProj<'_, T> {
    fn visit(&self, v: &mut Visitor<'_, T>) {
        v.param("weight", self.weight);
        v.param("bias", self.bias);
    }
}

impl<T: Float> Module<T> for Vit<T> {
    fn visit(&self, v: &mut Visitor<'_, T>) {
        v.param("class_token", &self.class_token);
        v.child("conv_proj", &ConvProj { weight: &self.conv_weight, bias: &self.conv_bias });
        v.child("encoder", &self.encoder);
        v.child("heads", &self.heads);
    }
}

impl<T: Float> Forward<T> for Vit<T> {
    fn forward(&self, images: &Variable<T>) -> Variable<T> {
        Vit::forward(self, images)
    }
}
