//! Preprocessing against hand-computed values (course fixtures #27, #28, #29) and the
//! fit-on-train-only discipline.

use kindling_data::{
    backward_fill, forward_fill, one_hot, CategoryOrder, DataError, HandleUnknown, ImputeStrategy, KnnImputer,
    LabelEncoder, MinMaxScaler, OneHotEncoder, PolynomialFeatures, SimpleImputer, StandardScaler, TargetEncoder,
    Transform,
};
use kindling_tensor::{assert_close, Tensor, Tolerance};
use proptest::prelude::*;

fn t2(rows: &[[f64; 2]]) -> Tensor<f64> {
    Tensor::from_vec(rows.iter().flatten().copied().collect(), [rows.len(), 2])
}

#[test]
fn fixture_29_min_max_and_z_score() {
    let x = Tensor::from_vec(vec![1.0f64, 2.0, 3.0], [3]);
    let scaled = MinMaxScaler::new().fit_transform(&x);
    assert_eq!(scaled.shape(), &[3]);
    assert_close(&scaled, &Tensor::from_vec(vec![0.0, 0.5, 1.0], [3]), Tolerance::STRICT);
    let z = StandardScaler::new().fit_transform(&x);
    assert_close(&z, &Tensor::from_vec(vec![-1.224744871391589, 0.0, 1.224744871391589], [3]), Tolerance::DEFAULT);
    // The seed's printed figure, to its precision.
    assert!((z.to_vec()[2] - 1.224745).abs() < 1e-6);
}

#[test]
fn scalers_use_training_statistics_on_new_data() {
    let train = t2(&[[0.0, 10.0], [10.0, 30.0]]);
    let test = t2(&[[5.0, 50.0], [20.0, 10.0]]);
    let mut mm = MinMaxScaler::new();
    mm.fit(&train);
    // Test values are scaled by the training range, so they may fall outside [0, 1].
    assert_close(&mm.transform(&test), &t2(&[[0.5, 2.0], [2.0, 0.0]]), Tolerance::STRICT);
    assert_close(&mm.inverse_transform(&mm.transform(&test)), &test, Tolerance::STRICT);

    let mut ss = StandardScaler::new();
    ss.fit(&train); // means 5 and 20, population stds 5 and 10
    let (mean, std) = ss.mean_std().unwrap();
    assert_eq!((mean, std), (&[5.0, 20.0][..], &[5.0, 10.0][..]));
    assert_close(&ss.transform(&test), &t2(&[[0.0, 3.0], [3.0, -1.0]]), Tolerance::STRICT);
    assert_close(&ss.inverse_transform(&ss.transform(&test)), &test, Tolerance::STRICT);

    let ranged = MinMaxScaler::with_range(-1.0, 1.0).fit_transform(&Tensor::from_vec(vec![2.0f32, 4.0, 6.0], [3]));
    assert_eq!(ranged.to_vec(), vec![-1.0, 0.0, 1.0]);
}

#[test]
fn constant_columns_do_not_divide_by_zero() {
    let x = t2(&[[3.0, 1.0], [3.0, 2.0]]);
    assert_eq!(MinMaxScaler::new().fit_transform(&x).to_vec(), vec![0.0, 0.0, 0.0, 1.0]);
    assert_eq!(StandardScaler::new().fit_transform(&x).to_vec(), vec![0.0, -1.0, 0.0, 1.0]);
}

#[test]
#[should_panic(expected = "StandardScaler::transform: transform called before fit; fit it on the training data first")]
fn transform_before_fit_panics() {
    StandardScaler::new().transform(&Tensor::from_vec(vec![1.0f32], [1]));
}

#[test]
#[should_panic(expected = "MinMaxScaler::transform: fitted on 2 column(s), but this input [1, 3] has 3")]
fn transform_with_other_columns_panics() {
    let mut s = MinMaxScaler::new();
    s.fit(&t2(&[[1.0, 2.0]]));
    s.transform(&Tensor::<f64>::zeros([1, 3]));
}

#[test]
fn fixture_28_mean_imputation() {
    let x = t2(&[[1.0, 2.0], [f64::NAN, 3.0], [7.0, 6.0]]);
    let out = SimpleImputer::new(ImputeStrategy::Mean).fit_transform(&x);
    assert_eq!(out.to_vec(), vec![1.0, 2.0, 4.0, 3.0, 7.0, 6.0]);
    // KNN with k = 3: only two rows have column 0, so both are used: (1 + 7) / 2.
    let knn = KnnImputer::new(3).fit_transform(&x);
    assert_eq!(knn.to_vec(), vec![1.0, 2.0, 4.0, 3.0, 7.0, 6.0]);
}

#[test]
fn knn_imputer_uses_the_nearest_rows() {
    let x = t2(&[[1.0, 2.0], [f64::NAN, 3.0], [7.0, 6.0]]);
    // Distance from [nan, 3]: to [1, 2] sqrt(2/1 · 1) ≈ 1.41, to [7, 6] sqrt(2/1 · 9) ≈ 4.24.
    assert_eq!(KnnImputer::new(1).fit_transform(&x).to_vec()[2], 1.0);
    // Fitted on training rows, applied to a new row.
    let mut knn = KnnImputer::new(2);
    knn.fit(&t2(&[[0.0, 0.0], [10.0, 1.0], [20.0, 10.0], [30.0, 11.0]]));
    let out = knn.transform(&t2(&[[f64::NAN, 10.5], [25.0, f64::NAN]]));
    assert_eq!(out.to_vec(), vec![25.0, 10.5, 25.0, 10.5]);
}

#[test]
fn median_most_frequent_and_constant_imputation() {
    let x = t2(&[[1.0, 5.0], [f64::NAN, 5.0], [3.0, f64::NAN], [10.0, 2.0], [2.0, 2.0], [f64::NAN, 9.0]]);
    let med = SimpleImputer::new(ImputeStrategy::Median).fit_transform(&x);
    // Column 0 present: 1, 3, 10, 2 → median 2.5; column 1: 5, 5, 2, 2, 9 → 5.
    assert_eq!(med.to_vec()[2], 2.5);
    assert_eq!(med.to_vec()[5], 5.0);
    let mut mode = SimpleImputer::new(ImputeStrategy::MostFrequent);
    mode.fit(&x);
    // Column 1: 5 and 2 both twice → the smaller, 2.
    assert_eq!(mode.fill_values().unwrap()[1], 2.0);
    let c = SimpleImputer::new(ImputeStrategy::Constant(-999.0)).fit_transform(&x);
    assert_eq!(c.to_vec()[2], -999.0);
    assert_eq!(c.to_vec()[5], -999.0);
    // Imputation statistics come from the training data only.
    let mut imp = SimpleImputer::new(ImputeStrategy::Mean);
    imp.fit(&t2(&[[0.0, 1.0], [2.0, 3.0]]));
    assert_eq!(imp.transform(&t2(&[[f64::NAN, 100.0], [50.0, f64::NAN]])).to_vec(), vec![1.0, 100.0, 50.0, 2.0]);
}

#[test]
fn forward_and_backward_fill_run_along_time() {
    let nan = f64::NAN;
    let x = t2(&[[nan, 1.0], [2.0, nan], [nan, nan], [4.0, 5.0]]);
    let f = forward_fill(&x).to_vec();
    assert!(f[0].is_nan());
    assert_eq!(&f[1..], &[1.0, 2.0, 1.0, 2.0, 1.0, 4.0, 5.0]);
    let b = backward_fill(&x).to_vec();
    assert_eq!(b, vec![2.0, 1.0, 2.0, 5.0, 4.0, 5.0, 4.0, 5.0]);
}

#[test]
fn polynomial_features_of_one_feature_degree_two() {
    let x = Tensor::from_vec(vec![2.0f64, 3.0], [2, 1]);
    let mut poly = PolynomialFeatures::new(2);
    assert_eq!(poly.fit_transform(&x).to_vec(), vec![1.0, 2.0, 4.0, 1.0, 3.0, 9.0]);
    assert_eq!(poly.feature_names(&["x"]), vec!["1", "x", "x^2"]);
    // Course fixture #10's inputs: X = 1..5 and degree 2 gives the design matrix [1, x, x²].
    let x = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0, 5.0], [5]);
    let design = PolynomialFeatures::new(2).fit_transform(&x);
    assert_eq!(design.shape(), &[5, 3]);
    assert_eq!(design.to_vec()[12..], [1.0, 5.0, 25.0]);
}

#[test]
fn polynomial_features_of_two_features() {
    let x = t2(&[[2.0, 3.0]]);
    let mut full = PolynomialFeatures::new(2);
    assert_eq!(full.fit_transform(&x).to_vec(), vec![1.0, 2.0, 3.0, 4.0, 6.0, 9.0]);
    assert_eq!(full.feature_names(&["a", "b"]), vec!["1", "a", "b", "a^2", "a b", "b^2"]);
    let mut inter = PolynomialFeatures::new(2).interaction_only(true).include_bias(false);
    assert_eq!(inter.fit_transform(&x).to_vec(), vec![2.0, 3.0, 6.0]);
    let mut cubic = PolynomialFeatures::new(3).include_bias(false);
    assert_eq!(cubic.fit_transform(&x).to_vec(), vec![2.0, 3.0, 4.0, 6.0, 9.0, 8.0, 12.0, 18.0, 27.0]);
    assert_eq!(cubic.feature_names(&["a", "b"])[5..], ["a^3", "a^2 b", "a b^2", "b^3"]);
}

#[test]
fn fixture_27_label_and_one_hot_encoding() {
    let colours = ["Red", "Green", "Blue"];
    let mut labels = LabelEncoder::new();
    assert_eq!(labels.fit_transform(&colours).to_vec(), vec![0, 1, 2]);
    assert_eq!(labels.transform(&["Blue", "Red"]).unwrap().to_vec(), vec![2, 0]);
    assert_eq!(labels.inverse_transform(&Tensor::from_vec(vec![1i64, 2], [2])), vec!["Green", "Blue"]);

    let mut onehot = OneHotEncoder::new();
    onehot.fit(&colours);
    let rows = onehot.transform(&["Red", "Blue"]).unwrap();
    assert_eq!(rows.shape(), &[2, 3]);
    assert_eq!(rows.to_vec(), vec![1.0, 0.0, 0.0, 0.0, 0.0, 1.0]);

    // Sorted order is available, and documented as the alternative.
    let mut sorted = LabelEncoder::new().order(CategoryOrder::Sorted);
    assert_eq!(sorted.fit_transform(&colours).to_vec(), vec![2, 1, 0]);
    assert_eq!(sorted.categories(), ["Blue", "Green", "Red"]);
}

#[test]
fn unknown_categories_are_errors_or_ignored() {
    let mut enc = OneHotEncoder::new();
    enc.fit(&["Red", "Green", "Blue"]);
    let err = enc.transform(&["Red", "Purple"]).unwrap_err();
    assert!(matches!(err, DataError::UnknownCategory { .. }));
    assert_eq!(
        err.to_string(),
        "OneHotEncoder: category \"Purple\" was not seen during fit (known: Red, Green, Blue); refit on data that \
         includes it, or choose HandleUnknown::Ignore"
    );
    let mut lenient = OneHotEncoder::new().handle_unknown(HandleUnknown::Ignore);
    lenient.fit(&["Red", "Green", "Blue"]);
    assert_eq!(lenient.transform(&["Purple", "Green"]).unwrap().to_vec(), vec![0.0, 0.0, 0.0, 0.0, 1.0, 0.0]);
    let mut labels = LabelEncoder::new();
    labels.fit(&["a", "b"]);
    assert!(labels.transform(&["c"]).unwrap_err().to_string().starts_with("LabelEncoder: category \"c\""));
}

#[test]
#[should_panic(expected = "LabelEncoder::transform: transform called before fit")]
fn encoding_before_fit_panics() {
    let _ = LabelEncoder::new().transform(&["x"]);
}

#[test]
fn one_hot_of_class_indices() {
    let out = one_hot(&Tensor::from_vec(vec![2i64, 0], [2]), 3);
    assert_eq!(out.to_vec(), vec![0.0, 0.0, 1.0, 1.0, 0.0, 0.0]);
}

#[test]
fn target_encoding_is_smoothed_toward_the_global_mean() {
    let cats = ["a", "a", "a", "b", "c"];
    let ys = [1.0, 1.0, 0.0, 1.0, 0.0];
    // Global mean 0.6; with m = 2: a = (2 + 1.2) / 5 = 0.64, b = (1 + 1.2) / 3, c = 1.2 / 3.
    let mut enc = TargetEncoder::new(2.0);
    enc.fit(&cats, &ys);
    assert!((enc.global_mean() - 0.6).abs() < 1e-12);
    let got = enc.transform(&["a", "b", "c", "unseen"]);
    assert_close(&got, &Tensor::from_vec(vec![0.64, 2.2 / 3.0, 0.4, 0.6], [4]), Tolerance::STRICT);
    // Without smoothing: the proportion of positive cases.
    let mut plain = TargetEncoder::new(0.0);
    plain.fit(&cats, &ys);
    assert_close(&plain.transform(&["a"]), &Tensor::from_vec(vec![2.0 / 3.0], [1]), Tolerance::STRICT);
}

#[test]
fn out_of_fold_target_encoding_does_not_see_a_rows_own_target() {
    // Every category appears once: an in-sample encoding with m = 0 would copy the target
    // itself into the feature (perfect leakage). Out of fold, a row's own category is never
    // in the fitting folds, so it gets the mean of the other folds instead.
    let cats: Vec<String> = (0..20).map(|i| format!("id{i}")).collect();
    let ys: Vec<f64> = (0..20).map(|i| f64::from(i % 2)).collect();
    let mut leaky = TargetEncoder::new(0.0);
    leaky.fit(&cats, &ys);
    assert_eq!(leaky.transform(&cats).to_vec(), ys);
    let mut enc = TargetEncoder::new(0.0);
    let oof = enc.fit_transform_out_of_fold(&cats, &ys, 5, 3).to_vec();
    for (e, y) in oof.iter().zip(&ys) {
        assert!(e != y, "row with target {y} was encoded as {e}: leakage");
        assert!((0.3..=0.7).contains(e), "{e}");
    }
    // Afterwards the encoder is fitted on all rows for validation and test data.
    assert_eq!(enc.transform(&["id3"]).to_vec(), vec![1.0]);
}

proptest! {
    #[test]
    fn standardized_training_columns_have_mean_zero_and_unit_std(
        values in proptest::collection::vec(-1e3f64..1e3, 6..60),
    ) {
        let n = values.len() / 2;
        let x = Tensor::from_vec(values[..2 * n].to_vec(), [n, 2]);
        let z = StandardScaler::new().fit_transform(&x);
        let zv = z.to_vec();
        for c in 0..2 {
            let col: Vec<f64> = (0..n).map(|r| zv[r * 2 + c]).collect();
            let mean = col.iter().sum::<f64>() / n as f64;
            let var = col.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n as f64;
            prop_assert!(mean.abs() < 1e-9);
            let spread = (0..n).map(|r| values[r * 2 + c]).fold(f64::NAN, f64::max)
                - (0..n).map(|r| values[r * 2 + c]).fold(f64::NAN, f64::min);
            if spread > 1e-6 {
                prop_assert!((var - 1.0).abs() < 1e-9, "variance {}", var);
            }
        }
    }

    #[test]
    fn min_max_maps_training_data_into_the_unit_interval(values in proptest::collection::vec(-1e6f32..1e6, 1..50)) {
        let x = Tensor::from_vec(values.clone(), [values.len()]);
        let mut s = MinMaxScaler::new();
        let y = s.fit_transform(&x).to_vec();
        prop_assert!(y.iter().all(|v| (-1e-6..=1.0 + 1e-6).contains(v)));
        let back = s.inverse_transform(&Tensor::from_vec(y, [values.len()])).to_vec();
        let span = values.iter().copied().fold(f32::MIN, f32::max) - values.iter().copied().fold(f32::MAX, f32::min);
        for (a, b) in back.iter().zip(&values) {
            // f32 rounding of the scaled value, magnified by the span.
            prop_assert!((a - b).abs() <= 1e-6 * span + 1e-6, "{} vs {}", a, b);
        }
    }
}
