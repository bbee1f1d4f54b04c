//! tensor::stats ordering functions against NumPy (fixtures/stats/order.json).

use super::stats_fixtures::{i64s, load, strided, tensor_f64, tensor_i64};
use kindling_tensor::stats::{self, Side};
use kindling_tensor::Tensor;

#[test]
fn sort_matches_numpy_on_both_axes_and_strided_views() {
    let f = load("order.json");
    let floats = tensor_f64(&f["floats"]);
    let ints = tensor_i64(&f["ints"]);
    for x in [floats.clone(), strided(&floats)] {
        assert_eq!(stats::sort(&x, 0).to_vec(), tensor_f64(&f["sort_floats_axis0"]).to_vec());
        assert_eq!(stats::sort(&x, -1).to_vec(), tensor_f64(&f["sort_floats_axis1"]).to_vec());
    }
    assert_eq!(stats::sort(&strided(&ints), 0).to_vec(), tensor_i64(&f["sort_ints_axis0"]).to_vec());
    let desc = stats::sort_descending(&floats, 1).to_vec();
    let asc = tensor_f64(&f["sort_floats_axis1"]).to_vec();
    for (d, a) in desc.chunks(7).zip(asc.chunks(7)) {
        assert_eq!(d.iter().rev().copied().collect::<Vec<_>>(), a.to_vec());
    }
}

#[test]
fn argsort_is_stable_like_numpy() {
    let f = load("order.json");
    let ints = tensor_i64(&f["ints"]);
    for x in [ints.clone(), strided(&ints)] {
        assert_eq!(stats::argsort(&x, 0).to_vec(), i64s(&f["argsort_ints_axis0"]["data"]));
        assert_eq!(stats::argsort(&x, 1).to_vec(), i64s(&f["argsort_ints_axis1"]["data"]));
    }
    let floats = tensor_f64(&f["floats"]);
    assert_eq!(stats::argsort(&floats, 1).to_vec(), i64s(&f["argsort_floats_axis1"]["data"]));
}

#[test]
fn topk_values_and_indices_match_a_stable_sort() {
    let f = load("order.json");
    let ints = tensor_i64(&f["ints"]);
    let (values, indices) = stats::topk(&strided(&ints), 3, 1, true);
    assert_eq!(indices.shape(), &[6, 3]);
    let expected = i64s(&f["topk3_largest_ints_axis1"]["data"]);
    assert_eq!(indices.to_vec(), expected);
    let rows = ints.to_vec();
    let gathered: Vec<i64> = expected.iter().enumerate().map(|(j, &i)| rows[(j / 3) * 9 + i as usize]).collect();
    assert_eq!(values.to_vec(), gathered);

    let floats = tensor_f64(&f["floats"]);
    let (values, indices) = stats::topk(&floats, 2, 0, false);
    assert_eq!(indices.shape(), &[2, 7]);
    assert_eq!(indices.to_vec(), i64s(&f["topk2_smallest_floats_axis0"]["data"]));
    assert_eq!(values.to_vec(), tensor_f64(&f["sort_floats_axis0"]).to_vec()[..14].to_vec());
}

#[test]
fn topk_edge_cases_and_panic() {
    let x = Tensor::from([4.0f32, 9.0, 1.0]);
    let (v, i) = stats::topk(&x, 3, 0, true);
    assert_eq!((v.to_vec(), i.to_vec()), (vec![9.0, 4.0, 1.0], vec![1, 0, 2]));
    let (v, _) = stats::topk(&x, 0, 0, true);
    assert_eq!(v.shape(), &[0]);
    let err = std::panic::catch_unwind(|| stats::topk(&x, 4, 0, true)).unwrap_err();
    let msg = err.downcast_ref::<String>().unwrap();
    assert!(msg.contains("topk: k = 4 exceeds the length 3"), "{msg}");
}

#[test]
fn nan_sorts_last_and_descending_first() {
    let x = Tensor::from([2.0f64, f64::NAN, -1.0, 0.5]);
    let s = stats::sort(&x, 0).to_vec();
    assert_eq!(&s[..3], &[-1.0, 0.5, 2.0]);
    assert!(s[3].is_nan());
    assert_eq!(stats::argsort(&x, 0).to_vec(), vec![2, 3, 0, 1]);
    assert!(stats::sort_descending(&x, 0).to_vec()[0].is_nan());
}

#[test]
fn unique_matches_numpy_and_rebuilds_the_input() {
    let f = load("order.json");
    let ints = tensor_i64(&f["ints"]);
    let u = stats::unique(&strided(&ints));
    assert_eq!(u.values.to_vec(), i64s(&f["unique_ints"]["values"]));
    assert_eq!(u.counts.to_vec(), i64s(&f["unique_ints"]["counts"]));
    assert_eq!(u.inverse.to_vec(), i64s(&f["unique_ints"]["inverse"]));
    assert_eq!(u.inverse.shape(), ints.shape());
    let rounded: Vec<f64> = tensor_f64(&f["floats"]).to_vec().iter().map(|v| v.round_ties_even()).collect();
    let u = stats::unique(&Tensor::from_vec(rounded.clone(), [5, 7]));
    assert_eq!(u.values.to_vec(), super::stats_fixtures::f64s(&f["unique_rounded_floats"]["values"]));
    assert_eq!(u.counts.to_vec(), i64s(&f["unique_rounded_floats"]["counts"]));
    let values = u.values.to_vec();
    let rebuilt: Vec<f64> = u.inverse.to_vec().iter().map(|&i| values[i as usize]).collect();
    assert_eq!(rebuilt, rounded);
}

#[test]
fn unique_keeps_one_nan() {
    let u = stats::unique(&Tensor::from([f64::NAN, 1.0, f64::NAN, 1.0]));
    assert_eq!(u.values.numel(), 2);
    assert!(u.values.to_vec()[1].is_nan());
    assert_eq!(u.counts.to_vec(), vec![2, 2]);
    assert_eq!(u.inverse.to_vec(), vec![1, 0, 1, 0]);
}

#[test]
fn searchsorted_left_and_right_match_numpy() {
    let f = load("order.json");
    let edges = Tensor::from_slice(&super::stats_fixtures::f64s(&f["sorted_edges"]));
    let probes = Tensor::from_slice(&super::stats_fixtures::f64s(&f["probes"]));
    assert_eq!(stats::searchsorted(&edges, &probes, Side::Left).to_vec(), i64s(&f["searchsorted_left"]));
    assert_eq!(stats::searchsorted(&edges, &probes, Side::Right).to_vec(), i64s(&f["searchsorted_right"]));
    let grid = probes.reshape([3, 5]);
    assert_eq!(stats::searchsorted(&edges, &grid, Side::Left).shape(), &[3, 5]);
}

#[test]
fn bincount_matches_numpy() {
    let f = load("order.json");
    let x = Tensor::from_slice(&i64s(&f["bincount_in"]));
    assert_eq!(stats::bincount(&x, 0).to_vec(), i64s(&f["bincount"]));
    assert_eq!(stats::bincount(&x, 12).to_vec(), i64s(&f["bincount_minlength12"]));
    let w = Tensor::from_slice(&super::stats_fixtures::f64s(&f["bincount_weights"]));
    let got = stats::bincount_weighted(&x, &w, 0).to_vec();
    super::stats_fixtures::assert_close_rel(
        &got,
        &super::stats_fixtures::f64s(&f["bincount_weighted"]),
        1e-14,
        1e-14,
        "bincount_weighted",
    );
    assert_eq!(stats::bincount(&Tensor::<i64>::from_vec(vec![], [0]), 3).to_vec(), vec![0, 0, 0]);
}

#[test]
fn bincount_rejects_negative_values() {
    let err = std::panic::catch_unwind(|| stats::bincount(&Tensor::from([1i64, -2]), 0)).unwrap_err();
    let msg = err.downcast_ref::<String>().unwrap();
    assert!(msg.contains("bincount: values must be non-negative, but element 1 is -2"), "{msg}");
}

/// Long lanes take the radix path; check it against the standard library's sorts on values
/// with ties, both zeros, infinities and NaN, for every numeric type.
mod long_lanes {
    use kindling_tensor::{stats, Element, Numeric, Rng, Tensor};

    fn oracle_argsort<T: Numeric>(v: &[T]) -> Vec<i64> {
        let mut idx: Vec<usize> = (0..v.len()).collect();
        idx.sort_by(|&i, &j| match v[i].partial_cmp(&v[j]) {
            Some(o) => o,
            None => v[i].is_nan().cmp(&v[j].is_nan()),
        });
        idx.into_iter().map(|i| i as i64).collect()
    }

    fn same<T: Numeric>(a: &[T], b: &[T]) -> bool {
        a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y || (x.is_nan() && y.is_nan()))
    }

    fn check<T: Numeric + Element>(values: Vec<T>, rows: usize) {
        let cols = values.len() / rows;
        let t = Tensor::from_vec(values, [rows, cols]);
        let sorted = stats::sort(&t, 1).to_vec();
        let order = stats::argsort(&t, 1).to_vec();
        let desc = stats::sort_descending(&t, 1).to_vec();
        for r in 0..rows {
            let lane = &t.to_vec()[r * cols..(r + 1) * cols];
            let want = oracle_argsort(lane);
            let want_values: Vec<T> = want.iter().map(|&i| lane[i as usize]).collect();
            assert!(same(&sorted[r * cols..(r + 1) * cols], &want_values), "sort of {}", T::DTYPE.name());
            assert_eq!(&order[r * cols..(r + 1) * cols], &want[..], "argsort of {}", T::DTYPE.name());
            let mut rev = want_values.clone();
            rev.reverse();
            assert!(same(&desc[r * cols..(r + 1) * cols], &rev), "sort_descending of {}", T::DTYPE.name());
        }
        // Along axis 0 of the transposed view: strided lanes.
        let tt = t.transpose(0, 1);
        assert!(same(&stats::sort(&tt, 0).transpose(0, 1).to_vec(), &sorted));
        assert_eq!(stats::argsort(&tt, 0).transpose(0, 1).to_vec(), order);
    }

    #[test]
    fn radix_sorts_match_comparison_sorts() {
        let mut rng = Rng::seed(5);
        let specials = [0.0, -0.0, f64::INFINITY, f64::NEG_INFINITY, f64::NAN, -f64::NAN, 1e-310, -1e-310];
        let floats: Vec<f64> =
            (0..3 * 1500)
                .map(|i| {
                    if i % 37 == 0 {
                        specials[i / 37 % specials.len()]
                    } else {
                        (rng.normal_f64() * 4.0).round() / 2.0
                    }
                })
                .collect();
        check(floats.clone(), 3);
        check(floats.iter().map(|&x| x as f32).collect(), 3);
        let ints: Vec<i64> = (0..2 * 2000).map(|_| rng.below(600) as i64 - 300).collect();
        check(ints.clone(), 2);
        check(ints.iter().map(|&x| x as i32 * 1_000_003).collect(), 2);
        check(ints.iter().map(|&x| (x + 300) as u8).collect(), 2);
        let wide: Vec<i64> = (0..1000).map(|_| rng.next_u64() as i64).collect();
        check(wide, 1);
    }
}
