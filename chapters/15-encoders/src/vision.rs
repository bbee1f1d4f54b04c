//! The vision transformer against TinyVGG on Fashion-MNIST.

use crate::thousands;
use chapter_kit::markdown_table;
use kindling_autograd::{no_grad, Variable};
use kindling_nn::{cross_entropy, Forward, Module};
use kindling_optim::schedule::{CosineAnnealingLr, Scheduler};
use kindling_optim::{Adam, AdamConfig, Optimizer};
use kindling_tensor::{Rng, Tensor};
use kindling_transformer::vit::{
    Vit, VitConfig, VitEpoch, VitTrainConfig, VitTrainer,
};
use kindling_vision::models::TinyVgg;

/// Fashion-MNIST as tensors: images `[N, 1, 28, 28]` in [0, 1] and labels `[N]`.
pub struct Fashion {
    /// Training images.
    pub train_x: Tensor<f32>,
    /// Training labels.
    pub train_y: Tensor<i64>,
    /// Test images.
    pub test_x: Tensor<f32>,
    /// Test labels.
    pub test_y: Tensor<i64>,
}

impl Fashion {
    /// The first `train` training and `test` test images (quick runs).
    pub fn head(&self, train: usize, test: usize) -> Fashion {
        let cut = |x: &Tensor<f32>, n: usize| {
            x.narrow(0, 0, n.min(x.shape()[0])).contiguous()
        };
        let cut_y = |y: &Tensor<i64>, n: usize| {
            y.narrow(0, 0, n.min(y.shape()[0])).contiguous()
        };
        Fashion {
            train_x: cut(&self.train_x, train),
            train_y: cut_y(&self.train_y, train),
            test_x: cut(&self.test_x, test),
            test_y: cut_y(&self.test_y, test),
        }
    }
}

/// Reads both splits from `datasets/fashion-mnist/`.
pub fn load_fashion(
    datasets: &std::path::Path,
) -> Result<Fashion, kindling_data::DataError> {
    use kindling_data::datasets::{fashion_mnist, Split};
    let dir = datasets.join("fashion-mnist");
    let split = |s: Split| -> Result<
        (Tensor<f32>, Tensor<i64>),
        kindling_data::DataError,
    > {
        let raw = fashion_mnist(&dir, s)?;
        let n = raw.len() as isize;
        Ok((
            (raw.images.cast::<f32>() * (1.0 / 255.0)).reshape([n, 1, 28, 28]),
            raw.labels.cast::<i64>(),
        ))
    };
    let (train_x, train_y) = split(Split::Train)?;
    let (test_x, test_y) = split(Split::Test)?;
    Ok(Fashion { train_x, train_y, test_x, test_y })
}

/// The chapter's vision transformer and its recipe (`kindling_transformer::vit`'s
/// own).
pub fn vit_recipe() -> (VitConfig, VitTrainConfig) {
    (VitConfig::fashion_mnist(), VitTrainConfig::fashion_mnist())
}

/// A finished vision-transformer run.
pub struct VitRun {
    /// The model's shape.
    pub config: VitConfig,
    /// Its parameters.
    pub parameters: usize,
    /// One record per epoch.
    pub history: Vec<VitEpoch>,
}

// ANCHOR: vit
/// Trains a fresh vision transformer on `data` with `recipe`, calling `on_epoch`
/// after each epoch's evaluation on the test set.
pub fn train_vit(
    config: VitConfig,
    recipe: &VitTrainConfig,
    data: &Fashion,
    on_epoch: impl FnMut(&VitEpoch),
) -> VitRun {
    let model = Vit::<f32>::new(config, &mut Rng::seed(recipe.seed));
    let mut trainer = VitTrainer::new(&model, recipe, data.train_y.shape()[0]);
    let history = trainer.run(
        (&data.train_x, &data.train_y),
        (&data.test_x, &data.test_y),
        on_epoch,
    );
    VitRun { config, parameters: model.num_parameters(), history }
}
// ANCHOR_END: vit

/// The run's epochs as a markdown table.
pub fn vit_table(run: &VitRun) -> String {
    let rows: Vec<Vec<String>> = run
        .history
        .iter()
        .map(|e| {
            vec![
                e.epoch.to_string(),
                format!("{:.4}", e.train_loss),
                format!("{:.4}", e.test_loss),
                format!("{:.2}%", 100.0 * e.test_accuracy),
                format!("{:.0}", e.seconds),
            ]
        })
        .collect();
    let c = &run.config;
    format!(
        "{}\n\nViT: {}×{} patches of {}×{}, width {}, {} layers of {} heads, MLP {}; {} parameters.",
        markdown_table(&["epoch", "train loss", "test loss", "test accuracy", "seconds"], &rows),
        c.image_size / c.patch_size,
        c.image_size / c.patch_size,
        c.patch_size,
        c.patch_size,
        c.dim,
        c.depth,
        c.heads,
        c.mlp_dim,
        thousands(run.parameters)
    )
}

/// One epoch of a convolutional baseline: its test accuracy and the seconds of its
/// training steps.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CnnEpoch {
    /// Counting from 1.
    pub epoch: usize,
    /// Mean training loss over the epoch.
    pub train_loss: f64,
    /// Fraction of test images right, in [0, 1].
    pub test_accuracy: f64,
    /// Wall-clock seconds of the training steps (evaluation not included).
    pub seconds: f64,
}

// ANCHOR: tinyvgg
/// Chapter 7's TinyVGG (two blocks of two 3×3 convolutions and a max-pool, `hidden`
/// channels, a linear classifier) trained on `data` with chapter 7's longer recipe:
/// Adam at 3·10⁻³, batches of 32, a cosine to 0 over `epochs`. Returns the
/// parameters and the epochs.
pub fn train_tinyvgg(
    data: &Fashion,
    hidden: usize,
    epochs: usize,
    seed: u64,
) -> (usize, Vec<CnnEpoch>) {
    let mut rng = Rng::seed(seed);
    let model = TinyVgg::<f32>::new(1, hidden, 10, (28, 28), &mut rng);
    let mut adam = Adam::new(
        model.parameters(),
        AdamConfig { lr: 3e-3, ..Default::default() },
    );
    let n = data.train_y.shape()[0];
    let batch = 32;
    let mut schedule = Scheduler::new(
        &mut adam,
        CosineAnnealingLr { t_max: epochs * n.div_ceil(batch), eta_min: 0.0 },
    );
    let mut history = Vec::new();
    for epoch in 1..=epochs {
        model.train();
        let start = std::time::Instant::now();
        let (mut total, mut steps) = (0.0, 0usize);
        for chunk in rng.permutation(n).chunks(batch) {
            let idx = Tensor::from_vec(
                chunk.iter().map(|&i| i as i64).collect(),
                [chunk.len()],
            );
            let x = Variable::constant(data.train_x.index_select(0, &idx));
            adam.zero_grad();
            let loss = cross_entropy(
                &model.forward(&x),
                &data.train_y.index_select(0, &idx),
            );
            loss.backward();
            adam.step();
            schedule.step(&mut adam);
            total += f64::from(loss.item());
            steps += 1;
        }
        let seconds = start.elapsed().as_secs_f64();
        let test_accuracy = classifier_accuracy(&model, &data.test_x, &data.test_y);
        history.push(CnnEpoch {
            epoch,
            train_loss: total / steps as f64,
            test_accuracy,
            seconds,
        });
    }
    (model.num_parameters(), history)
}
// ANCHOR_END: tinyvgg

/// The accuracy of `model` on `images`, 500 at a time, in evaluation mode without a
/// graph.
pub fn classifier_accuracy(
    model: &dyn Forward,
    images: &Tensor<f32>,
    labels: &Tensor<i64>,
) -> f64 {
    model.eval();
    let n = labels.shape()[0];
    let mut correct = 0;
    no_grad(|| {
        for start in (0..n).step_by(500) {
            let len = 500.min(n - start);
            let logits = model.forward(&Variable::constant(
                images.narrow(0, start, len).contiguous(),
            ));
            let predicted = logits.value().argmax(-1, false).to_vec();
            correct += predicted
                .iter()
                .zip(labels.narrow(0, start, len).to_vec())
                .filter(|(p, t)| **p == *t)
                .count();
        }
    });
    model.train();
    correct as f64 / n as f64
}

/// The vision transformer beside TinyVGG: parameters, epochs, final and best test
/// accuracy, and the seconds of training steps, as a markdown table.
pub fn vit_against_cnn(
    vit: &VitRun,
    cnn_parameters: usize,
    cnn: &[CnnEpoch],
) -> String {
    let row = |name: &str,
               parameters: usize,
               accuracies: Vec<f64>,
               seconds: f64| {
        let best = accuracies.iter().copied().fold(0.0, f64::max);
        vec![
            name.to_string(),
            thousands(parameters),
            accuracies.len().to_string(),
            format!("{:.2}%", 100.0 * accuracies.last().copied().unwrap_or(0.0)),
            format!("{:.2}%", 100.0 * best),
            format!("{seconds:.0}"),
            format!("{:.1}", seconds / accuracies.len().max(1) as f64),
        ]
    };
    let rows = vec![
        row(
            "ViT",
            vit.parameters,
            vit.history.iter().map(|e| e.test_accuracy).collect(),
            vit.history.iter().map(|e| e.seconds).sum(),
        ),
        row(
            "TinyVGG (chapter 7)",
            cnn_parameters,
            cnn.iter().map(|e| e.test_accuracy).collect(),
            cnn.iter().map(|e| e.seconds).sum(),
        ),
    ];
    markdown_table(
        &[
            "model",
            "parameters",
            "epochs",
            "final test accuracy",
            "best",
            "training seconds",
            "seconds per epoch",
        ],
        &rows,
    )
}

/// A vision-transformer run read back from the JSON that the example `vit_fashion`
/// writes (`--curve`): its epochs and parameters; `config` is the model it trained.
pub fn read_vit_curve(json: &str, config: VitConfig) -> Result<VitRun, String> {
    let v: serde_json::Value =
        serde_json::from_str(json).map_err(|e| format!("not JSON ({e})"))?;
    let field = |e: &serde_json::Value, k: &str| {
        e[k].as_f64().ok_or_else(|| format!("an epoch without {k:?}"))
    };
    let mut history = Vec::new();
    for e in v["epochs"].as_array().ok_or("no \"epochs\" list")? {
        history.push(VitEpoch {
            epoch: field(e, "epoch")? as usize,
            train_loss: field(e, "train_loss")?,
            test_loss: field(e, "test_loss")?,
            test_accuracy: field(e, "test_accuracy")?,
            seconds: field(e, "seconds")?,
            steps: field(e, "steps")? as usize,
        });
    }
    let parameters = v["parameters"].as_u64().ok_or("no \"parameters\"")? as usize;
    Ok(VitRun { config, parameters, history })
}

/// The median milliseconds of one training step (forward, backward, AdamW / Adam)
/// on a batch of 128 images, for the chapter's ViT and for TinyVGG, timed in
/// `rounds` alternating rounds of `steps` steps each, so that both see the same
/// load.
pub fn step_times(data: &Fashion, rounds: usize, steps: usize) -> (f64, f64) {
    let (config, recipe) = vit_recipe();
    let vit = Vit::<f32>::new(config, &mut Rng::seed(0));
    let n = data.train_y.shape()[0];
    let mut vit_trainer = VitTrainer::new(&vit, &recipe, n);
    let cnn = TinyVgg::<f32>::new(1, 10, 10, (28, 28), &mut Rng::seed(0));
    let mut adam =
        Adam::new(cnn.parameters(), AdamConfig { lr: 3e-3, ..Default::default() });
    let batch = 128.min(n);
    let x = data.train_x.narrow(0, 0, batch).contiguous();
    let y = data.train_y.narrow(0, 0, batch).contiguous();
    let (mut vit_ms, mut cnn_ms) = (Vec::new(), Vec::new());
    for _ in 0..rounds.max(1) {
        let start = std::time::Instant::now();
        for _ in 0..steps.max(1) {
            vit_trainer.step(x.clone(), &y);
        }
        vit_ms.push(start.elapsed().as_secs_f64() * 1e3 / steps.max(1) as f64);
        let start = std::time::Instant::now();
        for _ in 0..steps.max(1) {
            adam.zero_grad();
            let loss =
                cross_entropy(&cnn.forward(&Variable::constant(x.clone())), &y);
            loss.backward();
            adam.step();
        }
        cnn_ms.push(start.elapsed().as_secs_f64() * 1e3 / steps.max(1) as f64);
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    (median(vit_ms), median(cnn_ms))
}
