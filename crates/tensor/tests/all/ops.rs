//! Unit tests for every tensor operation, on small hand-checkable inputs.

use kindling_tensor::{assert_close, Axes, DType, Device, Rng, Tensor, Tolerance};

fn t2() -> Tensor<f32> {
    // [[0, 1, 2], [3, 4, 5]]
    Tensor::<f32>::arange(6.0).reshape([2, 3])
}

// ----- creation ------------------------------------------------------------------------------

#[test]
fn creation_functions() {
    assert_eq!(Tensor::<f32>::zeros([2, 2]).to_vec(), vec![0.0; 4]);
    assert_eq!(Tensor::<i64>::ones([3]).to_vec(), vec![1; 3]);
    assert_eq!(Tensor::full([2], 7u8).to_vec(), vec![7, 7]);
    assert_eq!(Tensor::<f64>::arange_step(1.0, 2.0, 0.25).to_vec(), vec![1.0, 1.25, 1.5, 1.75]);
    assert_eq!(Tensor::<i64>::arange_step(5, 0, -2).to_vec(), vec![5, 3, 1]);
    assert_eq!(Tensor::<f64>::linspace(0.0, 1.0, 5).to_vec(), vec![0.0, 0.25, 0.5, 0.75, 1.0]);
    assert_eq!(Tensor::<f32>::linspace(2.0, 2.0, 1).to_vec(), vec![2.0]);
    assert_eq!(Tensor::<i32>::eye(3).to_vec(), vec![1, 0, 0, 0, 1, 0, 0, 0, 1]);
    let x = t2();
    assert_eq!(x.zeros_like().shape(), &[2, 3]);
    assert_eq!(x.ones_like().sum_all(), 6.0);
    assert_eq!(x.full_like(2.0).to_vec(), vec![2.0; 6]);
    assert_eq!(Tensor::from(vec![1.5f32, 2.5]).shape(), &[2]);
    assert_eq!(Tensor::from_slice(&[1u8, 2, 3]).to_vec(), vec![1, 2, 3]);
    assert_eq!(Tensor::from([[[[1.0f32]]]]).shape(), &[1, 1, 1, 1]);
    assert_eq!(Tensor::from_vec(vec![1, 2, 3, 4, 5, 6i64], [3, 2]).get(&[2, 1]), 6);
    assert_eq!(Tensor::scalar(2.0f64).item(), 2.0);
}

#[test]
fn random_tensors_are_seeded_and_have_the_right_statistics() {
    let a = Tensor::<f32>::rand([1000], &mut Rng::seed(1));
    let b = Tensor::<f32>::rand([1000], &mut Rng::seed(1));
    assert!(a.equal(&b));
    assert!(a.min_all() >= 0.0 && a.max_all() < 1.0);
    assert!((a.mean_all() - 0.5).abs() < 0.05);
    let u = Tensor::<f64>::uniform([2000], -2.0, 4.0, &mut Rng::seed(2));
    assert!(u.min_all() >= -2.0 && u.max_all() < 4.0 && (u.mean_all() - 1.0).abs() < 0.15);
    let n = Tensor::<f64>::normal([20_000], 3.0, 2.0, &mut Rng::seed(3));
    assert!((n.mean_all() - 3.0).abs() < 0.05);
    assert!((n.std(Axes::All, false).item() - 2.0).abs() < 0.05);
    let bern = Tensor::<f32>::bernoulli([10_000], 0.3, &mut Rng::seed(4));
    assert!(bern.to_vec().iter().all(|&v| v == 0.0 || v == 1.0));
    assert!((bern.mean_all() - 0.3).abs() < 0.02);
    let p = Tensor::randperm(10, &mut Rng::seed(5));
    let mut sorted = p.to_vec();
    sorted.sort_unstable();
    assert_eq!(sorted, (0..10).collect::<Vec<i64>>());
    let r = Tensor::randint(-3, 3, [1000], &mut Rng::seed(6));
    assert!(r.min_all() == -3 && r.max_all() == 2);
    assert_eq!(Tensor::<f32>::randn([3, 4], &mut Rng::seed(7)).shape(), &[3, 4]);
}

#[test]
fn casts_between_element_types() {
    let x = Tensor::from([-1.7f32, 0.0, 2.9]);
    assert_eq!(x.cast::<i64>().to_vec(), vec![-1, 0, 2]);
    assert_eq!(x.cast::<bool>().to_vec(), vec![true, false, true]);
    assert_eq!(x.cast::<f64>().dtype(), DType::F64);
    assert_eq!(Tensor::from([255u8, 1]).cast::<f32>().to_vec(), vec![255.0, 1.0]);
    assert_eq!(Tensor::from([true, false]).cast::<i32>().to_vec(), vec![1, 0]);
    // A cast of a strided view reads it in logical order.
    assert_eq!(t2().t().cast::<i64>().to_vec(), vec![0, 3, 1, 4, 2, 5]);
}

#[test]
fn metadata() {
    let x = t2();
    assert_eq!((x.rank(), x.numel(), x.dim(-1), x.dtype(), x.device()), (2, 6, 3, DType::F32, Device::Cpu));
    assert_eq!(x.strides(), &[3, 1]);
    assert!(x.is_contiguous());
    assert!(!x.t().is_contiguous());
    assert_eq!(x.t().contiguous().strides(), &[2, 1]);
    assert!(x.to(Device::Cpu).shares_storage_with(&x));
    assert!(!x.deep_clone().shares_storage_with(&x));
}

// ----- views ---------------------------------------------------------------------------------

#[test]
fn views_share_storage_and_read_correctly() {
    let x = t2();
    let views = [
        x.reshape([3, 2]),
        x.view([6]),
        x.permute([1, 0]),
        x.transpose(0, 1),
        x.unsqueeze(0),
        x.unsqueeze(-1),
        x.narrow(1, 1, 2),
        x.slice(1, 0, 3, 2),
        x.select(0, 1),
        x.flatten(0, -1),
        x.narrow(0, 0, 1).expand([4, -1]),
        x.unsqueeze(1).squeeze(1),
    ];
    for v in &views {
        assert!(v.shares_storage_with(&x), "{v:?}");
    }
    assert_eq!(views[2].to_vec(), vec![0.0, 3.0, 1.0, 4.0, 2.0, 5.0]);
    assert_eq!(views[4].shape(), &[1, 2, 3]);
    assert_eq!(views[5].shape(), &[2, 3, 1]);
    assert_eq!(views[6].to_vec(), vec![1.0, 2.0, 4.0, 5.0]);
    assert_eq!(views[7].to_vec(), vec![0.0, 2.0, 3.0, 5.0]);
    assert_eq!(views[8].to_vec(), vec![3.0, 4.0, 5.0]);
    assert_eq!(views[10].shape(), &[4, 3]);
    assert_eq!(views[10].strides(), &[0, 1]);
    assert_eq!(views[10].to_vec(), [0.0, 1.0, 2.0].repeat(4));
}

#[test]
fn slicing_with_steps_and_negative_axes() {
    let x = Tensor::<i64>::arange(10);
    assert_eq!(x.slice(0, 1, 10, 3).to_vec(), vec![1, 4, 7]);
    assert_eq!(x.slice(-1, 8, 100, 5).to_vec(), vec![8]); // end is clamped like Python
    assert_eq!(x.slice(0, 4, 4, 1).numel(), 0);
    // Slicing a slice composes strides.
    assert_eq!(x.slice(0, 0, 10, 2).slice(0, 1, 5, 2).to_vec(), vec![2, 6]);
}

#[test]
fn squeeze_all_flatten_and_broadcast_to() {
    let x = Tensor::<f32>::zeros([1, 3, 1, 2]);
    assert_eq!(x.squeeze_all().shape(), &[3, 2]);
    assert_eq!(x.flatten(1, 2).shape(), &[1, 3, 2]);
    assert_eq!(Tensor::scalar(1.0f32).flatten(0, -1).shape(), &[1]);
    let b = Tensor::from([1.0f32, 2.0]).broadcast_to([3, 2]);
    assert_eq!(b.to_vec(), vec![1.0, 2.0, 1.0, 2.0, 1.0, 2.0]);
}

#[test]
fn split_chunk_cat_stack() {
    let x = Tensor::<i64>::arange(10).reshape([2, 5]);
    let parts = x.split(2, 1);
    assert_eq!(parts.iter().map(|p| p.shape()[1]).collect::<Vec<_>>(), vec![2, 2, 1]);
    let refs: Vec<&Tensor<i64>> = parts.iter().collect();
    assert!(Tensor::cat(&refs, 1).equal(&x));
    assert_eq!(x.chunk(3, 1).len(), 3);
    assert_eq!(x.chunk(2, 0)[1].to_vec(), vec![5, 6, 7, 8, 9]);
    let s = Tensor::stack(&[&x, &x], 0);
    assert_eq!(s.shape(), &[2, 2, 5]);
    let s1 = Tensor::stack(&[&x, &(&x * 10)], -1);
    assert_eq!(s1.shape(), &[2, 5, 2]);
    assert_eq!(s1.get(&[1, 4, 1]), 90);
    let c0 = Tensor::cat(&[&x, &x.narrow(0, 0, 1)], 0);
    assert_eq!(c0.shape(), &[3, 5]);
    assert_eq!(c0.select(0, 2).to_vec(), vec![0, 1, 2, 3, 4]);
}

// ----- indexing ------------------------------------------------------------------------------

#[test]
fn index_select_gather_scatter_add() {
    let x = t2();
    let idx = Tensor::from([2i64, 0, -1]);
    assert_eq!(x.index_select(1, &idx).to_vec(), vec![2.0, 0.0, 2.0, 5.0, 3.0, 5.0]);
    assert_eq!(x.index_select(0, &Tensor::from([1i64])).to_vec(), vec![3.0, 4.0, 5.0]);
    // gather: pick one column per row (the cross-entropy lookup).
    let labels = Tensor::from([[2i64], [0]]);
    assert_eq!(x.gather(1, &labels).to_vec(), vec![2.0, 3.0]);
    // scatter_add is gather's adjoint: counts land where the indices point.
    let counts = Tensor::<f32>::zeros([2, 3]).scatter_add(1, &Tensor::from([[0i64, 0], [2, 1]]), &Tensor::ones([2, 2]));
    assert_eq!(counts.to_vec(), vec![2.0, 0.0, 0.0, 0.0, 1.0, 1.0]);
    let hist = Tensor::<i64>::zeros([4]).scatter_add(0, &Tensor::from([1i64, 3, 1, 1]), &Tensor::ones([4]));
    assert_eq!(hist.to_vec(), vec![0, 3, 0, 1]);
}

#[test]
fn masked_fill_and_where() {
    let x = t2();
    let mask = x.gt_scalar(2.5);
    assert_eq!(x.masked_fill(&mask, -1.0).to_vec(), vec![0.0, 1.0, 2.0, -1.0, -1.0, -1.0]);
    // A row mask broadcasts over rows (a causal-mask style use).
    let col_mask = Tensor::from([true, false, true]);
    assert_eq!(x.masked_fill(&col_mask, 9.0).to_vec(), vec![9.0, 1.0, 9.0, 9.0, 4.0, 9.0]);
    let w = Tensor::where_cond(&mask, &x, &Tensor::scalar(0.0));
    assert_eq!(w.to_vec(), vec![0.0, 0.0, 0.0, 3.0, 4.0, 5.0]);
}

// ----- elementwise ---------------------------------------------------------------------------

#[test]
fn arithmetic_operators_with_tensors_and_scalars() {
    let x = t2();
    let row = Tensor::from([10.0f32, 20.0, 30.0]);
    let col = Tensor::from([[1.0f32], [2.0]]);
    assert_eq!((&x + &row).to_vec(), vec![10.0, 21.0, 32.0, 13.0, 24.0, 35.0]);
    assert_eq!((&x * &col).to_vec(), vec![0.0, 1.0, 2.0, 6.0, 8.0, 10.0]);
    assert_eq!((&col - &row).shape(), &[2, 3]);
    assert_eq!((&x / 2.0).to_vec(), vec![0.0, 0.5, 1.0, 1.5, 2.0, 2.5]);
    assert_eq!((1.0 - &x).to_vec(), vec![1.0, 0.0, -1.0, -2.0, -3.0, -4.0]);
    assert_eq!((2.0 * x.clone()).sum_all(), 30.0);
    assert_eq!((-&x).to_vec()[5], -5.0);
    assert_eq!((&x % 2.0).to_vec(), vec![0.0, 1.0, 0.0, 1.0, 0.0, 1.0]);
    assert_eq!((Tensor::from([7i64, -7]) / 2).to_vec(), vec![3, -3]);
    let mut acc = x.clone();
    acc += &row;
    acc -= 1.0;
    acc *= 2.0;
    assert_eq!(acc.to_vec(), vec![18.0, 40.0, 62.0, 24.0, 46.0, 68.0]);
    // The in-place operators never write through a shared buffer.
    assert_eq!(x.to_vec(), vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
}

#[test]
fn unary_math_matches_std() {
    let xs = [-2.5f64, -0.3, 0.0, 0.7, 3.0];
    let x = Tensor::from(xs);
    type Case = (fn(&Tensor<f64>) -> Tensor<f64>, fn(f64) -> f64);
    let cases: [Case; 8] = [
        (|t| t.exp(), f64::exp),
        (|t| t.sin(), f64::sin),
        (|t| t.cos(), f64::cos),
        (|t| t.tanh(), f64::tanh),
        (|t| t.sigmoid(), |v| 1.0 / (1.0 + (-v).exp())),
        (|t| t.relu(), |v| v.max(0.0)),
        (|t| t.square(), |v| v * v),
        (|t| t.abs(), f64::abs),
    ];
    for (op, reference) in cases {
        let expected = Tensor::from(xs.map(reference));
        assert_close(&op(&x), &expected, Tolerance::new(1e-12, 1e-12));
    }
    let pos = Tensor::from([0.5f64, 1.0, 4.0]);
    assert_close(&pos.log(), &Tensor::from([0.5f64.ln(), 0.0, 4.0f64.ln()]), Tolerance::STRICT);
    assert_close(&pos.sqrt(), &Tensor::from([0.5f64.sqrt(), 1.0, 2.0]), Tolerance::STRICT);
    assert_close(&pos.recip(), &Tensor::from([2.0, 1.0, 0.25]), Tolerance::STRICT);
    assert_close(&pos.log1p(), &Tensor::from([1.5f64.ln(), 2f64.ln(), 5f64.ln()]), Tolerance::STRICT);
    assert_close(&pos.powf(2.0), &Tensor::from([0.25, 1.0, 16.0]), Tolerance::STRICT);
    // erf(1) = 0.8427007929497149
    assert_close(
        &Tensor::from([1.0f64, 0.0]).erf(),
        &Tensor::from([0.8427007929497149, 0.0]),
        Tolerance::new(1e-15, 0.0),
    );
    assert_eq!(Tensor::from([-3.0f32, 0.0, 2.0]).sign().to_vec(), vec![-1.0, 0.0, 1.0]);
    assert_eq!(Tensor::from([-3i64, 4]).abs().to_vec(), vec![3, 4]);
}

#[test]
fn maximum_minimum_clamp_pow_propagate_nan() {
    let a = Tensor::from([1.0f32, f32::NAN, 5.0]);
    let b = Tensor::from([2.0f32, 0.0, 4.0]);
    let max = a.maximum(&b).to_vec();
    assert_eq!((max[0], max[2]), (2.0, 5.0));
    assert!(max[1].is_nan());
    assert_eq!(a.minimum(&b).to_vec()[2], 4.0);
    assert_eq!(t2().clamp(1.0, 3.0).to_vec(), vec![1.0, 1.0, 2.0, 3.0, 3.0, 3.0]);
    assert_eq!(Tensor::from([2i64, 3]).pow(&Tensor::from([3i64, 2])).to_vec(), vec![8, 9]);
    assert!(Tensor::from([f32::NAN]).relu().to_vec()[0].is_nan());
}

#[test]
fn comparisons_and_logic_give_masks() {
    let x = t2();
    assert_eq!(x.gt_scalar(2.0).to_vec(), vec![false, false, false, true, true, true]);
    assert_eq!(x.le(&Tensor::from([1.0f32, 1.0, 5.0])).to_vec(), vec![true, true, true, false, false, true]);
    assert_eq!(x.eq_scalar(4.0).cast::<i64>().sum_all(), 1);
    assert_eq!(x.ne_scalar(4.0).cast::<i64>().sum_all(), 5);
    assert!(x.lt_scalar(1.0).to_vec()[0]);
    assert!(x.ge(&x).all_true());
    let m = Tensor::from([true, false]);
    assert_eq!(m.logical_not().to_vec(), vec![false, true]);
    assert_eq!(m.logical_and(&Tensor::from([true, true])).to_vec(), vec![true, false]);
    assert_eq!(m.logical_or(&Tensor::from([false, true])).to_vec(), vec![true, true]);
}

// ----- reductions ----------------------------------------------------------------------------

#[test]
fn reductions_over_axes_with_keepdim() {
    let x = t2();
    assert_eq!(x.sum(0, false).to_vec(), vec![3.0, 5.0, 7.0]);
    assert_eq!(x.sum(1, true).shape(), &[2, 1]);
    assert_eq!(x.sum(-1, false).to_vec(), vec![3.0, 12.0]);
    assert_eq!(x.sum([0, 1], false).shape(), &[] as &[usize]);
    assert_eq!(x.sum(Axes::All, true).shape(), &[1, 1]);
    assert_eq!(x.sum_all(), 15.0);
    assert_eq!(x.mean(1, false).to_vec(), vec![1.0, 4.0]);
    assert_eq!(x.mean_all(), 2.5);
    assert_eq!(x.max(1, false).to_vec(), vec![2.0, 5.0]);
    assert_eq!(x.min(0, false).to_vec(), vec![0.0, 1.0, 2.0]);
    assert_eq!((&x + 1.0).prod(1, false).to_vec(), vec![6.0, 120.0]);
    // Non-adjacent axes of a 3-D tensor.
    let y = Tensor::<f32>::arange(24.0).reshape([2, 3, 4]);
    assert_eq!(y.sum([0, 2], false).to_vec(), vec![60.0, 92.0, 124.0]);
    assert_eq!(y.sum([-1, 0], true).shape(), &[1, 3, 1]);
    // Empty sums are 0, empty products 1.
    assert_eq!(Tensor::<f32>::zeros([0, 3]).sum(0, false).to_vec(), vec![0.0; 3]);
    assert_eq!(Tensor::<f32>::zeros([2, 0]).prod(1, false).to_vec(), vec![1.0; 2]);
}

#[test]
fn variance_and_standard_deviation_both_conventions() {
    let x = Tensor::from([2.0f64, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]);
    assert_eq!(x.var_population(0, false).item(), 4.0);
    assert_eq!(x.std_population(0, false).item(), 2.0);
    assert_close(&x.var(0, false), &Tensor::scalar(32.0 / 7.0), Tolerance::STRICT);
    assert_close(&x.std(0, false), &Tensor::scalar((32.0f64 / 7.0).sqrt()), Tolerance::STRICT);
    let m = Tensor::from([[1.0f64, 3.0], [5.0, 9.0]]);
    assert_eq!(m.var_population(0, false).to_vec(), vec![4.0, 9.0]);
    assert_eq!(m.var_with_correction(1, 1, true).to_vec(), vec![2.0, 8.0]);
}

#[test]
fn argmax_ties_and_nan() {
    let x = Tensor::from([[1.0f32, 3.0, 3.0], [f32::NAN, 9.0, 0.0]]);
    assert_eq!(x.argmax(1, false).to_vec(), vec![1, 0]); // first of the tied 3s; NaN wins
    assert_eq!(x.argmin(1, false).to_vec(), vec![0, 0]);
    let (v, i) = Tensor::from([[4i64, 8, 8], [2, 1, 7]]).max_with_indices(0, true);
    assert_eq!((v.to_vec(), i.to_vec(), i.shape().to_vec()), (vec![4, 8, 8], vec![0, 0, 0], vec![1, 3]));
    let (v, i) = Tensor::from([3i64, 1, 1]).min_with_indices(0, false);
    assert_eq!((v.item(), i.item()), (1, 1));
    assert_eq!(Tensor::from([[1.0f32, 7.0], [9.0, 2.0]]).argmax_all(), 2);
}

#[test]
fn logsumexp_softmax_and_cumsum() {
    let z = Tensor::from([2.0f64, 1.0, 0.1]);
    // Course fixture #14: softmax of [2.0, 1.0, 0.1].
    assert_close(&z.softmax(0), &Tensor::from([0.6590011389, 0.2424329707, 0.0985658904]), Tolerance::new(1e-10, 0.0));
    assert_close(&z.log_softmax(0).exp(), &z.softmax(0), Tolerance::STRICT);
    let big = Tensor::from([1000.0f32, 1000.0]);
    assert_eq!(big.softmax(0).to_vec(), vec![0.5, 0.5]);
    assert_close(&big.logsumexp(0, false), &Tensor::scalar(1000.0 + 2f32.ln()), Tolerance::DEFAULT);
    let masked = Tensor::from([f32::NEG_INFINITY, f32::NEG_INFINITY]);
    assert_eq!(masked.logsumexp(0, false).item(), f32::NEG_INFINITY);
    let m = Tensor::<f64>::arange(6.0).reshape([2, 3]);
    assert_close(&m.softmax(0).sum(0, false), &Tensor::ones([3]), Tolerance::STRICT);
    assert_close(&m.logsumexp([0, 1], false), &Tensor::scalar(m.exp().sum_all().ln()), Tolerance::STRICT);
    assert_eq!(m.cumsum(1).to_vec(), vec![0.0, 1.0, 3.0, 3.0, 7.0, 12.0]);
    assert_eq!(m.cumsum(0).to_vec(), vec![0.0, 1.0, 2.0, 3.0, 5.0, 7.0]);
}

#[test]
fn all_and_any() {
    let m = Tensor::from([[true, false], [true, true]]);
    assert_eq!(m.all(1, false).to_vec(), vec![false, true]);
    assert_eq!(m.any(0, false).to_vec(), vec![true, true]);
    assert!(!m.all_true() && m.any_true());
}

// ----- linear algebra ------------------------------------------------------------------------

#[test]
fn matmul_follows_pytorch_rank_rules() {
    let v = Tensor::from([1.0f32, 2.0, 3.0]);
    let m = t2(); // [2, 3]
    assert_eq!(v.matmul(&v).shape(), &[] as &[usize]);
    assert_eq!(v.matmul(&v).item(), 14.0);
    assert_eq!(m.matmul(&v).to_vec(), vec![8.0, 26.0]); // [2,3]·[3] → [2]
    assert_eq!(Tensor::from([1.0f32, 1.0]).matmul(&m).to_vec(), vec![3.0, 5.0, 7.0]); // [2]·[2,3] → [3]
                                                                                      // Batched, with broadcasting batch axes: [4, 1, 2, 3] · [5, 3, 2] → [4, 5, 2, 2].
    let a = Tensor::<f32>::randn([4, 1, 2, 3], &mut Rng::seed(0));
    let b = Tensor::<f32>::randn([5, 3, 2], &mut Rng::seed(1));
    let c = a.matmul(&b);
    assert_eq!(c.shape(), &[4, 5, 2, 2]);
    let expected = a.select(0, 3).select(0, 0).matmul(&b.select(0, 2));
    assert_close(&c.select(0, 3).select(0, 2), &expected, Tolerance::DEFAULT);
    // A batched matrix times a vector: [5, 3, 2]·[2] → [5, 3].
    assert_eq!(b.matmul(&Tensor::from([1.0f32, 0.0])).to_vec(), b.select(2, 0).to_vec());
    // Transposed operands are read in place.
    assert_eq!(m.matmul(&m.t()).to_vec(), vec![5.0, 14.0, 14.0, 50.0]);
}

#[test]
fn dot_and_outer() {
    let a = Tensor::from([1i64, 2, 3]);
    assert_eq!(a.dot(&Tensor::from([4, 5, 6])), 32);
    assert_eq!(a.outer(&Tensor::from([1, 10])).to_vec(), vec![1, 10, 2, 20, 3, 30]);
}

#[test]
fn matmul_of_empty_and_degenerate_shapes() {
    assert_eq!(Tensor::<f32>::zeros([3, 0]).matmul(&Tensor::zeros([0, 2])).to_vec(), vec![0.0; 6]);
    assert_eq!(Tensor::<f32>::zeros([0, 4]).matmul(&Tensor::zeros([4, 2])).shape(), &[0, 2]);
}

// ----- storage and printing ------------------------------------------------------------------

#[test]
fn make_mut_copies_on_write() {
    let x = Tensor::from([1.0f32, 2.0]);
    let view = x.clone();
    let mut y = x.clone();
    y.make_mut()[0] = 9.0;
    assert_eq!(y.to_vec(), vec![9.0, 2.0]);
    assert_eq!(view.to_vec(), vec![1.0, 2.0]);
    let mut unique = Tensor::from([5i64]);
    let before = unique.make_mut().as_ptr();
    assert_eq!(unique.make_mut().as_ptr(), before, "a unique buffer is written in place");
}

#[test]
fn display_like_pytorch() {
    assert_eq!(
        Tensor::from([[1.0f32, 2.0], [3.0, 4.0]]).to_string(),
        "tensor([[1., 2.],\n        [3., 4.]], shape=[2, 2], dtype=float32, device=cpu)"
    );
    assert_eq!(
        Tensor::from([0.5f64, -1.25]).to_string(),
        "tensor([ 0.5000, -1.2500], shape=[2], dtype=float64, device=cpu)"
    );
    assert_eq!(Tensor::from([3i64, -10]).to_string(), "tensor([  3, -10], shape=[2], dtype=int64, device=cpu)");
    assert_eq!(Tensor::from([true, false]).to_string(), "tensor([ True, False], shape=[2], dtype=bool, device=cpu)");
    assert_eq!(Tensor::scalar(7u8).to_string(), "tensor(7, shape=[], dtype=uint8, device=cpu)");
    assert_eq!(
        Tensor::from([1e-6f32, 1.0]).to_string(),
        "tensor([1.0000e-06, 1.0000e+00], shape=[2], dtype=float32, device=cpu)"
    );
    assert_eq!(
        Tensor::from([f32::NAN, f32::INFINITY, 1.5]).to_string(),
        "tensor([   nan,    inf, 1.5000], shape=[3], dtype=float32, device=cpu)"
    );
    // Large tensors are summarized: 3 items from each end of every axis.
    let big = Tensor::<i64>::arange(2000);
    assert_eq!(
        big.to_string(),
        "tensor([   0,    1,    2, ..., 1997, 1998, 1999], shape=[2000], dtype=int64, device=cpu)"
    );
    let dbg = format!("{:?}", t2().t());
    assert!(dbg.contains("strides=[1, 3], offset=0"), "{dbg}");
}

#[test]
fn to_vec_item_get() {
    let x = t2();
    assert_eq!(x.t().to_vec(), vec![0.0, 3.0, 1.0, 4.0, 2.0, 5.0]);
    assert_eq!(x.get(&[1, 2]), 5.0);
    assert_eq!(x.narrow(1, 2, 1).narrow(0, 1, 1).item(), 5.0);
    assert_eq!(x.as_slice().unwrap().len(), 6);
    assert!(x.t().as_slice().is_none());
}

#[test]
fn tensors_cross_threads() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<Tensor<f32>>();
    send_sync::<Tensor<bool>>();
    let x = Tensor::<f32>::ones([3]);
    let y = std::thread::spawn(move || x.sum_all()).join().unwrap();
    assert_eq!(y, 3.0);
}

#[test]
fn slice_scatter_and_index_add_invert_slicing_and_selection() {
    let x = Tensor::<f32>::zeros([2, 5]);
    let src = Tensor::from([[1.0f32, 2.0], [3.0, 4.0]]);
    let y = x.slice_scatter(&src, 1, 1, 5, 2);
    assert_eq!(y.to_vec(), vec![0.0, 1.0, 0.0, 2.0, 0.0, 0.0, 3.0, 0.0, 4.0, 0.0]);
    assert!(y.slice(1, 1, 5, 2).equal(&src));
    // Scattering into a strided (transposed) input works on its logical layout.
    let t = Tensor::<f32>::zeros([5, 2]).t();
    assert!(t.slice_scatter(&src, 1, 1, 5, 2).equal(&y));
    let acc = Tensor::<f32>::zeros([3, 2]).index_add(0, &Tensor::from([2i64, 0, 2]), &Tensor::ones([3, 2]));
    assert_eq!(acc.to_vec(), vec![1.0, 1.0, 0.0, 0.0, 2.0, 2.0]);
}

// ----- rearranging copies and sized splits ---------------------------------------------------

#[test]
fn flip_reverses_the_named_axes_and_copies() {
    let x = t2();
    assert_eq!(x.flip([1]).to_vec(), vec![2.0, 1.0, 0.0, 5.0, 4.0, 3.0]);
    assert_eq!(x.flip([0, -1]).to_vec(), vec![5.0, 4.0, 3.0, 2.0, 1.0, 0.0]);
    assert_eq!(x.t().flip([0]).to_vec(), vec![2.0, 5.0, 1.0, 4.0, 0.0, 3.0]);
    assert!(!x.flip(Vec::<isize>::new()).shares_storage_with(&x));
}

#[test]
#[should_panic(expected = "flip: axis -1 is named twice for shape [2, 3]")]
fn flip_refuses_an_axis_named_twice() {
    t2().flip([1, -1]);
}

#[test]
fn repeat_tiles_like_pytorch() {
    // torch.tensor([[0., 1, 2], [3, 4, 5]]).repeat(2, 1) and .repeat(1, 2, 2)
    let x = t2();
    assert_eq!(x.repeat(&[2, 1]).to_vec(), vec![0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 0.0, 1.0, 2.0, 3.0, 4.0, 5.0]);
    let y = x.repeat(&[1, 2, 2]);
    assert_eq!(y.shape(), &[1, 4, 6]);
    assert_eq!(y.select(1, 1).to_vec(), vec![3.0, 4.0, 5.0, 3.0, 4.0, 5.0]);
    assert_eq!(Tensor::scalar(7i64).repeat(&[3]).to_vec(), vec![7, 7, 7]);
    assert_eq!(x.t().repeat(&[1, 2]).select(0, 2).to_vec(), vec![2.0, 5.0, 2.0, 5.0]);
}

#[test]
#[should_panic(expected = "repeat: 1 repeat counts for shape [2, 3]; need one per axis at least")]
fn repeat_needs_a_count_per_axis() {
    t2().repeat(&[2]);
}

#[test]
fn split_with_sizes_gives_views_of_the_sizes() {
    let x = Tensor::<f32>::arange(7.0);
    let pieces = x.split_with_sizes(&[2, 0, 5], 0);
    assert_eq!(
        pieces.iter().map(|p| p.to_vec()).collect::<Vec<_>>(),
        vec![vec![0.0, 1.0], vec![], vec![2.0, 3.0, 4.0, 5.0, 6.0]]
    );
    assert!(pieces[2].shares_storage_with(&x));
}

#[test]
#[should_panic(expected = "split_with_sizes: sizes [2, 2] add up to 4, but axis 1 of shape [2, 3] has size 3")]
fn split_with_sizes_must_cover_the_axis() {
    t2().split_with_sizes(&[2, 2], 1);
}

#[test]
fn std_with_correction_matches_pytorch() {
    // torch.std(x, dim=1, correction=c) for x = [[0, 1, 2], [3, 4, 5]]: 1.0 (c = 1), √(2/3) (c = 0).
    let x = t2().cast::<f64>();
    assert_close(&x.std_with_correction(1, 1, false), &Tensor::from([1.0, 1.0]), Tolerance::STRICT);
    let pop = (2.0f64 / 3.0).sqrt();
    assert_close(&x.std_with_correction(1, 0, true), &Tensor::from([[pop], [pop]]), Tolerance::STRICT);
}
