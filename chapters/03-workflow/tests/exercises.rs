//! The checks of chapter 3's exercises. `cargo test -p ch03-workflow --features
//! learner` runs them against your `src/exercises.rs`; without the feature, against
//! the solutions. Every test name starts with its exercise number (`ex3_5_...`
//! checks exercise 3.5).

use ch03_workflow::checked::*;
use ch03_workflow::{
    least_squares, make_data, make_model, weight_and_bias, TRUE_BIAS, TRUE_WEIGHT,
};
use kindling_autograd::Variable;
use kindling_data::synthetic;
use kindling_nn::{
    mse_loss, Dropout, Forward, Linear, Module, Reduction, Sequential,
};
use kindling_optim::{Optimizer, Sgd, SgdConfig};
use kindling_tensor::tolerance::{assert_close, Tolerance};
use kindling_tensor::{Rng, Tensor};

fn close(a: f64, b: f64, tol: f64) -> bool {
    (a - b).abs() <= tol * (1.0 + b.abs())
}

#[test]
fn ex3_1_split_sizes_and_pairs() {
    let (x, y) = synthetic::linear(50, TRUE_WEIGHT, TRUE_BIAS, 0.0, 0);
    let s = train_test_split(&x, &y, 0.8, 3);
    assert_eq!(
        (s.x_train.shape(), s.y_train.shape()),
        (&[40, 1][..], &[40, 1][..])
    );
    assert_eq!((s.x_test.shape(), s.y_test.shape()), (&[10, 1][..], &[10, 1][..]));
    // Without noise every target is exactly 0.7x + 0.3 of its own input: rows
    // stayed paired.
    for (part_x, part_y) in [(&s.x_train, &s.y_train), (&s.x_test, &s.y_test)] {
        for (xi, yi) in part_x.to_vec().iter().zip(part_y.to_vec()) {
            assert!(
                (yi - (TRUE_WEIGHT * xi + TRUE_BIAS)).abs() < 1e-6,
                "x = {xi} lost its target"
            );
        }
    }
    // Every row lands in exactly one part.
    let mut all: Vec<f32> = s.x_train.to_vec();
    all.extend(s.x_test.to_vec());
    all.sort_by(f32::total_cmp);
    assert_eq!(all, x.to_vec());
    let s = train_test_split(&x, &y, 0.7, 3);
    assert_eq!((s.x_train.shape()[0], s.x_test.shape()[0]), (35, 15));
}

#[test]
fn ex3_1_split_is_shuffled_and_seeded() {
    let (x, y) = synthetic::linear(100, TRUE_WEIGHT, TRUE_BIAS, 0.0, 0);
    let a = train_test_split(&x, &y, 0.8, 1);
    let b = train_test_split(&x, &y, 0.8, 1);
    let c = train_test_split(&x, &y, 0.8, 2);
    assert_eq!(
        a.x_test.to_vec(),
        b.x_test.to_vec(),
        "the same seed must give the same split"
    );
    assert_ne!(
        a.x_test.to_vec(),
        c.x_test.to_vec(),
        "another seed should give another split"
    );
    // x is sorted in the data; the last 20 rows would be a test set of only large
    // x.
    let test_x = a.x_test.to_vec();
    assert!(
        test_x.iter().any(|&v| v < 0.5),
        "the test rows are not shuffled: {test_x:?}"
    );
}

#[test]
fn ex3_2_mse_matches_the_library() {
    let mut rng = Rng::seed(4);
    let target = Tensor::<f32>::randn([6, 1], &mut rng);
    let start = Tensor::<f32>::randn([6, 1], &mut rng);
    let (p1, p2) = (Variable::param(start.clone()), Variable::param(start));
    let mine = mse(&p1, &target);
    let library = mse_loss(&p2, &target, Reduction::Mean);
    assert_eq!(
        mine.shape(),
        Vec::<usize>::new(),
        "the loss is one number (shape [])"
    );
    assert!(close(f64::from(mine.item()), f64::from(library.item()), 1e-6));
    mine.backward();
    library.backward();
    assert_close(
        &p1.grad().expect("gradient"),
        &p2.grad().unwrap(),
        Tolerance::DEFAULT,
    );
    // A tiny case by hand: errors 0.5 and −1 give (0.25 + 1)/2.
    let p = Variable::param(Tensor::from([[1.5f32], [1.0]]));
    assert_eq!(mse(&p, &Tensor::from([[1.0f32], [2.0]])).item(), 0.625);
}

#[test]
fn ex3_3_gradients_by_formula_match_autograd() {
    let data = make_data(30, 9);
    let (x, y) = (data.x_train.to_vec(), data.y_train.to_vec());
    for (w, b) in [(0.1f32, -0.4f32), (1.5, 0.9), (0.7, 0.3)] {
        let model =
            Linear::from_weights(Tensor::from([[w]]), Some(Tensor::from([b])));
        let loss = mse_loss(
            &model.forward(&Variable::constant(data.x_train.clone())),
            &data.y_train,
            Reduction::Mean,
        );
        loss.backward();
        let dw = model.weight.grad().unwrap().item();
        let db = model.bias.as_ref().unwrap().grad().unwrap().item();
        let (gw, gb) = line_gradients(&x, &y, w, b);
        assert!(
            close(f64::from(gw), f64::from(dw), 1e-4),
            "∂L/∂w at ({w}, {b}): {gw} vs autograd {dw}"
        );
        assert!(
            close(f64::from(gb), f64::from(db), 1e-4),
            "∂L/∂b at ({w}, {b}): {gb} vs autograd {db}"
        );
    }
    // Perfect predictions: nothing to change.
    assert_eq!(line_gradients(&[0.0, 1.0], &[0.3, 1.0], 0.7, 0.3), (0.0, 0.0));
}

#[test]
fn ex3_4_sgd_step_matches_the_optimizer() {
    let mut rng = Rng::seed(8);
    let start = Tensor::<f32>::randn([3, 2], &mut rng);
    let (a, b) = (Variable::param(start.clone()), Variable::param(start));
    // never used: no gradient
    let untouched = Variable::param(Tensor::from([1.0f32, 2.0]));
    let weights = Tensor::<f32>::randn([3, 2], &mut rng);
    for p in [&a, &b] {
        (p * &Variable::constant(weights.clone())).square().sum_all().backward();
    }
    sgd_step(&[a.clone(), untouched.clone()], 0.05);
    let mut opt =
        Sgd::new([b.clone()], SgdConfig { lr: 0.05, ..Default::default() });
    opt.step();
    assert_close(&a.value(), &b.value(), Tolerance::DEFAULT);
    assert_eq!(untouched.value().to_vec(), [1.0, 2.0]);
    assert!(
        a.is_leaf() && a.requires_grad(),
        "the parameter must stay a trainable leaf"
    );
}

#[test]
fn ex3_5_training_loop_recovers_the_line() {
    let data = make_data(100, 0);
    let model = make_model(&mut Rng::seed(1));
    let x = Variable::constant(data.x_train.clone());
    let initial =
        mse_loss(&model.forward(&x), &data.y_train, Reduction::Mean).item();
    let losses = train_loop(&model, &data.x_train, &data.y_train, 0.5, 400);
    assert_eq!(losses.len(), 400, "one loss per epoch");
    assert!(
        close(losses[0], f64::from(initial), 1e-5),
        "the first loss is the untrained model's: {}",
        losses[0]
    );
    assert!(
        losses[399] < losses[0] / 10.0 && losses[399] < 0.005,
        "the loss did not go down: {:?}",
        &losses[390..]
    );
    let (w, b) = weight_and_bias(&model);
    let (w_ls, b_ls) =
        least_squares(&data.x_train.to_vec(), &data.y_train.to_vec());
    assert!(
        (f64::from(w) - w_ls).abs() < 0.01,
        "w = {w}, the best line has {w_ls}"
    );
    assert!(
        (f64::from(b) - b_ls).abs() < 0.01,
        "b = {b}, the best line has {b_ls}"
    );
}

#[test]
fn ex3_5_training_loop_follows_gradient_descent_exactly() {
    // Two epochs by hand: the loop must take exactly the steps w ← w − lr·∂L/∂w.
    let (x, y) = (Tensor::from([[0.0f32], [1.0]]), Tensor::from([[1.0f32], [3.0]]));
    let model = Linear::from_weights(
        Tensor::from([[0.0f32]]),
        Some(Tensor::from([0.0f32])),
    );
    let losses = train_loop(&model, &x, &y, 0.25, 2);
    // Epoch 1: ŷ = (0, 0), L = (1 + 9)/2 = 5, ∂L/∂w = −3, ∂L/∂b = −4 → w = 0.75, b
    // = 1. Epoch 2: ŷ = (1, 1.75), L = (0 + 1.5625)/2.
    assert_eq!(losses, [5.0, 0.78125]);
    let (w, b) = weight_and_bias(&model);
    assert!(
        (w - 1.0625).abs() < 1e-6 && (b - 1.3125).abs() < 1e-6,
        "w = {w}, b = {b}"
    );
}

#[test]
fn ex3_6_predict_is_deterministic_and_records_nothing() {
    let mut rng = Rng::seed(5);
    let model = Sequential::new()
        .add(Linear::new(3, 16, &mut rng))
        .add(Dropout::new(0.5, &mut rng))
        .add(Linear::new(16, 1, &mut rng));
    let x = Tensor::<f32>::randn([8, 3], &mut rng);
    model.train();
    let a = predict(&model, &x);
    let b = predict(&model, &x);
    assert!(!a.requires_grad(), "no graph may be recorded for a prediction");
    assert_eq!(
        a.value().to_vec(),
        b.value().to_vec(),
        "dropout must be off: predictions differ"
    );
    assert!(
        model.is_training(),
        "the model must be back in training mode afterwards"
    );
    model.eval();
    let c = predict(&model, &x);
    assert!(!model.is_training(), "a model in evaluation mode must stay there");
    assert_eq!(a.value().to_vec(), c.value().to_vec());
    assert_eq!(a.shape(), [8, 1]);
}

#[test]
fn ex3_7_save_and_load_round_trip() {
    let model = Linear::from_weights(
        Tensor::from([[0.6125f32]]),
        Some(Tensor::from([0.3025f32])),
    );
    let path = std::env::temp_dir()
        .join(format!("kindling-ex3_7-{}.safetensors", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let restored = round_trip(&model, &path);
    assert!(path.exists(), "the model was not saved to {}", path.display());
    assert_eq!(weight_and_bias(&restored), (0.6125, 0.3025));
    let keys: Vec<String> = model.state_dict().keys().map(str::to_string).collect();
    assert_eq!(keys, ["weight", "bias"]);
    let x = Tensor::from([[0.0f32], [0.5], [1.0]]);
    assert_eq!(
        restored.forward(&Variable::constant(x.clone())).value().to_vec(),
        model.forward(&Variable::constant(x)).value().to_vec()
    );
    let _ = std::fs::remove_file(path);
}
