//! Synthetic generators: shapes, class balance, determinism and one geometric property each.

use kindling_data::synthetic::{
    addition_task, blobs, circles, copy_task, linear, moons, reverse_task, sine_series, sort_task, spirals, windows,
    EQUALS_TOKEN, PLUS_TOKEN,
};
use kindling_tensor::Tensor;
use proptest::prelude::*;

fn class_counts(y: &Tensor<i64>, k: usize) -> Vec<usize> {
    let mut c = vec![0; k];
    for l in y.to_vec() {
        c[l as usize] += 1;
    }
    c
}

fn rows(x: &Tensor<f32>) -> Vec<Vec<f32>> {
    let d = x.shape()[1];
    x.to_vec().chunks(d).map(<[f32]>::to_vec).collect()
}

#[test]
fn noisy_line_slope_and_intercept_are_recovered_by_least_squares() {
    let (x, y) = linear(500, 0.7, 0.3, 0.05, 42);
    assert_eq!((x.shape(), y.shape()), (&[500, 1][..], &[500, 1][..]));
    let (xs, ys) = (x.to_vec(), y.to_vec());
    let n = xs.len() as f64;
    let (mx, my) = (xs.iter().map(|&v| v as f64).sum::<f64>() / n, ys.iter().map(|&v| v as f64).sum::<f64>() / n);
    let sxy: f64 = xs.iter().zip(&ys).map(|(&a, &b)| (a as f64 - mx) * (b as f64 - my)).sum();
    let sxx: f64 = xs.iter().map(|&a| (a as f64 - mx).powi(2)).sum();
    let slope = sxy / sxx;
    let intercept = my - slope * mx;
    assert!((slope - 0.7).abs() < 0.03, "slope {slope}");
    assert!((intercept - 0.3).abs() < 0.02, "intercept {intercept}");
    // Without noise the points lie on the line exactly (the workflow chapter's data).
    let (x, y) = linear(50, 0.7, 0.3, 0.0, 0);
    assert_eq!(x.to_vec()[1], 0.02);
    for (a, b) in x.to_vec().iter().zip(y.to_vec()) {
        assert!((0.7 * a + 0.3 - b).abs() < 1e-6);
    }
    assert_eq!(linear(10, 1.0, 0.0, 0.1, 3).1.to_vec(), linear(10, 1.0, 0.0, 0.1, 3).1.to_vec());
}

#[test]
fn circles_lie_on_two_radii() {
    let (x, y) = circles(301, 0.4, 0.0, 1);
    assert_eq!(x.shape(), &[301, 2]);
    assert_eq!(class_counts(&y, 2), vec![151, 150]);
    for (p, l) in rows(&x).iter().zip(y.to_vec()) {
        let r = (p[0] * p[0] + p[1] * p[1]).sqrt();
        let expected = if l == 0 { 1.0 } else { 0.4 };
        assert!((r - expected).abs() < 1e-5, "radius {r} for class {l}");
    }
    // Rows are shuffled: the classes are not in two blocks.
    assert_ne!(y.to_vec()[..151], [0; 151]);
    // Noise moves points off the circles but keeps the mean radius.
    let (x, y) = circles(2000, 0.5, 0.05, 2);
    let mean_outer: f32 =
        rows(&x).iter().zip(y.to_vec()).filter(|(_, l)| *l == 0).map(|(p, _)| p[0].hypot(p[1])).sum::<f32>() / 1000.0;
    assert!((mean_outer - 1.0).abs() < 0.01, "{mean_outer}");
}

#[test]
fn moons_are_two_arcs() {
    let (x, y) = moons(200, 0.0, 3);
    assert_eq!(class_counts(&y, 2), vec![100, 100]);
    for (p, l) in rows(&x).iter().zip(y.to_vec()) {
        // Upper arc: unit circle around (0, 0) with y ≥ 0; lower: around (1, 0.5) with y ≤ 0.5.
        let (cx, cy) = if l == 0 { (0.0, 0.0) } else { (1.0, 0.5) };
        assert!((((p[0] - cx).powi(2) + (p[1] - cy).powi(2)).sqrt() - 1.0).abs() < 1e-5);
        assert!(if l == 0 { p[1] >= -1e-6 } else { p[1] <= 0.5 + 1e-6 });
    }
}

#[test]
fn blobs_center_on_their_centers() {
    let centers = [[0.0f32, 0.0, 0.0], [10.0, -5.0, 2.0], [-8.0, 8.0, 8.0]];
    let (x, y) = blobs(3001, &centers, 0.5, 4);
    assert_eq!(x.shape(), &[3001, 3]);
    assert_eq!(class_counts(&y, 3), vec![1001, 1000, 1000]);
    for (c, center) in centers.iter().enumerate() {
        let members: Vec<Vec<f32>> =
            rows(&x).into_iter().zip(y.to_vec()).filter(|(_, l)| *l == c as i64).map(|(p, _)| p).collect();
        for d in 0..3 {
            let mean = members.iter().map(|p| p[d]).sum::<f32>() / members.len() as f32;
            assert!((mean - center[d]).abs() < 0.1, "class {c} axis {d}: mean {mean}");
            let var = members.iter().map(|p| (p[d] - mean).powi(2)).sum::<f32>() / members.len() as f32;
            assert!((var.sqrt() - 0.5).abs() < 0.05, "std {}", var.sqrt());
        }
    }
}

#[test]
fn spirals_stay_in_the_unit_disc_and_start_at_the_origin() {
    let (x, y) = spirals(300, 3, 0.0, 5);
    assert_eq!(x.shape(), &[300, 2]);
    assert_eq!(class_counts(&y, 3), vec![100, 100, 100]);
    let radii: Vec<f32> = rows(&x).iter().map(|p| p[0].hypot(p[1])).collect();
    assert!(radii.iter().all(|&r| r <= 1.0 + 1e-6));
    assert_eq!(radii.iter().filter(|&&r| r < 1e-6).count(), 3, "each arm starts at the origin");
    assert!(radii.iter().any(|&r| (r - 1.0).abs() < 1e-6));
}

#[test]
fn sine_series_and_forecasting_windows() {
    let s = sine_series(100, 20.0, 0.0, 0);
    assert_eq!(s.shape(), &[100]);
    let v = s.to_vec();
    assert!(v[0].abs() < 1e-6 && (v[5] - 1.0).abs() < 1e-6 && (v[15] + 1.0).abs() < 1e-6);
    let (inputs, targets) = windows(&s, 10, 2);
    assert_eq!(inputs.shape(), &[89, 10]);
    assert_eq!(targets.shape(), &[89, 2]);
    assert_eq!(inputs.to_vec()[10..20], v[1..11]);
    assert_eq!(targets.to_vec()[2..4], v[11..13]);
    let noisy = sine_series(100, 20.0, 0.1, 1).to_vec();
    assert!(noisy.iter().zip(&v).any(|(a, b)| (a - b).abs() > 0.01));
}

#[test]
fn sequence_tasks() {
    let copy = copy_task(8, 5, 7, 1);
    assert_eq!(copy.inputs.shape(), &[8, 5]);
    assert!(copy.inputs.equal(&copy.targets));
    assert!(copy.inputs.to_vec().iter().all(|&t| (0..7).contains(&t)));

    let rev = reverse_task(4, 6, 10, 2);
    for (i, t) in rev.inputs.to_vec().chunks(6).zip(rev.targets.to_vec().chunks(6)) {
        assert_eq!(i.iter().rev().copied().collect::<Vec<_>>(), t);
    }
    let sorted = sort_task(4, 6, 10, 3);
    for (i, t) in sorted.inputs.to_vec().chunks(6).zip(sorted.targets.to_vec().chunks(6)) {
        let mut s = i.to_vec();
        s.sort_unstable();
        assert_eq!(s, t);
    }
}

fn number(digits: &[i64]) -> u64 {
    digits.iter().fold(0, |acc, &d| acc * 10 + d as u64)
}

proptest! {
    #[test]
    fn addition_targets_are_the_sums(digits in 1usize..7, seed: u64) {
        let task = addition_task(20, digits, seed);
        prop_assert_eq!(task.inputs.shape(), &[20, 2 * digits + 2]);
        prop_assert_eq!(task.targets.shape(), &[20, digits + 1]);
        prop_assert_eq!(task.vocab, 12);
        let (inputs, targets) = (task.inputs.to_vec(), task.targets.to_vec());
        for (i, t) in inputs.chunks(2 * digits + 2).zip(targets.chunks(digits + 1)) {
            prop_assert_eq!(i[digits], PLUS_TOKEN);
            prop_assert_eq!(i[2 * digits + 1], EQUALS_TOKEN);
            prop_assert_eq!(number(&i[..digits]) + number(&i[digits + 1..2 * digits + 1]), number(t));
        }
    }

    #[test]
    fn generators_are_deterministic_and_balanced(n in 2usize..300, seed: u64) {
        let (a, ya) = moons(n, 0.2, seed);
        let (b, yb) = moons(n, 0.2, seed);
        prop_assert!(a.equal(&b) && ya.equal(&yb));
        let counts = class_counts(&ya, 2);
        prop_assert!(counts[0].abs_diff(counts[1]) <= 1);
        let (_, ys) = spirals(n, 4, 0.1, seed);
        let counts = class_counts(&ys, 4);
        prop_assert!(counts.iter().max().unwrap() - counts.iter().min().unwrap() <= 1);
    }
}

mod string_tasks {
    use kindling_data::synthetic::{
        decode_string, encode_string, string_task, StringTask, BOS, EOS, PAD, STRING_CHARS, STRING_VOCAB,
    };
    use std::collections::HashSet;

    #[test]
    fn tokens_round_trip_and_specials_are_documented_ids() {
        assert_eq!((PAD, BOS, EOS), (0, 1, 2));
        assert_eq!(STRING_VOCAB, STRING_CHARS.len() + 3);
        assert_eq!(encode_string("09+"), vec![3, 12, 13]);
        assert_eq!(decode_string(&[BOS, 4, 13, 5, EOS, PAD]), "<bos>1+2<eos><pad>");
    }

    #[test]
    fn reversal_and_sorting_have_lengths_in_range_and_correct_targets() {
        for task in [StringTask::Reverse, StringTask::Sort] {
            let (train, test) = string_task(task, 500, 100, 5, 20, 3);
            assert_eq!((train.len(), test.len()), (500, 100));
            let mut lengths = HashSet::new();
            for (s, t) in train.sources.iter().zip(&train.targets) {
                assert!((5..=20).contains(&s.len()), "{task:?}: length {}", s.len());
                lengths.insert(s.len());
                let mut expected = s.clone();
                match task {
                    StringTask::Reverse => expected.reverse(),
                    _ => expected.sort_unstable(),
                }
                assert_eq!(t, &expected);
            }
            assert_eq!(lengths.len(), 16, "{task:?}: every length 5..=20 drawn");
        }
    }

    #[test]
    fn addition_is_written_as_text() {
        assert_eq!(StringTask::Add.answer("123+456"), "579");
        assert_eq!(StringTask::Add.answer("99+1"), "100");
        let (train, _) = string_task(StringTask::Add, 300, 10, 1, 3, 5);
        for (s, t) in train.sources.iter().zip(&train.targets) {
            let text = decode_string(s);
            let (a, b) = text.split_once('+').expect("a plus sign");
            assert!((1..=3).contains(&a.len()) && (1..=3).contains(&b.len()), "{text}");
            assert!(!a.starts_with('0') || a.len() == 1, "leading zero in {text}");
            let sum: u64 = a.parse::<u64>().unwrap() + b.parse::<u64>().unwrap();
            assert_eq!(decode_string(t), sum.to_string());
        }
    }

    #[test]
    fn held_out_examples_never_appear_in_training_and_seeds_reproduce() {
        let (train, test) = string_task(StringTask::Sort, 2000, 500, 5, 6, 9);
        let seen: HashSet<&Vec<i64>> = train.sources.iter().collect();
        assert_eq!(seen.len(), 2000, "training sources are distinct");
        assert!(test.sources.iter().all(|s| !seen.contains(s)), "a held-out source is in training");
        let (again, test_again) = string_task(StringTask::Sort, 2000, 500, 5, 6, 9);
        assert_eq!((again, test_again.clone()), (train, test.clone()));
        assert_ne!(string_task(StringTask::Sort, 2000, 500, 5, 6, 10).1, test);
    }

    #[test]
    fn rare_short_examples_reach_training_too() {
        // One-digit additions are 100 of about 10⁶ sources; a 10% held-out share leaves most of
        // them to training (taking the first draws as held-out would leave it almost none).
        let (train, test) = string_task(StringTask::Add, 9000, 1000, 1, 3, 4);
        let short = |p: &kindling_data::synthetic::StringPairs| p.sources.iter().filter(|s| s.len() == 3).count();
        assert!(short(&train) > 5 * short(&test).max(1), "train {} vs held-out {}", short(&train), short(&test));
    }

    #[test]
    #[should_panic(expected = "string_task: 500 distinct Reverse examples asked of lengths 1..=2")]
    fn too_many_examples_for_the_lengths_panics_with_the_numbers() {
        string_task(StringTask::Reverse, 400, 100, 1, 2, 0);
    }
}
