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
