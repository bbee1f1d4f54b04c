//! Property tests: laws of the view machinery and algebraic identities, over random shapes and
//! random layouts (half dense, half views: permuted back, step-2 slices, narrows, transposes,
//! expanded size-1 axes), in the current kernel mode.

use kindling_tensor::testing::*;
use kindling_tensor::{Axes, Rng, Tensor, Tolerance};
use proptest::prelude::*;

/// Shapes for most tests: rank 0-4, sizes 1-7. Empty tensors get their own test below
/// (`empty_tensors_read_as_empty`), so that one bug there does not mask the others.
fn any_shape() -> impl Strategy<Value = Vec<usize>> {
    arb_shape(0..=4, 1..=7)
}

/// Shapes with at least one axis of size 0.
fn empty_shape() -> impl Strategy<Value = Vec<usize>> {
    (arb_shape(1..=4, 0..=4), any::<prop::sample::Index>()).prop_map(|(mut s, i)| {
        let at = i.index(s.len());
        s[at] = 0;
        s
    })
}

/// Shapes with at least one axis and no empty one (for reductions and indexing).
fn nonempty_shape() -> impl Strategy<Value = Vec<usize>> {
    arb_shape(1..=4, 1..=7)
}

fn norm(axis: isize, rank: usize) -> usize {
    if axis < 0 {
        (axis + rank as isize) as usize
    } else {
        axis as usize
    }
}

/// A random axis of `rank`, negative half the time.
fn some_axis(rng: &mut Rng, rank: usize) -> isize {
    let a = rng.below(rank as u64) as isize;
    if rng.below(2) == 0 {
        a
    } else {
        a - rank as isize
    }
}

/// A random non-empty set of axes (in random order, some negative), or `Axes::All`, with the
/// sorted axes it names.
fn some_axes(rng: &mut Rng, rank: usize) -> (Axes, Vec<usize>) {
    if rng.below(5) == 0 {
        return (Axes::All, (0..rank).collect());
    }
    let mut chosen: Vec<usize> = (0..rank).filter(|_| rng.below(2) == 0).collect();
    if chosen.is_empty() {
        chosen.push(rng.below(rank as u64) as usize);
    }
    let mut listed: Vec<isize> =
        chosen.iter().map(|&a| if rng.below(2) == 0 { a as isize } else { a as isize - rank as isize }).collect();
    rng.shuffle(&mut listed);
    (Axes::These(listed), chosen)
}

/// The value at `idx` of `x` broadcast-read into a reduced result of `axes` (kept or not).
fn reduced_index(idx: &[usize], axes: &[usize], keepdim: bool) -> Vec<usize> {
    idx.iter()
        .enumerate()
        .filter_map(|(i, &v)| if axes.contains(&i) { keepdim.then_some(0) } else { Some(v) })
        .collect()
}

fn assert_same_values<T: kindling_tensor::Element>(what: &str, a: &Tensor<T>, b: &Tensor<T>) {
    check_close(what, a, b, EXACT);
}

proptest! {
    #![proptest_config(config())]

    // ----- the view machinery ----------------------------------------------------------------

    #[test]
    fn to_vec_reads_like_get(x in arb_tensor(any_shape(), f32s())) {
        let t = &x.t;
        let v = t.to_vec();
        prop_assert_eq!(v.len(), t.shape().iter().product::<usize>());
        for (k, idx) in indices(t.shape()).iter().enumerate() {
            prop_assert_eq!(v[k].to_bits(), t.get(idx).to_bits(), "{:?} at {:?}", x, idx);
        }
        if let Some(s) = t.as_slice() {
            prop_assert_eq!(s, &v[..]);
        }
    }

    #[test]
    fn contiguous_keeps_values_and_is_dense(x in arb_tensor(any_shape(), f32s())) {
        let c = x.t.contiguous();
        prop_assert!(c.is_contiguous(), "{:?}", x);
        prop_assert_eq!(c.shape(), x.t.shape());
        prop_assert_eq!(c.to_vec(), x.t.to_vec());
        // A dense tensor comes back as a cheap clone, a strided one as a copy.
        prop_assert_eq!(c.shares_storage_with(&x.t), x.t.is_contiguous(), "{:?}", x);
    }

    #[test]
    fn reshape_round_trips(x in arb_tensor(any_shape(), f32s())) {
        let t = &x.t;
        let reversed: Vec<usize> = t.shape().iter().rev().copied().collect();
        let back = t.reshape(&reversed).reshape(t.shape());
        prop_assert_eq!(back.shape(), t.shape());
        prop_assert_eq!(back.to_vec(), t.to_vec(), "{:?}", x);
        // Splitting every axis into factors keeps the strides expressible: the view path.
        let split: Vec<usize> = t
            .shape()
            .iter()
            .flat_map(|&d| match (2..d).find(|f| d % f == 0) {
                Some(f) => vec![f, d / f],
                None => vec![d],
            })
            .collect();
        let refined = t.reshape(&split);
        prop_assert_eq!(refined.to_vec(), t.to_vec(), "{:?} reshaped to {:?}", x, split);
        prop_assert_eq!(refined.reshape(t.shape()).to_vec(), t.to_vec());
        let flat = t.reshape([-1]);
        prop_assert_eq!(flat.shape(), &[t.numel()][..]);
        prop_assert_eq!(flat.to_vec(), t.to_vec(), "{:?}", x);
    }

    #[test]
    fn permute_then_inverse_is_identity(x in arb_tensor(any_shape(), f32s()), seed in any::<u64>()) {
        let t = &x.t;
        let order = Rng::seed(seed).permutation(t.rank());
        let p = t.permute(order.iter().map(|&o| o as isize).collect::<Vec<_>>());
        // Result axis i is input axis order[i].
        for idx in indices(p.shape()) {
            let mut src = vec![0; t.rank()];
            for (i, &o) in order.iter().enumerate() {
                src[o] = idx[i];
            }
            prop_assert_eq!(p.get(&idx).to_bits(), t.get(&src).to_bits(), "{:?} permuted by {:?}", x, order);
        }
        let mut inverse = vec![0isize; t.rank()];
        for (i, &o) in order.iter().enumerate() {
            inverse[o] = i as isize;
        }
        let back = p.permute(inverse);
        prop_assert_eq!(back.shape(), t.shape());
        prop_assert_eq!(back.strides(), t.strides());
        prop_assert_eq!(back.to_vec(), t.to_vec());
    }

    #[test]
    fn transpose_twice_is_identity(x in arb_tensor(arb_shape(1..=4, 1..=7), f32s()), seed in any::<u64>()) {
        let t = &x.t;
        let mut rng = Rng::seed(seed);
        let (a, b) = (some_axis(&mut rng, t.rank()), some_axis(&mut rng, t.rank()));
        let once = t.transpose(a, b);
        let (na, nb) = (norm(a, t.rank()), norm(b, t.rank()));
        for idx in indices(once.shape()) {
            let mut src = idx.clone();
            src.swap(na, nb);
            prop_assert_eq!(once.get(&idx).to_bits(), t.get(&src).to_bits());
        }
        let twice = once.transpose(a, b);
        prop_assert_eq!(twice.shape(), t.shape());
        prop_assert_eq!(twice.strides(), t.strides());
        prop_assert_eq!(twice.to_vec(), t.to_vec(), "{:?} transposed ({}, {})", x, a, b);
    }

    #[test]
    fn split_and_chunk_then_cat_is_identity(
        x in arb_tensor(nonempty_shape(), f32s()),
        seed in any::<u64>(),
        piece in 1usize..=8,
    ) {
        let t = &x.t;
        let axis = some_axis(&mut Rng::seed(seed), t.rank());
        let a = norm(axis, t.rank());
        let parts = t.split(piece, axis);
        prop_assert_eq!(parts.len(), t.shape()[a].div_ceil(piece));
        for (i, p) in parts.iter().enumerate() {
            let expected = piece.min(t.shape()[a] - i * piece);
            prop_assert_eq!(p.shape()[a], expected, "split({}, {}) of {:?}", piece, axis, x);
        }
        let refs: Vec<&Tensor> = parts.iter().collect();
        assert_same_values(&format!("cat(split({piece}, {axis})) of {x:?}"), &Tensor::cat(&refs, axis), t);

        let chunks = t.chunk(piece, axis);
        prop_assert!(chunks.len() <= piece);
        let refs: Vec<&Tensor> = chunks.iter().collect();
        assert_same_values(&format!("cat(chunk({piece}, {axis})) of {x:?}"), &Tensor::cat(&refs, axis), t);
    }

    #[test]
    fn stack_then_select_recovers_each_input(
        xs in arb_shape(0..=3, 1..=6).prop_flat_map(|s| prop::collection::vec(arb_tensor(Just(s), f32s()), 1..=4)),
        seed in any::<u64>(),
    ) {
        let rank = xs[0].t.rank();
        let mut rng = Rng::seed(seed);
        // Insertion points run over 0..=rank, and -1 means "after the last".
        let axis = rng.below(rank as u64 + 1) as isize - if rng.below(2) == 0 { 0 } else { rank as isize + 1 };
        let refs: Vec<&Tensor> = xs.iter().map(|x| &x.t).collect();
        let s = Tensor::stack(&refs, axis);
        let a = if axis < 0 { (axis + rank as isize + 1) as usize } else { axis as usize };
        prop_assert_eq!(s.shape()[a], xs.len());
        for (i, x) in xs.iter().enumerate() {
            assert_same_values(&format!("stack(axis {axis}).select({a}, {i}) of {x:?}"), &s.select(a as isize, i), &x.t);
        }
    }

    #[test]
    fn flatten_merges_a_run_of_axes(x in arb_tensor(arb_shape(1..=4, 1..=7), f32s()), seed in any::<u64>()) {
        let t = &x.t;
        let mut rng = Rng::seed(seed);
        let (a, b) = (some_axis(&mut rng, t.rank()), some_axis(&mut rng, t.rank()));
        let (s, e) = if norm(a, t.rank()) <= norm(b, t.rank()) { (a, b) } else { (b, a) };
        let (ns, ne) = (norm(s, t.rank()), norm(e, t.rank()));
        let f = t.flatten(s, e);
        let mut expected = t.shape()[..ns].to_vec();
        expected.push(t.shape()[ns..=ne].iter().product());
        expected.extend_from_slice(&t.shape()[ne + 1..]);
        prop_assert_eq!(f.shape(), &expected[..]);
        prop_assert_eq!(f.to_vec(), t.to_vec(), "{:?} flatten({}, {})", x, s, e);
    }

    #[test]
    fn unsqueeze_and_squeeze_are_inverse(x in arb_tensor(any_shape(), f32s()), seed in any::<u64>()) {
        let t = &x.t;
        let rank = t.rank() as isize;
        let mut rng = Rng::seed(seed);
        let axis = rng.below(rank as u64 + 1) as isize - if rng.below(2) == 0 { 0 } else { rank + 1 };
        let u = t.unsqueeze(axis);
        let a = if axis < 0 { axis + rank + 1 } else { axis };
        prop_assert_eq!(u.rank(), t.rank() + 1);
        prop_assert_eq!(u.shape()[a as usize], 1);
        prop_assert_eq!(u.to_vec(), t.to_vec());
        let back = u.squeeze(a);
        prop_assert_eq!(back.shape(), t.shape());
        prop_assert_eq!(back.to_vec(), t.to_vec(), "{:?} unsqueeze({})", x, axis);
        let all = u.squeeze_all();
        prop_assert!(all.shape().iter().all(|&d| d != 1));
        prop_assert_eq!(all.to_vec(), t.to_vec());
    }

    #[test]
    fn index_select_with_arange_is_identity(x in arb_tensor(arb_shape(1..=4, 1..=7), f32s()), seed in any::<u64>()) {
        let t = &x.t;
        let axis = some_axis(&mut Rng::seed(seed), t.rank());
        let a = norm(axis, t.rank());
        let n = t.shape()[a] as i64;
        assert_same_values(&format!("index_select({axis}, arange) of {x:?}"), &t.index_select(axis, &Tensor::arange(n)), t);
        // Reversed indices flip the axis.
        let flipped = t.index_select(axis, &Tensor::arange_step(n - 1, -1, -1));
        for idx in indices(t.shape()) {
            let mut src = idx.clone();
            src[a] = n as usize - 1 - idx[a];
            prop_assert_eq!(flipped.get(&idx).to_bits(), t.get(&src).to_bits(), "{:?}", x);
        }
    }

    #[test]
    fn gather_at_argmax_picks_the_max(x in arb_tensor(nonempty_shape(), f32s()), seed in any::<u64>()) {
        let t = &x.t;
        let axis = some_axis(&mut Rng::seed(seed), t.rank());
        let at = t.argmax(axis, true);
        let what = format!("gather({axis}, argmax) of {x:?}");
        assert_same_values(&what, &t.gather(axis, &at), &t.max(axis, true));
        let (values, indices) = t.max_with_indices(axis, true);
        assert_same_values(&what, &values, &t.max(axis, true));
        prop_assert_eq!(indices.to_vec(), at.to_vec());
    }

    #[test]
    fn scatter_add_of_ones_counts_indices(
        target in nonempty_shape(),
        seed in any::<u64>(),
    ) {
        let mut rng = Rng::seed(seed);
        let axis = some_axis(&mut rng, target.len());
        let a = norm(axis, target.len());
        // The index may be longer than the target along `axis` (repeats) and no larger elsewhere.
        let index_shape: Vec<usize> = target
            .iter()
            .enumerate()
            .map(|(i, &d)| if i == a { 1 + rng.below(8) as usize } else { 1 + rng.below(d as u64) as usize })
            .collect();
        let size = target[a] as u64;
        let plan = Plan::new(index_shape.clone(), KINDS[rng.below(6) as usize], &mut rng);
        let index = plan.build_with(&mut rng, |r| {
            // Negative indices count from the end, as in PyTorch.
            let i = r.below(size) as i64;
            if r.below(3) == 0 { i - size as i64 } else { i }
        });
        let ones = Tensor::<f32>::ones(index_shape.clone());
        let counts = Tensor::<f32>::zeros(target.clone()).scatter_add(axis, &index.t, &ones);
        let mut expected = vec![0.0f32; target.iter().product()];
        for idx in indices(&index_shape) {
            let mut dst = idx.clone();
            dst[a] = index.t.get(&idx).rem_euclid(size as i64) as usize;
            let flat = dst.iter().zip(&target).fold(0, |acc, (&i, &d)| acc * d + i);
            expected[flat] += 1.0;
        }
        prop_assert_eq!(counts.to_vec(), expected, "scatter_add({}) with index {:?}", axis, index);
    }

    #[test]
    fn where_cond_agrees_with_masked_fill(
        (a, b) in arb_broadcast_pair(0..=4, 1..=5, f32s()),
        mask_seed in any::<u64>(),
    ) {
        let mut rng = Rng::seed(mask_seed);
        let out_shape = kindling_tensor::shape::broadcast_shapes("test", a.t.shape(), b.t.shape());
        let mask_shape = broadcastable_to(&out_shape, &mut rng);
        let m = Plan::new(mask_shape, KINDS[rng.below(6) as usize], &mut rng).build_with(&mut rng, |r| r.below(2) == 0);
        let r = Tensor::where_cond(&m.t, &a.t, &b.t);
        prop_assert_eq!(r.shape(), &out_shape[..]);
        let not_m = m.t.logical_not();
        let (ab, bb) = (a.t.broadcast_to(out_shape.clone()), b.t.broadcast_to(out_shape.clone()));
        let what = format!("where({m:?}, {a:?}, {b:?})");
        assert_same_values(&what, &r.masked_fill(&not_m, 0.0), &ab.masked_fill(&not_m, 0.0));
        assert_same_values(&what, &r.masked_fill(&m.t, 0.0), &bb.masked_fill(&m.t, 0.0));
    }

    // ----- algebra ---------------------------------------------------------------------------

    #[test]
    fn broadcast_add_commutes((a, b) in arb_broadcast_pair(0..=4, 1..=6, f32s())) {
        let (ab, ba) = (&a.t + &b.t, &b.t + &a.t);
        let expected = kindling_tensor::shape::broadcast_shapes("test", a.t.shape(), b.t.shape());
        prop_assert_eq!(ab.shape(), &expected[..]);
        assert_same_values(&format!("{a:?} + {b:?}"), &ab, &ba);
    }

    #[test]
    fn a_minus_a_is_zero(x in arb_tensor(any_shape(), f32s())) {
        assert_same_values(&format!("{x:?} - itself"), &(&x.t - &x.t), &x.t.zeros_like());
    }

    #[test]
    fn sum_of_products_is_the_dot_product(
        (a, b) in arb_shape(0..=4, 1..=7).prop_flat_map(|s| (arb_tensor(Just(s.clone()), small_int_f32s()), arb_tensor(Just(s), small_int_f32s()))),
        (c, d) in arb_shape(0..=4, 1..=7).prop_flat_map(|s| (arb_tensor(Just(s.clone()), f64s()), arb_tensor(Just(s), f64s()))),
    ) {
        // Small integers: exact in any summation order.
        let lhs = (&a.t * &b.t).sum_all();
        let rhs = a.t.flatten(0, -1).dot(&b.t.flatten(0, -1));
        prop_assert_eq!(lhs, rhs, "{:?} . {:?}", a, b);
        let lhs = Tensor::scalar((&c.t * &d.t).sum_all());
        let rhs = Tensor::scalar(c.t.flatten(0, -1).dot(&d.t.flatten(0, -1)));
        check_close(&format!("{c:?} . {d:?}"), &lhs, &rhs, Tolerance::DEFAULT);
    }

    #[test]
    fn matmul_is_associative(
        (a, b, c) in (1usize..=7, 1usize..=7, 1usize..=7, 1usize..=7).prop_flat_map(|(m, k, l, n)| (
            arb_tensor(Just(vec![m, k]), -1.0f32..1.0),
            arb_tensor(Just(vec![k, l]), -1.0f32..1.0),
            arb_tensor(Just(vec![l, n]), -1.0f32..1.0),
        )),
    ) {
        let left = a.t.matmul(&b.t).matmul(&c.t);
        let right = a.t.matmul(&b.t.matmul(&c.t));
        check_close(&format!("(AB)C vs A(BC) for {a:?} {b:?} {c:?}"), &left, &right, Tolerance::RELAXED);
    }

    #[test]
    fn matmul_transposes_as_b_t_a_t(
        (a, b) in (arb_shape(0..=2, 1..=3), 1usize..=7, 1usize..=7, 1usize..=7, any::<u64>()).prop_flat_map(|(batch, m, k, n, seed)| {
            // Batch axes that broadcast against each other.
            let mut rng = Rng::seed(seed);
            let ba = [broadcastable_to(&batch, &mut rng), vec![m, k]].concat();
            let bb = [broadcastable_to(&batch, &mut rng), vec![k, n]].concat();
            (arb_tensor(Just(ba), f32s()), arb_tensor(Just(bb), f32s()))
        }),
    ) {
        let left = a.t.matmul(&b.t).transpose(-1, -2);
        let right = b.t.transpose(-1, -2).matmul(&a.t.transpose(-1, -2));
        check_close(&format!("(AB)^T vs B^T A^T for {a:?} {b:?}"), &left, &right, Tolerance::DEFAULT);
    }

    #[test]
    fn softmax_is_a_distribution(x in arb_tensor(nonempty_shape(), -40.0f32..40.0), seed in any::<u64>()) {
        let axis = some_axis(&mut Rng::seed(seed), x.t.rank());
        let s = x.t.softmax(axis);
        prop_assert!(s.to_vec().iter().all(|&p| (0.0..=1.0).contains(&p)), "softmax({}) of {:?}", axis, x);
        let total = s.sum(axis, false);
        check_close(&format!("softmax({axis}) sums of {x:?}"), &total, &total.ones_like(), Tolerance::DEFAULT);
    }

    #[test]
    fn exp_of_log_softmax_is_softmax(x in arb_tensor(nonempty_shape(), -40.0f32..40.0), seed in any::<u64>()) {
        let axis = some_axis(&mut Rng::seed(seed), x.t.rank());
        let ls = x.t.log_softmax(axis);
        prop_assert!(ls.to_vec().iter().all(|&v| v <= Tolerance::DEFAULT.atol as f32 && v.is_finite()), "log_softmax({}) of {:?}", axis, x);
        check_close(&format!("log_softmax({axis}).exp() of {x:?}"), &ls.exp(), &x.t.softmax(axis), Tolerance::DEFAULT);
    }

    #[test]
    fn logsumexp_is_log_of_sum_of_exp(x in arb_tensor(nonempty_shape(), f32s()), seed in any::<u64>(), keepdim in any::<bool>()) {
        let (axes, _) = some_axes(&mut Rng::seed(seed), x.t.rank());
        let lse = x.t.logsumexp(axes.clone(), keepdim);
        let direct = x.t.exp().sum(axes.clone(), keepdim).log();
        check_close(&format!("logsumexp({axes:?}) of {x:?}"), &lse, &direct, Tolerance::DEFAULT);
        // Shifting every input shifts the result, and huge inputs do not overflow.
        for shift in [1e4f32, -1e4] {
            let shifted = (&x.t + shift).logsumexp(axes.clone(), keepdim);
            prop_assert!(shifted.to_vec().iter().all(|v| v.is_finite()), "logsumexp of {:?} + {}", x, shift);
            check_close(&format!("logsumexp({axes:?}) of {x:?} + {shift}"), &shifted, &(&lse + shift), Tolerance::RELAXED);
        }
    }

    #[test]
    fn max_mean_min_are_ordered(x in arb_tensor(nonempty_shape(), f32s()), seed in any::<u64>(), keepdim in any::<bool>()) {
        let (axes, _) = some_axes(&mut Rng::seed(seed), x.t.rank());
        let (hi, mean, lo) = (x.t.max(axes.clone(), keepdim), x.t.mean(axes.clone(), keepdim), x.t.min(axes.clone(), keepdim));
        // The mean of equal values may round a hair past them.
        let tol = Tolerance::DEFAULT;
        for ((h, m), l) in hi.to_vec().into_iter().zip(mean.to_vec()).zip(lo.to_vec()) {
            prop_assert!(h >= l, "max {} < min {} over {:?} of {:?}", h, l, axes, x);
            prop_assert!(m as f64 <= h as f64 + tol.atol + tol.rtol * (h as f64).abs(), "mean {} > max {} over {:?} of {:?}", m, h, axes, x);
            prop_assert!(m as f64 >= l as f64 - tol.atol - tol.rtol * (l as f64).abs(), "mean {} < min {} over {:?} of {:?}", m, l, axes, x);
        }
    }

    #[test]
    fn variance_times_count_is_the_sum_of_squared_deviations(
        x in arb_tensor(nonempty_shape(), f64s()),
        seed in any::<u64>(),
        keepdim in any::<bool>(),
    ) {
        let (axes, list) = some_axes(&mut Rng::seed(seed), x.t.rank());
        let n = list.iter().map(|&a| x.t.shape()[a]).product::<usize>() as f64;
        // The reference reads every lane by hand, in f64.
        let out_shape = x.t.var_population(axes.clone(), keepdim).shape().to_vec();
        let mut sums = Tensor::<f64>::zeros(out_shape.clone());
        let mut squares = Tensor::<f64>::zeros(out_shape.clone());
        {
            let (s, q) = (sums.make_mut(), squares.make_mut());
            let flat = |shape: &[usize], idx: &[usize]| idx.iter().zip(shape).fold(0, |acc, (&i, &d)| acc * d + i);
            for idx in indices(x.t.shape()) {
                s[flat(&out_shape, &reduced_index(&idx, &list, keepdim))] += x.t.get(&idx);
            }
            for idx in indices(x.t.shape()) {
                let slot = flat(&out_shape, &reduced_index(&idx, &list, keepdim));
                let d = x.t.get(&idx) - s[slot] / n;
                q[slot] += d * d;
            }
        }
        let what = format!("var over {axes:?} of {x:?}");
        check_close(&what, &(x.t.var_population(axes.clone(), keepdim) * n), &squares, Tolerance::DEFAULT);
        if n > 1.0 {
            check_close(&what, &(x.t.var(axes.clone(), keepdim) * (n - 1.0)), &squares, Tolerance::DEFAULT);
            check_close(&what, &x.t.std(axes.clone(), keepdim).square(), &x.t.var(axes, keepdim), Tolerance::DEFAULT);
        }
    }

    #[test]
    fn cumsum_ends_with_the_sum(x in arb_tensor(nonempty_shape(), small_int_f32s()), seed in any::<u64>()) {
        let axis = some_axis(&mut Rng::seed(seed), x.t.rank());
        let n = x.t.dim(axis);
        let c = x.t.cumsum(axis);
        prop_assert_eq!(c.shape(), x.t.shape());
        let what = format!("cumsum({axis}) of {x:?}");
        assert_same_values(&what, &c.narrow(axis, n - 1, 1), &x.t.sum(axis, true));
        // Each step adds exactly the next element.
        if n > 1 {
            let steps = &c.narrow(axis, 1, n - 1) - &c.narrow(axis, 0, n - 1);
            assert_same_values(&what, &steps, &x.t.narrow(axis, 1, n - 1));
        }
    }

    #[test]
    fn argmax_and_argmin_point_at_the_first_extreme(
        x in arb_tensor(nonempty_shape(), (-2i32..=2).prop_map(|v| v as f32)),
        seed in any::<u64>(),
        keepdim in any::<bool>(),
    ) {
        let t = &x.t;
        let axis = some_axis(&mut Rng::seed(seed), t.rank());
        let a = norm(axis, t.rank());
        let (hi, lo) = (t.max(axis, keepdim), t.min(axis, keepdim));
        let (imax, imin) = (t.argmax(axis, keepdim), t.argmin(axis, keepdim));
        for idx in indices(t.shape()) {
            let r = reduced_index(&idx, &[a], keepdim);
            let (at_max, at_min) = (imax.get(&r) as usize, imin.get(&r) as usize);
            let v = t.get(&idx);
            // Ties (frequent with these values) resolve to the first index.
            prop_assert!(v < hi.get(&r) || idx[a] >= at_max, "argmax({}) of {:?} at {:?}", axis, x, idx);
            prop_assert!(v > lo.get(&r) || idx[a] >= at_min, "argmin({}) of {:?} at {:?}", axis, x, idx);
            if idx[a] == at_max {
                prop_assert_eq!(v, hi.get(&r), "argmax({}) of {:?}", axis, x);
            }
            if idx[a] == at_min {
                prop_assert_eq!(v, lo.get(&r), "argmin({}) of {:?}", axis, x);
            }
        }
        let all = t.argmax_all();
        prop_assert_eq!(t.to_vec()[all], t.max_all());
        prop_assert!(t.to_vec()[..all].iter().all(|&v| v < t.max_all()));
    }
}

// Regression: views of an empty tensor (`narrow`, `select`, `split`, ...) can start past the
// end of its empty buffer; reading them once panicked in `as_slice`.
#[test]
fn empty_views_past_the_end_read_as_empty() {
    let x = Tensor::<f32>::zeros([3, 0]);
    let v = x.narrow(0, 2, 1);
    assert_eq!(v.shape(), &[1, 0]);
    assert_eq!(v.to_vec(), Vec::<f32>::new());
    assert_eq!(v.contiguous().numel(), 0);
}

// Regression: `expand` once turned a -1 for a new leading axis into size 0, silently losing
// every element; PyTorch refuses it, and so do we.
#[test]
#[should_panic(expected = "expand")]
fn expand_refuses_minus_one_for_a_new_axis() {
    let e = Tensor::from([1.0f32, 2.0]).expand([-1, 2]);
    std::hint::black_box(e);
}

proptest! {
    #![proptest_config(config())]

    // Empty tensors, including views that start past the end of their buffer.
    #[test]
    fn empty_tensors_read_as_empty(x in arb_tensor(empty_shape(), f32s())) {
        let t = &x.t;
        prop_assert!(t.to_vec().is_empty(), "{:?}", x);
        prop_assert_eq!(t.contiguous().shape().to_vec(), t.shape());
        prop_assert_eq!(t.reshape([-1]).shape().to_vec(), vec![0]);
        prop_assert_eq!((t + t).shape().to_vec(), t.shape());
        prop_assert_eq!(t.sum_all(), 0.0);
        for axis in 0..t.rank() as isize {
            let n = t.dim(axis);
            prop_assert!(t.narrow(axis, n, 0).to_vec().is_empty(), "narrow({}, {}, 0) of {:?}", axis, n, x);
            if n > 0 {
                prop_assert!(t.select(axis, n - 1).to_vec().is_empty(), "select({}, {}) of {:?}", axis, n - 1, x);
                let parts = t.split(1, axis);
                let refs: Vec<&Tensor> = parts.iter().collect();
                prop_assert_eq!(Tensor::cat(&refs, axis).shape().to_vec(), t.shape(), "cat(split) of {:?}", x);
            }
        }
        let s = Tensor::stack(&[t, t], 0);
        prop_assert!(s.select(0, 1).to_vec().is_empty(), "stack then select(0, 1) of {:?}", x);
    }
}

// The strategy itself: views must be drawn about as often as dense tensors, or the properties
// above would silently stop testing strides.
#[test]
fn the_strategy_draws_non_contiguous_layouts_often() {
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let strategy = arb_tensor(arb_shape(1..=4, 1..=7), f32s());
    let draws = 400;
    let strided = (0..draws)
        .filter(|_| !strategy.new_tree(&mut runner).expect("strategy draws").current().t.is_contiguous())
        .count();
    assert!(strided * 5 >= draws * 2, "only {strided} of {draws} drawn tensors are non-contiguous");
}
