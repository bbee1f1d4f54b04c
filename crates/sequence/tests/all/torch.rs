//! Cells and layers against PyTorch in f64: outputs, final states, and the gradients of the
//! input, the initial state and every parameter, from fixtures written by
//! tests/fixtures/make_recurrent_fixtures.py. Every layer case runs on the fast kernels and on
//! the unrolled cells.

use kindling_autograd::Variable;
use kindling_nn::Module;
use kindling_sequence::{CellKind, GruCell, LstmCell, Recurrent, RecurrentOptions, RecurrentState, RnnCell};
use kindling_tensor::{assert_close, with_kernel_mode, KernelMode, Rng, Tensor, Tolerance};
use serde_json::Value;
use std::path::PathBuf;

/// The bar for agreement with PyTorch in f64.
const TORCH_F64: Tolerance = Tolerance { atol: 1e-9, rtol: 1e-9 };

fn tensor(v: &Value) -> Tensor<f64> {
    let shape: Vec<usize> = v["shape"].as_array().unwrap().iter().map(|d| d.as_u64().unwrap() as usize).collect();
    let data: Vec<f64> = v["data"].as_array().unwrap().iter().map(|d| d.as_f64().unwrap()).collect();
    Tensor::from_vec(data, shape)
}

fn optional(v: &Value) -> Option<Tensor<f64>> {
    (!v.is_null()).then(|| tensor(v))
}

fn fixtures() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/recurrent.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn kind(mode: &str) -> CellKind {
    match mode {
        "RNN_TANH" => CellKind::RnnTanh,
        "RNN_RELU" => CellKind::RnnRelu,
        "LSTM" => CellKind::Lstm,
        "GRU" => CellKind::Gru,
        other => panic!("unknown mode {other}"),
    }
}

/// Sets every parameter PyTorch recorded, and checks that the two sets of names are the same.
fn load(name: &str, module: &dyn Module<f64>, params: &Value) {
    let ours: Vec<String> = module.named_parameters().into_iter().map(|(n, _)| n).collect();
    let theirs: Vec<String> = params.as_object().unwrap().keys().cloned().collect();
    let (mut a, mut b) = (ours.clone(), theirs);
    a.sort();
    b.sort();
    assert_eq!(a, b, "{name}: parameter names differ from PyTorch's");
    for (key, p) in module.named_parameters() {
        p.set_value(tensor(&params[&key]));
    }
}

fn check_param_grads(name: &str, module: &dyn Module<f64>, grads: &Value) {
    for (key, p) in module.named_parameters() {
        let grad = p.grad().unwrap_or_else(|| panic!("{name}: `{key}` got no gradient"));
        assert_close(&grad, &tensor(&grads[&key]), TORCH_F64);
    }
}

fn weighted_sum(v: &Variable<f64>, r: &Tensor<f64>) -> Variable<f64> {
    (v * &Variable::constant(r.clone())).sum_all()
}

/// A cell, its new state h and (LSTM) its new cell c.
type CellRun = (Box<dyn Module<f64>>, Variable<f64>, Option<Variable<f64>>);

#[test]
fn cells_match_pytorch() {
    let all = fixtures();
    let cases = all["cells"].as_array().unwrap();
    assert!(cases.len() >= 12);
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let (i, h) = (case["input_size"].as_u64().unwrap() as usize, case["hidden_size"].as_u64().unwrap() as usize);
        let mut rng = Rng::seed(1);
        let x = Variable::param(tensor(&case["x"]));
        let h0 = optional(&case["h0"]).map(Variable::param);
        let c0 = optional(&case["c0"]).map(Variable::param);
        let (module, h_new, c_new): CellRun = match case["mode"].as_str().unwrap() {
            "LSTM" => {
                let cell = LstmCell::new(i, h, &mut rng);
                load(name, &cell, &case["params"]);
                let (hn, cn) = cell.forward(&x, h0.as_ref().zip(c0.as_ref()));
                (Box::new(cell), hn, Some(cn))
            }
            "GRU" => {
                let cell = GruCell::new(i, h, &mut rng);
                load(name, &cell, &case["params"]);
                let hn = cell.forward(&x, h0.as_ref());
                (Box::new(cell), hn, None)
            }
            mode => {
                let cell =
                    if mode == "RNN_RELU" { RnnCell::relu(i, h, &mut rng) } else { RnnCell::new(i, h, &mut rng) };
                load(name, &cell, &case["params"]);
                let hn = cell.forward(&x, h0.as_ref());
                (Box::new(cell), hn, None)
            }
        };
        assert_close(&h_new.value(), &tensor(&case["h"]), TORCH_F64);
        let mut loss = weighted_sum(&h_new, &tensor(&case["upstream"]["h"]));
        if let Some(c) = &c_new {
            assert_close(&c.value(), &tensor(&case["c"]), TORCH_F64);
            loss = &loss + &weighted_sum(c, &tensor(&case["upstream"]["c"]));
        }
        loss.backward();
        assert_close(&x.grad().unwrap(), &tensor(&case["grads"]["x"]), TORCH_F64);
        for (v, key) in [(&h0, "h0"), (&c0, "c0")] {
            if let Some(v) = v {
                assert_close(&v.grad().unwrap(), &tensor(&case["grads"][key]), TORCH_F64);
            }
        }
        check_param_grads(name, module.as_ref(), &case["grads"]);
    }
}

fn options(case: &Value) -> RecurrentOptions {
    RecurrentOptions::default()
        .num_layers(case["num_layers"].as_u64().unwrap() as usize)
        .bidirectional(case["bidirectional"].as_bool().unwrap())
        .batch_first(case["batch_first"].as_bool().unwrap())
        .proj_size(case["proj_size"].as_u64().unwrap() as usize)
        .bias(case["bias"].as_bool().unwrap())
}

fn run_layer_case(case: &Value) {
    let name = case["name"].as_str().unwrap();
    let (i, h) = (case["input_size"].as_u64().unwrap() as usize, case["hidden_size"].as_u64().unwrap() as usize);
    let layer = Recurrent::<f64>::new(kind(case["mode"].as_str().unwrap()), i, h, options(case), &mut Rng::seed(1));
    load(name, &layer, &case["params"]);
    let x = Variable::param(tensor(&case["x"]));
    let state = optional(&case["h0"])
        .map(|h0| RecurrentState { h: Variable::param(h0), c: optional(&case["c0"]).map(Variable::param) });
    let lengths: Option<Vec<usize>> =
        case["lengths"].as_array().map(|l| l.iter().map(|v| v.as_u64().unwrap() as usize).collect());
    let (out, fin) = match &lengths {
        Some(l) => layer.forward_padded(&x, l, state.as_ref()),
        None => layer.forward_with_state(&x, state.as_ref()),
    };
    assert_close(&out.value(), &tensor(&case["output"]), TORCH_F64);
    assert_close(&fin.h.value(), &tensor(&case["h_n"]), TORCH_F64);
    let up = &case["upstream"];
    let mut loss = &weighted_sum(&out, &tensor(&up["output"])) + &weighted_sum(&fin.h, &tensor(&up["h_n"]));
    if let Some(c) = &fin.c {
        assert_close(&c.value(), &tensor(&case["c_n"]), TORCH_F64);
        loss = &loss + &weighted_sum(c, &tensor(&up["c_n"]));
    }
    loss.backward();
    assert_close(&x.grad().unwrap(), &tensor(&case["grads"]["x"]), TORCH_F64);
    if let Some(s) = &state {
        assert_close(&s.h.grad().unwrap(), &tensor(&case["grads"]["h0"]), TORCH_F64);
        if let Some(c) = &s.c {
            assert_close(&c.grad().unwrap(), &tensor(&case["grads"]["c0"]), TORCH_F64);
        }
    }
    check_param_grads(name, &layer, &case["grads"]);
}

#[test]
fn layers_match_pytorch_on_the_fast_kernels() {
    let all = fixtures();
    let cases = all["layers"].as_array().unwrap();
    assert!(cases.len() >= 30);
    for case in cases {
        with_kernel_mode(KernelMode::Fast, || run_layer_case(case));
    }
}

#[test]
fn layers_match_pytorch_on_the_unrolled_cells() {
    let all = fixtures();
    for case in all["layers"].as_array().unwrap() {
        with_kernel_mode(KernelMode::Naive, || run_layer_case(case));
    }
}

/// The course's example (INVENTORY fixture #25): `nn.LSTM(10, 20, batch_first=True)` on a
/// (5, 3, 10) input gives a (5, 3, 20) output and (1, 5, 20) final states, here as in PyTorch.
#[test]
fn course_lstm_shapes() {
    let all = fixtures();
    let case = all["layers"].as_array().unwrap().iter().find(|c| c["name"] == "course_lstm_10_20_batch_first").unwrap();
    let lstm = Recurrent::<f64>::new(CellKind::Lstm, 10, 20, options(case), &mut Rng::seed(1));
    let (out, fin) = lstm.forward_with_state(&Variable::constant(tensor(&case["x"])), None);
    assert_eq!(out.shape(), [5, 3, 20]);
    assert_eq!(fin.h.shape(), [1, 5, 20]);
    assert_eq!(fin.c.unwrap().shape(), [1, 5, 20]);
    assert_eq!(tensor(&case["output"]).shape(), out.shape());
}
