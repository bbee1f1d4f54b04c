//! Property tests for tensor::stats over random shapes and layouts (dense and every kind of
//! view), with small integer values so ties are common. The oracle reads each lane through
//! `get`, independently of the lane machinery the functions share.

use kindling_tensor::stats::{self, Side};
use kindling_tensor::testing::*;
use kindling_tensor::Tensor;
use proptest::prelude::*;

fn shapes() -> impl Strategy<Value = Vec<usize>> {
    arb_shape(1..=3, 1..=6)
}

/// Every lane along `axis`: (the index of its first element, its values), read with `get`.
fn lanes<T: kindling_tensor::Element>(t: &Tensor<T>, axis: usize) -> Vec<(Vec<usize>, Vec<T>)> {
    indices(t.shape())
        .into_iter()
        .filter(|idx| idx[axis] == 0)
        .map(|start| {
            let values = (0..t.shape()[axis])
                .map(|j| {
                    let mut i = start.clone();
                    i[axis] = j;
                    t.get(&i)
                })
                .collect();
            (start, values)
        })
        .collect()
}

fn sorted(v: &[f32]) -> Vec<f32> {
    let mut s = v.to_vec();
    s.sort_by(f32::total_cmp);
    s
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn sort_and_argsort_agree_with_a_lane_oracle(x in arb_tensor(shapes(), small_int_f32s()), axis_pick in 0usize..3) {
        let t = &x.t;
        let axis = axis_pick % t.rank();
        let s = stats::sort(t, axis as isize);
        let order = stats::argsort(t, axis as isize);
        prop_assert_eq!(s.shape(), t.shape());
        let sorted_lanes = lanes(&s, axis);
        let order_lanes = lanes(&order, axis);
        for (((_, input), (_, out)), (_, idx)) in lanes(t, axis).iter().zip(&sorted_lanes).zip(&order_lanes) {
            prop_assert_eq!(out, &sorted(input), "{:?}", x);
            let gathered: Vec<f32> = idx.iter().map(|&i| input[i as usize]).collect();
            prop_assert_eq!(&gathered, out);
            // Stable: among equal values, indices ascend.
            for w in idx.windows(2) {
                if input[w[0] as usize] == input[w[1] as usize] {
                    prop_assert!(w[0] < w[1], "unstable order {:?} for {:?}", idx, input);
                }
            }
        }
    }

    #[test]
    fn topk_is_the_head_of_a_stable_descending_order(x in arb_tensor(shapes(), small_int_f32s()), k_pick in 0usize..7) {
        let t = &x.t;
        let axis = t.rank() - 1;
        let k = k_pick.min(t.shape()[axis]);
        let (values, indices_k) = stats::topk(t, k, -1, true);
        let (small_values, _) = stats::topk(t, k, -1, false);
        let value_lanes = lanes(&values, axis);
        let index_lanes = lanes(&indices_k, axis);
        let small_lanes = lanes(&small_values, axis);
        for (i, (_, input)) in lanes(t, axis).iter().enumerate() {
            let mut expect: Vec<usize> = (0..input.len()).collect();
            expect.sort_by(|&a, &b| input[b].total_cmp(&input[a]));
            let want: Vec<i64> = expect[..k].iter().map(|&j| j as i64).collect();
            if k > 0 {
                prop_assert_eq!(&index_lanes[i].1, &want, "{:?}", x);
                prop_assert_eq!(&value_lanes[i].1, &want.iter().map(|&j| input[j as usize]).collect::<Vec<_>>());
                prop_assert_eq!(&small_lanes[i].1, &sorted(input)[..k].to_vec());
            }
        }
    }

    #[test]
    fn quantiles_span_min_to_max_monotonically(x in arb_tensor(shapes(), f32s()), axis_pick in 0usize..3) {
        let t = x.t.cast::<f64>();
        let axis = (axis_pick % t.rank()) as isize;
        let qs = [0.0, 0.2, 0.5, 0.5, 0.8, 1.0];
        let q = stats::quantile(&t, &qs, axis);
        let lanes_count = q.numel() / qs.len();
        let v = q.to_vec();
        prop_assert_eq!(&v[..lanes_count], &t.min(axis, false).to_vec()[..]);
        prop_assert_eq!(&v[5 * lanes_count..], &t.max(axis, false).to_vec()[..]);
        for l in 0..lanes_count {
            for j in 1..qs.len() {
                prop_assert!(v[(j - 1) * lanes_count + l] <= v[j * lanes_count + l]);
            }
        }
        let median = stats::median(&t, axis).to_vec();
        for (m, q) in median.iter().zip(&v[2 * lanes_count..3 * lanes_count]) {
            prop_assert!((m - q).abs() <= 1e-12 * (1.0 + m.abs()));
        }
    }

    #[test]
    fn mode_is_a_most_frequent_and_smallest_value(x in arb_tensor(shapes(), small_int_f32s()), axis_pick in 0usize..3) {
        let t = &x.t;
        let axis = axis_pick % t.rank();
        let (values, counts) = stats::mode(t, axis as isize);
        let (values, counts) = (values.to_vec(), counts.to_vec());
        for (i, (_, lane)) in lanes(t, axis).iter().enumerate() {
            let count_of = |v: f32| lane.iter().filter(|&&y| y == v).count() as i64;
            prop_assert_eq!(count_of(values[i]), counts[i]);
            for &y in lane {
                prop_assert!(count_of(y) < counts[i] || (count_of(y) == counts[i] && y >= values[i]));
            }
        }
    }

    #[test]
    fn unique_rebuilds_the_input(x in arb_tensor(shapes(), small_int_f32s())) {
        let u = stats::unique(&x.t);
        let values = u.values.to_vec();
        prop_assert!(values.windows(2).all(|w| w[0] < w[1]));
        prop_assert_eq!(u.counts.sum_all() as usize, x.t.numel());
        let rebuilt: Vec<f32> = u.inverse.to_vec().iter().map(|&i| values[i as usize]).collect();
        prop_assert_eq!(rebuilt, x.t.to_vec());
    }

    #[test]
    fn searchsorted_brackets_each_value(edges in prop::collection::vec(-4i32..=4, 0..12), probes in prop::collection::vec(-5i32..=5, 1..10)) {
        let mut edges: Vec<f64> = edges.into_iter().map(f64::from).collect();
        edges.sort_by(f64::total_cmp);
        let sorted_t = Tensor::from_slice(&edges);
        let probes: Vec<f64> = probes.into_iter().map(f64::from).collect();
        let left = stats::searchsorted(&sorted_t, &Tensor::from_slice(&probes), Side::Left).to_vec();
        let right = stats::searchsorted(&sorted_t, &Tensor::from_slice(&probes), Side::Right).to_vec();
        for ((&v, &l), &r) in probes.iter().zip(&left).zip(&right) {
            let (l, r) = (l as usize, r as usize);
            prop_assert_eq!(l, edges.iter().filter(|&&e| e < v).count());
            prop_assert_eq!(r, edges.iter().filter(|&&e| e <= v).count());
        }
    }
}
