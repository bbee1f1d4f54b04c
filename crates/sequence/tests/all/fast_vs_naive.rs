//! The fused recurrent op against the unrolled cells at awkward sizes (forward, final states
//! and every gradient), including sizes large enough that the batch is split across threads;
//! and gradient checks of the fused op in f64.

use kindling_autograd::recurrent::{recurrent, CellKind, LayerWeights};
use kindling_autograd::{gradcheck, Variable};
use kindling_nn::Module;
use kindling_sequence::{Recurrent, RecurrentOptions, RecurrentState};
use kindling_tensor::{assert_close, with_kernel_mode, Float, KernelMode, Rng, Tensor, Tolerance};

const KINDS: [CellKind; 4] = [CellKind::RnnTanh, CellKind::RnnRelu, CellKind::Lstm, CellKind::Gru];

struct Case {
    kind: CellKind,
    input: usize,
    hidden: usize,
    steps: usize,
    batch: usize,
    options: RecurrentOptions,
    padded: bool,
}

/// Runs `case` on the given kernels: output, final states, and the gradients of the input,
/// the initial state and every parameter, for a loss that weighs every result randomly.
fn run<T: Float>(case: &Case, mode: KernelMode) -> Vec<(String, Tensor<T>)> {
    with_kernel_mode(mode, || {
        let mut rng = Rng::seed(11);
        let layer = Recurrent::<T>::new(case.kind, case.input, case.hidden, case.options.clone(), &mut rng);
        let (t, b) = if case.options.batch_first { (case.batch, case.steps) } else { (case.steps, case.batch) };
        let x = Variable::param(Tensor::randn([t, b, case.input], &mut rng));
        let slots = case.options.num_layers * if case.options.bidirectional { 2 } else { 1 };
        let p = layer.state_size();
        let state = RecurrentState {
            h: Variable::param(Tensor::randn([slots, case.batch, p], &mut rng)),
            c: (case.kind == CellKind::Lstm)
                .then(|| Variable::param(Tensor::randn([slots, case.batch, case.hidden], &mut rng))),
        };
        let lengths: Vec<usize> = (0..case.batch).map(|i| 1 + (i * 7 + 3) % case.steps).collect();
        let (out, fin) = if case.padded {
            layer.forward_padded(&x, &lengths, Some(&state))
        } else {
            layer.forward_with_state(&x, Some(&state))
        };
        let weigh = |v: &Variable<T>, rng: &mut Rng| (v * &Variable::constant(Tensor::randn(v.shape(), rng))).sum_all();
        let mut loss = &weigh(&out, &mut rng) + &weigh(&fin.h, &mut rng);
        if let Some(c) = &fin.c {
            loss = &loss + &weigh(c, &mut rng);
        }
        loss.backward();
        let mut results = vec![
            ("output".to_string(), out.value()),
            ("h_n".to_string(), fin.h.value()),
            ("grad x".to_string(), x.grad().unwrap()),
            ("grad h0".to_string(), state.h.grad().unwrap()),
        ];
        if let (Some(c), Some(c0)) = (&fin.c, &state.c) {
            results.push(("c_n".to_string(), c.value()));
            results.push(("grad c0".to_string(), c0.grad().unwrap()));
        }
        for (name, p) in layer.named_parameters() {
            results.push((format!("grad {name}"), p.grad().unwrap()));
        }
        results
    })
}

fn compare<T: Float>(case: &Case, tol: Tolerance) {
    let fast = run::<T>(case, KernelMode::Fast);
    let naive = run::<T>(case, KernelMode::Naive);
    assert_eq!(fast.len(), naive.len());
    for ((name, f), (_, n)) in fast.iter().zip(&naive) {
        assert_eq!(f.shape(), n.shape(), "{:?} {name}", case.kind);
        for (i, (a, b)) in f.to_vec().iter().zip(n.to_vec()).enumerate() {
            let (a, b) = (a.to_f64(), b.to_f64());
            assert!(
                (a - b).abs() <= tol.atol + tol.rtol * b.abs(),
                "{:?} {name}[{i}]: fast {a} and unrolled {b} differ",
                case.kind
            );
        }
    }
}

#[test]
fn fast_matches_unrolled_at_awkward_sizes_in_f64() {
    for kind in KINDS {
        for (layers, bi, first, padded) in
            [(1, false, false, false), (2, true, false, true), (2, false, true, true), (1, true, true, false)]
        {
            let options = RecurrentOptions::default().num_layers(layers).bidirectional(bi).batch_first(first);
            let case = Case { kind, input: 3, hidden: 5, steps: 7, batch: 3, options, padded };
            compare::<f64>(&case, Tolerance { atol: 1e-11, rtol: 1e-11 });
        }
    }
    let proj = RecurrentOptions::default().num_layers(2).bidirectional(true).proj_size(3);
    compare::<f64>(
        &Case { kind: CellKind::Lstm, input: 4, hidden: 6, steps: 5, batch: 4, options: proj, padded: true },
        Tolerance { atol: 1e-11, rtol: 1e-11 },
    );
}

/// Big enough that each layer splits its batch into slabs, one per thread (three threads,
/// eleven sequences: slabs of 3, 4 and 4 rows).
#[test]
fn fast_matches_unrolled_when_the_batch_is_split_across_threads() {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(3).build().unwrap();
    pool.install(|| {
        for (kind, hidden) in [(CellKind::Lstm, 160), (CellKind::Gru, 180), (CellKind::RnnTanh, 310)] {
            for padded in [false, true] {
                let options = RecurrentOptions::default().bidirectional(padded);
                let case = Case { kind, input: 13, hidden, steps: 6, batch: 11, options, padded };
                compare::<f32>(&case, Tolerance { atol: 2e-4, rtol: 2e-3 });
            }
        }
        let proj = RecurrentOptions::default().proj_size(150);
        let case =
            Case { kind: CellKind::Lstm, input: 13, hidden: 160, steps: 6, batch: 11, options: proj, padded: true };
        compare::<f32>(&case, Tolerance { atol: 2e-4, rtol: 2e-3 });
    });
}

#[test]
fn the_fused_op_passes_gradient_checks() {
    let mut rng = Rng::seed(5);
    for kind in KINDS {
        for (reverse, lengths) in [(false, None), (true, Some(vec![4usize, 1, 3])), (false, Some(vec![2, 4, 4]))] {
            let (i, h, t, b) = (2, 3, 4, 3);
            let g = kind.gates();
            let mut inputs = vec![
                Tensor::randn([t, b, i], &mut rng),
                Tensor::randn([g * h, i], &mut rng) * 0.5,
                Tensor::randn([g * h, h], &mut rng) * 0.5,
                Tensor::randn([g * h], &mut rng) * 0.5,
                Tensor::randn([g * h], &mut rng) * 0.5,
                Tensor::randn([b, h], &mut rng),
            ];
            if kind == CellKind::Lstm {
                inputs.push(Tensor::randn([b, h], &mut rng));
            }
            let lengths = lengths.clone();
            gradcheck(&format!("recurrent {kind:?}"), &inputs, |v| {
                let w = LayerWeights { w_ih: &v[1], w_hh: &v[2], b_ih: Some(&v[3]), b_hh: Some(&v[4]), w_hr: None };
                let r = recurrent(kind, &v[0], Some(&v[5]), v.get(6), w, lengths.as_deref(), reverse);
                let mut parts = vec![r.output.reshape([-1]), r.h_n.reshape([-1])];
                parts.extend(r.c_n.map(|c| c.reshape([-1])));
                Variable::cat(&parts.iter().collect::<Vec<_>>(), 0)
            });
        }
    }
    // The LSTM's projection.
    let (i, h, p, t, b) = (2, 4, 2, 3, 2);
    let inputs = vec![
        Tensor::randn([t, b, i], &mut rng),
        Tensor::randn([4 * h, i], &mut rng) * 0.5,
        Tensor::randn([4 * h, p], &mut rng) * 0.5,
        Tensor::randn([p, h], &mut rng) * 0.5,
    ];
    gradcheck("recurrent LSTM with projection", &inputs, |v| {
        let w = LayerWeights { w_ih: &v[1], w_hh: &v[2], b_ih: None, b_hh: None, w_hr: Some(&v[3]) };
        let r = recurrent(CellKind::Lstm, &v[0], None, None, w, Some(&[3, 2]), true);
        Variable::cat(&[&r.output.reshape([-1]), &r.c_n.unwrap().reshape([-1])], 0)
    });
}

#[test]
fn padding_never_reaches_a_gradient() {
    // Whatever sits in the padded steps, the outputs of real steps and every gradient of a
    // real-step loss stay the same.
    let mut rng = Rng::seed(3);
    let layer = Recurrent::<f64>::new(CellKind::Lstm, 2, 3, RecurrentOptions::default().bidirectional(true), &mut rng);
    let lengths = [2usize, 4];
    let base = Tensor::randn([4, 2, 2], &mut rng);
    let run = |x: Tensor<f64>| {
        layer.zero_grad();
        let x = Variable::param(x);
        let (out, fin) = layer.forward_padded(&x, &lengths, None);
        (&out.sum_all() + &fin.h.sum_all()).backward();
        let grads: Vec<Tensor<f64>> = layer.parameters().iter().map(|p| p.grad().unwrap()).collect();
        (out.value(), grads, x.grad().unwrap())
    };
    let (out_a, grads_a, dx_a) = run(base.clone());
    // Overwrite sequence 0's padded steps (t = 2, 3) with large values.
    let mut data = base.to_vec();
    for t in 2..4 {
        data[t * 4] = 1e3;
        data[t * 4 + 1] = -1e3;
    }
    let (out_b, grads_b, dx_b) = run(Tensor::from_vec(data, [4, 2, 2]));
    assert_close(&out_a, &out_b, Tolerance::STRICT);
    for (a, b) in grads_a.iter().zip(&grads_b) {
        assert_close(a, b, Tolerance::STRICT);
    }
    assert_close(&dx_a, &dx_b, Tolerance::STRICT);
    assert!(dx_a.narrow(0, 2, 2).select(1, 0).to_vec().iter().all(|&v| v == 0.0));
}

/// Ids through an embedding table give the same outputs, states and gradients (the table's
/// included) as the looked-up rows fed as a sequence, on one slab and on several.
#[test]
fn a_lookup_equals_the_embedded_sequence() {
    let check = |kind: CellKind, hidden: usize, batch: usize, options: RecurrentOptions, padded: bool| {
        let run = |lookup: bool| {
            let mut rng = Rng::seed(9);
            let layer = Recurrent::<f64>::new(kind, 6, hidden, options.clone(), &mut rng);
            let table = Variable::param(Tensor::randn([11, 6], &mut rng));
            let steps = 5;
            let ids: Vec<i64> = (0..steps * batch).map(|i| ((i * 7 + 2) % 11) as i64).collect();
            let shape = if options.batch_first { [batch, steps] } else { [steps, batch] };
            let ids = Tensor::from_vec(ids, shape);
            let lengths: Vec<usize> = (0..batch).map(|b| 1 + (b * 3) % steps).collect();
            let lengths = padded.then_some(&lengths[..]);
            let (out, fin) = if lookup {
                layer.forward_lookup(&table, &ids, lengths, None)
            } else {
                let x = table.embedding(&ids);
                match lengths {
                    Some(l) => layer.forward_padded(&x, l, None),
                    None => layer.forward_with_state(&x, None),
                }
            };
            let r = Tensor::randn(out.shape(), &mut Rng::seed(4));
            (&(&out * &Variable::constant(r)).sum_all() + &fin.h.sum_all()).backward();
            let mut all = vec![out.value(), fin.h.value(), table.grad().unwrap()];
            all.extend(layer.parameters().iter().map(|p| p.grad().unwrap()));
            all
        };
        for (a, b) in run(true).iter().zip(run(false)) {
            assert_close(a, &b, Tolerance { atol: 1e-11, rtol: 1e-11 });
        }
    };
    for kind in KINDS {
        check(kind, 4, 3, RecurrentOptions::default().num_layers(2).bidirectional(true), true);
        check(kind, 5, 2, RecurrentOptions::default().batch_first(true), false);
    }
    let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
    pool.install(|| check(CellKind::Lstm, 170, 9, RecurrentOptions::default(), true));
}
