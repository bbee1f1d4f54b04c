//! The course's convolutional networks, built from this crate's layers: TinyVGG (CNN
//! Explainer), LeNet-5, residual blocks and a small ResNet, the simple Keras-style CNN of the
//! notes, and the DCGAN generator and discriminator.
//!
//! All output logits (no softmax or sigmoid at the end unless the architecture's definition
//! has one, like DCGAN's tanh and sigmoid); pair classifiers with
//! [`kindling_nn::cross_entropy`].

use crate::{AdaptiveAvgPool2d, AvgPool2d, BatchNorm2d, Conv2d, ConvTranspose2d, MaxPool2d};
use kindling_autograd::Variable;
use kindling_nn::{
    module, Dropout, Flatten, Forward, LeakyReLU, Linear, Module, ReLU, Sequential, Sigmoid, Tanh, Visitor,
};
use kindling_nn::{Conv2dOptions, ConvTranspose2dOptions, Padding};
use kindling_tensor::shape::dims_str;
use kindling_tensor::{Float, Rng};

fn conv3x3<T: Float>(cin: usize, cout: usize, stride: usize, bias: bool, rng: &mut Rng) -> Conv2d<T> {
    let opts = Conv2dOptions::default().stride(stride).padding(1);
    Conv2d::with_options(cin, cout, (3, 3), opts, bias, rng)
}

/// TinyVGG, the network of CNN Explainer and of the course's computer-vision chapter: two
/// blocks of [conv 3×3 → ReLU → conv 3×3 → ReLU → max-pool 2], then flatten → linear. The
/// convolutions keep the size (padding 1), each pool halves it, so a 28×28 image reaches the
/// classifier as `hidden · 7 · 7` features.
pub struct TinyVgg<T: Float = f32> {
    pub block_1: Sequential<T>,
    pub block_2: Sequential<T>,
    pub classifier: Sequential<T>,
}
module!(TinyVgg<T> { block_1, block_2, classifier });

impl<T: Float> TinyVgg<T> {
    /// `in_channels` (1 for Fashion-MNIST), `hidden` channels (10 in the course), `classes`,
    /// and the input image size, which fixes the classifier's input.
    pub fn new(in_channels: usize, hidden: usize, classes: usize, image_size: (usize, usize), rng: &mut Rng) -> Self {
        let block = |cin: usize, rng: &mut Rng| {
            Sequential::<T>::default()
                .add(conv3x3(cin, hidden, 1, true, rng))
                .add(ReLU)
                .add(conv3x3(hidden, hidden, 1, true, rng))
                .add(ReLU)
                .add(MaxPool2d::new(2))
        };
        let block_1 = block(in_channels, rng);
        let block_2 = block(hidden, rng);
        let features = hidden * (image_size.0 / 4) * (image_size.1 / 4);
        let classifier = Sequential::<T>::default().add(Flatten::new()).add(Linear::new(features, classes, rng));
        TinyVgg { block_1, block_2, classifier }
    }
}

impl<T: Float> Forward<T> for TinyVgg<T> {
    fn forward(&self, x: &Variable<T>) -> Variable<T> {
        self.classifier.call(&self.block_2.call(&self.block_1.call(x)))
    }
}

/// LeNet-5 (LeCun et al., 1998) for 28×28 digits: conv 5×5 (6, padding 2) → tanh → avg-pool 2
/// → conv 5×5 (16) → tanh → avg-pool 2 → 120 → 84 → classes, tanh between the linear layers.
/// `features` holds the convolutional part, `classifier` the dense part.
pub struct LeNet5<T: Float = f32> {
    pub features: Sequential<T>,
    pub classifier: Sequential<T>,
}
module!(LeNet5<T> { features, classifier });

impl<T: Float> LeNet5<T> {
    pub fn new(in_channels: usize, classes: usize, rng: &mut Rng) -> Self {
        let c1 = Conv2d::with_options(in_channels, 6, (5, 5), Conv2dOptions::default().padding(2), true, rng);
        let features = Sequential::<T>::default()
            .add(c1)
            .add(Tanh)
            .add(AvgPool2d::new(2))
            .add(Conv2d::new(6, 16, 5, rng))
            .add(Tanh)
            .add(AvgPool2d::new(2));
        let classifier = Sequential::<T>::default()
            .add(Flatten::new())
            .add(Linear::new(16 * 5 * 5, 120, rng))
            .add(Tanh)
            .add(Linear::new(120, 84, rng))
            .add(Tanh)
            .add(Linear::new(84, classes, rng));
        LeNet5 { features, classifier }
    }
}

impl<T: Float> Forward<T> for LeNet5<T> {
    fn forward(&self, x: &Variable<T>) -> Variable<T> {
        self.classifier.call(&self.features.call(x))
    }
}

/// The basic residual block of ResNet-18/34: H(x) = ReLU(F(x) + shortcut(x)) with
/// F = conv 3×3 → BN → ReLU → conv 3×3 → BN. The shortcut is the identity, or a 1×1 strided
/// convolution + BN when the block changes the size or the channel count.
pub struct BasicBlock<T: Float = f32> {
    pub conv1: Conv2d<T>,
    pub bn1: BatchNorm2d<T>,
    pub conv2: Conv2d<T>,
    pub bn2: BatchNorm2d<T>,
    pub downsample: Option<Sequential<T>>,
}

impl<T: Float> BasicBlock<T> {
    pub fn new(in_channels: usize, out_channels: usize, stride: usize, rng: &mut Rng) -> Self {
        let downsample = (stride != 1 || in_channels != out_channels).then(|| {
            let opts = Conv2dOptions::default().stride(stride);
            Sequential::<T>::default()
                .add(Conv2d::with_options(in_channels, out_channels, (1, 1), opts, false, rng))
                .add(BatchNorm2d::new(out_channels))
        });
        BasicBlock {
            conv1: conv3x3(in_channels, out_channels, stride, false, rng),
            bn1: BatchNorm2d::new(out_channels),
            conv2: conv3x3(out_channels, out_channels, 1, false, rng),
            bn2: BatchNorm2d::new(out_channels),
            downsample,
        }
    }
}

impl<T: Float> Module<T> for BasicBlock<T> {
    fn visit(&self, v: &mut Visitor<'_, T>) {
        v.child("conv1", &self.conv1);
        v.child("bn1", &self.bn1);
        v.child("conv2", &self.conv2);
        v.child("bn2", &self.bn2);
        if let Some(d) = &self.downsample {
            v.child("downsample", d);
        }
    }
}

impl<T: Float> Forward<T> for BasicBlock<T> {
    fn forward(&self, x: &Variable<T>) -> Variable<T> {
        let f = self.bn1.call(&self.conv1.call(x)).relu();
        let f = self.bn2.call(&self.conv2.call(&f));
        let shortcut = match &self.downsample {
            Some(d) => d.call(x),
            None => x.clone(),
        };
        if f.shape() != shortcut.shape() {
            panic!("BasicBlock: residual {} and shortcut {} differ", dims_str(&f.shape()), dims_str(&shortcut.shape()));
        }
        (&f + &shortcut).relu()
    }
}

/// A small ResNet for small images (CIFAR-style): a 3×3 stem, then stages of [`BasicBlock`]s
/// whose first block halves the size (except in the first stage), global average pooling and
/// a linear classifier. `ResNet::new(3, 10, &[16, 32, 64], 3, rng)` is ResNet-20.
pub struct ResNet<T: Float = f32> {
    pub stem: Sequential<T>,
    pub layers: Vec<Vec<BasicBlock<T>>>,
    pub pool: AdaptiveAvgPool2d,
    pub fc: Linear<T>,
}

impl<T: Float> ResNet<T> {
    pub fn new(in_channels: usize, classes: usize, widths: &[usize], blocks_per_stage: usize, rng: &mut Rng) -> Self {
        assert!(!widths.is_empty() && blocks_per_stage > 0, "ResNet: needs at least one stage of at least one block");
        let stem = Sequential::<T>::default()
            .add(conv3x3(in_channels, widths[0], 1, false, rng))
            .add(BatchNorm2d::new(widths[0]))
            .add(ReLU);
        let mut layers = Vec::new();
        let mut cin = widths[0];
        for (s, &w) in widths.iter().enumerate() {
            let mut stage = Vec::new();
            for b in 0..blocks_per_stage {
                let stride = if s > 0 && b == 0 { 2 } else { 1 };
                stage.push(BasicBlock::new(cin, w, stride, rng));
                cin = w;
            }
            layers.push(stage);
        }
        ResNet { stem, layers, pool: AdaptiveAvgPool2d::global(), fc: Linear::new(cin, classes, rng) }
    }
}

impl<T: Float> Module<T> for ResNet<T> {
    fn visit(&self, v: &mut Visitor<'_, T>) {
        v.child("stem", &self.stem);
        v.child("layers", &self.layers);
        v.child("pool", &self.pool);
        v.child("fc", &self.fc);
    }
}

impl<T: Float> Forward<T> for ResNet<T> {
    fn forward(&self, x: &Variable<T>) -> Variable<T> {
        let mut h = self.stem.call(x);
        for block in self.layers.iter().flatten() {
            h = block.call(&h);
        }
        self.fc.call(&self.pool.call(&h).flatten(1, -1))
    }
}

/// The simple CNN of the course notes (Keras, 64×64×3 input): conv 3×3 (32) → ReLU → max-pool
/// → conv 3×3 (64) → ReLU → BN → max-pool → conv 3×3 (128) → ReLU → flatten → dropout 0.5 →
/// dense 128 → ReLU → dense `classes` (logits; the notes end in a softmax). Sizes: 64 → 62 →
/// 31 → 29 → 14 → 12, flattening to 12·12·128 = 18432 features.
pub fn simple_cnn<T: Float>(classes: usize, rng: &mut Rng) -> Sequential<T> {
    Sequential::<T>::default()
        .add(Conv2d::new(3, 32, 3, rng))
        .add(ReLU)
        .add(MaxPool2d::new(2))
        .add(Conv2d::new(32, 64, 3, rng))
        .add(ReLU)
        .add(BatchNorm2d::new(64))
        .add(MaxPool2d::new(2))
        .add(Conv2d::new(64, 128, 3, rng))
        .add(ReLU)
        .add(Flatten::new())
        .add(Dropout::new(0.5, rng))
        .add(Linear::new(12 * 12 * 128, 128, rng))
        .add(ReLU)
        .add(Linear::new(128, classes, rng))
}

/// The DCGAN generator (Radford et al.) for 64×64 images: a latent `[N, nz, 1, 1]` grows
/// 1 → 4 → 8 → 16 → 32 → 64 through 4×4 transposed convolutions (the first stride 1 without
/// padding, the rest stride 2 padding 1), with BN + ReLU between and tanh at the end.
pub fn dcgan_generator<T: Float>(nz: usize, ngf: usize, channels: usize, rng: &mut Rng) -> Sequential<T> {
    let up = |cin: usize, cout: usize, first: bool, rng: &mut Rng| {
        let opts = if first {
            ConvTranspose2dOptions::default()
        } else {
            ConvTranspose2dOptions::default().stride(2).padding(1)
        };
        ConvTranspose2d::<T>::with_options(cin, cout, (4, 4), opts, false, rng)
    };
    Sequential::<T>::default()
        .add(up(nz, ngf * 8, true, rng))
        .add(BatchNorm2d::new(ngf * 8))
        .add(ReLU)
        .add(up(ngf * 8, ngf * 4, false, rng))
        .add(BatchNorm2d::new(ngf * 4))
        .add(ReLU)
        .add(up(ngf * 4, ngf * 2, false, rng))
        .add(BatchNorm2d::new(ngf * 2))
        .add(ReLU)
        .add(up(ngf * 2, ngf, false, rng))
        .add(BatchNorm2d::new(ngf))
        .add(ReLU)
        .add(up(ngf, channels, false, rng))
        .add(Tanh)
}

/// The DCGAN discriminator: 64 → 32 → 16 → 8 → 4 through 4×4 stride-2 convolutions with
/// LeakyReLU(0.2) (BN from the second on), then a 4×4 convolution to one value and a sigmoid:
/// the output is `[N, 1, 1, 1]`, the probability that the image is real.
pub fn dcgan_discriminator<T: Float>(channels: usize, ndf: usize, rng: &mut Rng) -> Sequential<T> {
    let down = |cin: usize, cout: usize, rng: &mut Rng| {
        let opts = Conv2dOptions::default().stride(2).padding(Padding::Explicit(1, 1));
        Conv2d::<T>::with_options(cin, cout, (4, 4), opts, false, rng)
    };
    Sequential::<T>::default()
        .add(down(channels, ndf, rng))
        .add(LeakyReLU { alpha: 0.2 })
        .add(down(ndf, ndf * 2, rng))
        .add(BatchNorm2d::new(ndf * 2))
        .add(LeakyReLU { alpha: 0.2 })
        .add(down(ndf * 2, ndf * 4, rng))
        .add(BatchNorm2d::new(ndf * 4))
        .add(LeakyReLU { alpha: 0.2 })
        .add(down(ndf * 4, ndf * 8, rng))
        .add(BatchNorm2d::new(ndf * 8))
        .add(LeakyReLU { alpha: 0.2 })
        .add(Conv2d::with_options(ndf * 8, 1, (4, 4), Conv2dOptions::default(), false, rng))
        .add(Sigmoid)
}
