//! Memory: backward frees the graph's saved tensors, and very long graphs neither overflow the
//! stack in backward nor when they are dropped. The buffer counter is process-wide, so the
//! counting test is the only one in this binary that allocates while it counts.

use kindling_autograd::Variable;
use kindling_tensor::{live_buffers, Rng, Tensor};
use std::sync::Mutex;

/// Serializes the tests of this binary (the counter sees every thread's allocations).
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

#[test]
fn backward_frees_intermediate_buffers() {
    let _guard = ONE_AT_A_TIME.lock().unwrap();
    let mut rng = Rng::seed(0);
    let w = Variable::param(Tensor::<f32>::randn([16, 8], &mut rng));
    let x = Variable::constant(Tensor::<f32>::randn([4, 16], &mut rng));
    let before = live_buffers();
    let loss = x.matmul(&w).tanh().softmax(-1).log().mean_all();
    let during = live_buffers();
    assert!(during > before + 4, "the graph holds its intermediates ({before} → {during})");
    loss.backward();
    // Left: the loss value and w's gradient. Everything the graph saved is gone.
    assert_eq!(live_buffers(), before + 2, "after backward");
    drop(loss);
    assert_eq!(live_buffers(), before + 1);
    w.zero_grad();
    assert_eq!(live_buffers(), before);
}

#[test]
fn keeping_the_graph_keeps_the_buffers() {
    let _guard = ONE_AT_A_TIME.lock().unwrap();
    let w = Variable::param(Tensor::<f32>::ones([8]));
    let before = live_buffers();
    let loss = w.exp().sin().sum_all();
    let during = live_buffers();
    loss.backward_retaining_graph(&Tensor::scalar(1.0));
    assert_eq!(live_buffers(), during + 1, "only the gradient was added");
    loss.backward_retaining_graph(&Tensor::scalar(1.0));
    assert_eq!(live_buffers(), during + 1, "the second gradient accumulates in place of the first");
    drop(loss);
    w.zero_grad();
    assert_eq!(live_buffers(), before);
}

#[test]
fn a_million_node_chain_backpropagates_and_drops() {
    let _guard = ONE_AT_A_TIME.lock().unwrap();
    const NODES: usize = 1_000_000;
    let x = Variable::param(Tensor::scalar(1.0f64));
    let mut y = x.clone();
    for _ in 0..NODES {
        y = &y * 1.000001;
    }
    y.backward();
    let expected = 1.000001f64.powi(NODES as i32);
    assert!((x.grad().unwrap().item() / expected - 1.0).abs() < 1e-9);
    // A second chain, dropped without backward: the drop itself must not recurse.
    let mut z = x.clone();
    for _ in 0..NODES {
        z = z.sin();
    }
    drop(z);
}
