//! What autograd costs: one training step (forward, loss, backward) of the course MLP
//! 784-256-128-10 with ReLU hidden layers, batch 128, mean cross-entropy, in f32, once through
//! `Variable`s and once written by hand against `Tensor` with hand-derived gradients. Both run
//! in one criterion group so they are measured in the same run; the target is
//! autograd/handcoded ≤ 1.15.
//!
//! `cargo bench -p kindling-autograd --bench mlp_step` (about a minute).

use criterion::{black_box, criterion_group, criterion_main, Criterion};
use kindling_autograd::Variable;
use kindling_tensor::{assert_close, Rng, Tensor, Tolerance};
use std::time::Duration;

const BATCH: usize = 128;
const SIZES: [usize; 4] = [784, 256, 128, 10];

/// Weights `[fan_in, fan_out]` (He-initialised) and biases `[fan_out]`, layer by layer.
struct Params {
    w: Vec<Tensor<f32>>,
    b: Vec<Tensor<f32>>,
}

struct Data {
    x: Tensor<f32>,
    /// Labels as a `[BATCH, 1]` index for `gather`.
    labels: Tensor<i64>,
    /// The same labels one-hot, `[BATCH, 10]` (for the hand-written gradient).
    one_hot: Tensor<f32>,
}

fn setup() -> (Params, Data) {
    let mut rng = Rng::seed(2024);
    let (mut w, mut b) = (Vec::new(), Vec::new());
    for pair in SIZES.windows(2) {
        let std = (2.0 / pair[0] as f32).sqrt();
        w.push(Tensor::normal([pair[0], pair[1]], 0.0, std, &mut rng));
        b.push(Tensor::uniform([pair[1]], -0.1, 0.1, &mut rng));
    }
    let x = Tensor::rand([BATCH, SIZES[0]], &mut rng);
    let labels = Tensor::randint(0, SIZES[3] as i64, [BATCH, 1], &mut rng);
    let classes = SIZES[3];
    let mut hot = vec![0f32; BATCH * classes];
    for (row, &label) in labels.to_vec().iter().enumerate() {
        hot[row * classes + label as usize] = 1.0;
    }
    let one_hot = Tensor::from_vec(hot, [BATCH, classes]);
    (Params { w, b }, Data { x, labels, one_hot })
}

/// Parameters as `Variable::param`s, in the order w0, b0, w1, b1, w2, b2.
fn as_variables(p: &Params) -> Vec<Variable<f32>> {
    p.w.iter().zip(&p.b).flat_map(|(w, b)| [Variable::param(w.clone()), Variable::param(b.clone())]).collect()
}

/// One step through autograd: returns the loss; gradients land in the params.
fn autograd_step(params: &[Variable<f32>], x: &Variable<f32>, labels: &Tensor<i64>) -> f32 {
    for p in params {
        p.zero_grad();
    }
    let mut h = x.clone();
    for (layer, wb) in params.chunks(2).enumerate() {
        h = &h.matmul(&wb[0]) + &wb[1];
        if layer + 1 < params.len() / 2 {
            h = h.relu();
        }
    }
    let loss = -h.log_softmax(1).gather(1, labels).mean_all();
    loss.backward();
    loss.item()
}

/// One step by hand: returns the loss and the gradients in the order w0, b0, w1, b1, w2, b2.
fn handcoded_step(p: &Params, d: &Data) -> (f32, Vec<Tensor<f32>>) {
    let layers = p.w.len();
    // Forward, keeping each layer's input a and pre-activation z.
    let mut inputs = vec![d.x.clone()];
    let mut pre = Vec::new();
    for l in 0..layers {
        let z = &inputs[l].matmul(&p.w[l]) + &p.b[l];
        if l + 1 < layers {
            inputs.push(z.relu());
        }
        pre.push(z);
    }
    let log_probs = pre[layers - 1].log_softmax(1);
    let loss = -log_probs.gather(1, &d.labels).mean_all();
    // δ = (softmax − one_hot)/N at the output; then δ ← (δ·Wᵀ) ⊙ relu'(z) going down;
    // ∂W = aᵀ·δ, ∂b = Σ δ over the batch.
    let mut delta = &(&log_probs.exp() - &d.one_hot) * (1.0 / BATCH as f32);
    let mut grads = vec![Tensor::scalar(0.0f32); 2 * layers];
    for l in (0..layers).rev() {
        grads[2 * l] = inputs[l].t().matmul(&delta);
        grads[2 * l + 1] = delta.sum(0isize, false);
        if l > 0 {
            let relu_grad = pre[l - 1].gt_scalar(0.0).cast::<f32>();
            delta = &delta.matmul(&p.w[l].t()) * &relu_grad;
        }
    }
    (loss, grads)
}

/// The comparison only means something if both compute the same thing.
fn assert_same_step(p: &Params, d: &Data) {
    let vars = as_variables(p);
    let auto_loss = autograd_step(&vars, &Variable::constant(d.x.clone()), &d.labels);
    let (hand_loss, hand_grads) = handcoded_step(p, d);
    assert!(
        Tolerance::RELAXED.accepts(auto_loss as f64, hand_loss as f64),
        "losses differ: autograd {auto_loss}, hand-coded {hand_loss}"
    );
    for (v, g) in vars.iter().zip(&hand_grads) {
        assert_close(&v.grad().expect("every parameter gets a gradient"), g, Tolerance::RELAXED);
    }
}

fn mlp_step(c: &mut Criterion) {
    let (params, data) = setup();
    assert_same_step(&params, &data);

    let mut group = c.benchmark_group("mlp_step");
    group.sample_size(30).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(6));
    let vars = as_variables(&params);
    let x = Variable::constant(data.x.clone());
    group.bench_function("autograd_mlp_step", |b| b.iter(|| black_box(autograd_step(&vars, &x, &data.labels))));
    group.bench_function("handcoded_mlp_step", |b| b.iter(|| black_box(handcoded_step(&params, &data))));
    group.finish();
}

criterion_group!(benches, mlp_step);
criterion_main!(benches);
