//! Chapter 7 of the Kindling book: computer vision and convolutional networks on
//! Fashion-MNIST.
//!
//! The book includes the code between the `ANCHOR` markers of this file; the demo
//! (`cargo run --release -p ch07-vision`, with `KINDLING_DATASETS` set) runs it and
//! writes what the chapter shows. Your exercises are in [`exercises`]; check them
//! with `cargo test -p ch07-vision --features learner`.

use kindling_autograd::{no_grad, Variable};
use kindling_data::datasets::{fashion_mnist, Split};
use kindling_data::{DataError, DataLoader, TensorDataset};
use kindling_nn::{cross_entropy, Flatten, Forward, Linear, ReLU, Sequential};
use kindling_optim::schedule::{CosineAnnealingLr, Scheduler};
use kindling_optim::{Adam, AdamConfig, Optimizer, Sgd, SgdConfig};
use kindling_tensor::kernel_api::conv::direct;
use kindling_tensor::{with_kernel_mode, KernelMode, Rng, Tensor};
use kindling_train::metrics::{predicted_classes, Accuracy};
use kindling_train::{predict, History, PerBatch, Progress, Trainer};
use kindling_vision::{conv2d, Conv2dOptions};
use std::path::Path;
use std::time::{Duration, Instant};

pub mod diagrams;
pub mod exercises;
pub mod solutions;

/// What the tests check: your code with `--features learner`, the solutions
/// without.
#[cfg(feature = "learner")]
pub use exercises as checked;
/// What the tests check: your code with `--features learner`, the solutions
/// without.
#[cfg(not(feature = "learner"))]
pub use solutions as checked;

// ANCHOR: data
/// Fashion-MNIST as training-ready tensors: images `[N, 1, 28, 28]` in [0, 1] (one
/// colour channel first, the layout convolutions expect) and labels `[N]`.
pub struct Fashion {
    pub train_x: Tensor<f32>,
    pub train_y: Tensor<i64>,
    pub test_x: Tensor<f32>,
    pub test_y: Tensor<i64>,
}

/// Reads both splits from `datasets/fashion-mnist/` (the folder `KINDLING_DATASETS`
/// names).
pub fn load_fashion(datasets: &Path) -> Result<Fashion, DataError> {
    let dir = datasets.join("fashion-mnist");
    let split = |s: Split| -> Result<(Tensor<f32>, Tensor<i64>), DataError> {
        let raw = fashion_mnist(&dir, s)?;
        let n = raw.len() as isize;
        let x = (raw.images.cast::<f32>() * (1.0 / 255.0)).reshape([n, 1, 28, 28]);
        Ok((x, raw.labels.cast::<i64>()))
    };
    let (train_x, train_y) = split(Split::Train)?;
    let (test_x, test_y) = split(Split::Test)?;
    Ok(Fashion { train_x, train_y, test_x, test_y })
}
// ANCHOR_END: data

// ANCHOR: baselines
/// Model 0: flatten the 28×28 image into 784 numbers and apply two linear layers.
/// With no nonlinearity between them the pair is still one linear map, of rank at
/// most `hidden`.
pub fn linear_baseline(hidden: usize, rng: &mut Rng) -> Sequential {
    Sequential::new()
        .add(Flatten::new())
        .add(Linear::new(784, hidden, rng))
        .add(Linear::new(hidden, 10, rng))
}

/// Model 1: a small multilayer perceptron, three linear layers (784 → hidden →
/// hidden → 10) with a ReLU after each of the first two. The last layer gives raw
/// logits: a ReLU after it would zero every negative score.
pub fn mlp(hidden: usize, rng: &mut Rng) -> Sequential {
    Sequential::new()
        .add(Flatten::new())
        .add(Linear::new(784, hidden, rng))
        .add(ReLU)
        .add(Linear::new(hidden, hidden, rng))
        .add(ReLU)
        .add(Linear::new(hidden, 10, rng))
}
// ANCHOR_END: baselines

// ANCHOR: recipe
/// How a model is trained: optimizer, learning rate, batch size, epochs, and
/// whether the learning rate follows a cosine from its start value down to zero
/// over the whole run (stepped after every batch).
#[derive(Clone, Copy, Debug)]
pub struct Recipe {
    pub adam: bool,
    pub lr: f64,
    pub batch: usize,
    pub epochs: usize,
    pub cosine: bool,
}

impl Recipe {
    /// The course's recipe: plain SGD, learning rate 0.1, batches of 32, three
    /// epochs.
    pub const COURSE: Recipe =
        Recipe { adam: false, lr: 0.1, batch: 32, epochs: 3, cosine: false };

    pub fn describe(&self) -> String {
        let opt = if self.adam { "Adam" } else { "SGD" };
        let sched = if self.cosine { ", cosine to 0" } else { "" };
        format!("{opt} lr {}{sched}, batch {}", self.lr, self.batch)
    }
}

/// Trains `model` on the training images with `Trainer::fit`, measuring test
/// accuracy after every epoch. Returns the history and the wall-clock training
/// time.
pub fn train(
    model: &dyn Forward,
    data: &Fashion,
    recipe: Recipe,
    seed: u64,
) -> (History, Duration) {
    let train = DataLoader::new(
        TensorDataset::new(data.train_x.clone(), data.train_y.clone()),
        recipe.batch,
    )
    .shuffle(true)
    .seed(seed);
    let test = test_batches(data, 1000);
    let mut optimizer: Box<dyn Optimizer> = if recipe.adam {
        Box::new(Adam::new(
            model.parameters(),
            AdamConfig { lr: recipe.lr, ..Default::default() },
        ))
    } else {
        Box::new(Sgd::new(
            model.parameters(),
            SgdConfig { lr: recipe.lr, ..Default::default() },
        ))
    };
    let steps = recipe.epochs * data.train_y.shape()[0].div_ceil(recipe.batch);
    let schedule = Scheduler::new(
        optimizer.as_mut(),
        CosineAnnealingLr { t_max: steps, eta_min: 0.0 },
    );
    let mut trainer = Trainer::new(model, optimizer.as_mut(), cross_entropy)
        .metric(Accuracy::new());
    if recipe.cosine {
        trainer = trainer.scheduler(PerBatch(schedule));
    }
    let mut trainer = trainer.progress(Progress::Auto);
    let start = Instant::now();
    let history = trainer
        .fit(&train, Some(&test), recipe.epochs)
        .expect("no checkpoints are written")
        .clone();
    (history, start.elapsed())
}

/// The test set in batches of `size`, the same every epoch.
pub fn test_batches(
    data: &Fashion,
    size: usize,
) -> Vec<(Tensor<f32>, Tensor<i64>)> {
    let n = data.test_y.shape()[0];
    (0..n)
        .step_by(size)
        .map(|s| {
            let len = size.min(n - s);
            (data.test_x.narrow(0, s, len), data.test_y.narrow(0, s, len))
        })
        .collect()
}
// ANCHOR_END: recipe

// ANCHOR: predict
/// The predicted class of every image, in batches of 1000 (no graph is recorded).
pub fn predict_classes(model: &dyn Forward, x: &Tensor<f32>) -> Vec<i64> {
    let n = x.shape()[0];
    let mut out = Vec::with_capacity(n);
    for s in (0..n).step_by(1000) {
        let logits = predict(model, &x.narrow(0, s, 1000.min(n - s)).contiguous());
        out.extend(predicted_classes(&logits));
    }
    out
}
// ANCHOR_END: predict

// ANCHOR: feature_maps
/// The activations after each stage of TinyVGG for one image `[1, 1, 28, 28]`:
/// block 1's first convolution + ReLU (28×28), block 1's output (14×14) and block
/// 2's output (7×7). Each is `[channels, h, w]`.
pub fn feature_maps(
    model: &kindling_vision::models::TinyVgg,
    image: &Tensor<f32>,
) -> Vec<Tensor<f32>> {
    no_grad(|| {
        let x = Variable::constant(image.clone());
        let first =
            model.block_1.layer(1).forward(&model.block_1.layer(0).forward(&x));
        let b1 = model.block_1.forward(&x);
        let b2 = model.block_2.forward(&b1);
        [first, b1, b2].iter().map(|v| v.value().squeeze(0).contiguous()).collect()
    })
}
// ANCHOR_END: feature_maps

// ANCHOR: conv_timing
/// One convolution layer's forward and backward pass on a batch, timed three ways
/// (best of `runs`): the naive loops, im2col + GEMM, and the fast path as training
/// runs it (the direct kernels where they apply). Returns the three times and the
/// largest difference between the naive output and each fast one.
pub fn time_conv(
    batch: usize,
    cin: usize,
    cout: usize,
    size: usize,
    runs: usize,
) -> ConvTiming {
    let mut rng = Rng::seed(7);
    let x =
        Variable::param(Tensor::<f32>::randn([batch, cin, size, size], &mut rng));
    let w =
        Variable::param(Tensor::<f32>::randn([cout, cin, 3, 3], &mut rng) * 0.1);
    let opts = Conv2dOptions::default().padding(1);
    let pass = || {
        let t = Instant::now();
        let y = conv2d(&x, &w, None, &opts);
        y.sum_all().backward();
        (t.elapsed(), y.value())
    };
    let best = |mode: KernelMode, direct_kernels: bool| {
        direct::set_enabled(direct_kernels);
        let mut out = (Duration::MAX, Tensor::<f32>::zeros([1]));
        for _ in 0..runs {
            let (d, y) = with_kernel_mode(mode, pass);
            if d < out.0 {
                out = (d, y);
            }
        }
        direct::set_enabled(true);
        out
    };
    let (naive, y_naive) = best(KernelMode::Naive, false);
    let (im2col, y_im2col) = best(KernelMode::Fast, false);
    let (fast, y_fast) = best(KernelMode::Fast, true);
    let diff = |y: &Tensor<f32>| {
        y_naive
            .to_vec()
            .iter()
            .zip(y.to_vec())
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max)
    };
    ConvTiming { naive, im2col, fast, diff: diff(&y_im2col).max(diff(&y_fast)) }
}

/// What [`time_conv`] measured.
pub struct ConvTiming {
    pub naive: Duration,
    pub im2col: Duration,
    pub fast: Duration,
    pub diff: f32,
}
// ANCHOR_END: conv_timing

/// The number of trainable numbers in a model.
pub fn parameter_count(model: &dyn Forward) -> usize {
    model.parameters().iter().map(|p| p.value().numel()).sum()
}

/// Scales a `[C, H, W]` stack so that each channel spans [0, 1] (for drawing
/// feature maps).
pub fn normalize_each(maps: &Tensor<f32>) -> Tensor<f32> {
    let shape = maps.shape().to_vec();
    let plane = shape[1] * shape[2];
    let mut v = maps.to_vec();
    for ch in v.chunks_mut(plane) {
        let lo = ch.iter().cloned().fold(f32::INFINITY, f32::min);
        let hi = ch.iter().cloned().fold(f32::NEG_INFINITY, f32::max);
        let span = if hi > lo { hi - lo } else { 1.0 };
        ch.iter_mut().for_each(|x| *x = (*x - lo) / span);
    }
    Tensor::from_vec(v, shape)
}
