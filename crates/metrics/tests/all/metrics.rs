//! Metrics against hand-computed values, streaming against one-shot, history round trips
//! (checkpoints, which hold a history, are tested in kindling-train).

use kindling_metrics::metrics::{self, Accuracy, ClassScore, LogLoss, RegressionError, RocAuc, R2};
use kindling_metrics::{Average, ConfusionMatrix, EpochLog, History, Metric};
use kindling_tensor::Tensor;

fn close(a: f64, b: f64) {
    assert!((a - b).abs() < 1e-12, "{a} != {b}");
}

/// 6 samples of class 0, 2 of class 1, 2 of class 2.
fn imbalanced() -> (Vec<i64>, Vec<i64>) {
    let actual = vec![0, 0, 0, 0, 0, 0, 1, 1, 2, 2];
    let predicted = vec![0, 0, 0, 0, 0, 1, 1, 2, 2, 2];
    (actual, predicted)
}

#[test]
fn confusion_matrix_rows_are_actual_columns_predicted() {
    let (a, p) = imbalanced();
    let cm = ConfusionMatrix::from_labels(&a, &p, 3);
    assert_eq!(cm.rows(), vec![vec![5, 1, 0], vec![0, 1, 1], vec![0, 0, 2]]);
    assert_eq!(
        (cm.true_positives(0), cm.false_positives(0), cm.false_negatives(0), cm.true_negatives(0)),
        (5, 0, 1, 4)
    );
    assert_eq!(
        (cm.true_positives(2), cm.false_positives(2), cm.false_negatives(2), cm.true_negatives(2)),
        (2, 1, 0, 7)
    );
    assert_eq!(cm.support(0), 6);
    assert_eq!(cm.total(), 10);
    close(cm.accuracy(), 0.8);
    assert!(cm.to_string().contains("actual\\pred"));
}

#[test]
fn binary_confusion_matrix_reads_tn_fp_fn_tp() {
    // Class 1 positive: TP 3, FN 1, FP 2, TN 4.
    let actual = [1, 1, 1, 1, 0, 0, 0, 0, 0, 0];
    let predicted = [1, 1, 1, 0, 1, 1, 0, 0, 0, 0];
    let cm = ConfusionMatrix::from_labels(&actual, &predicted, 2);
    assert_eq!(cm.rows(), vec![vec![4, 2], vec![1, 3]]);
    close(cm.precision(1), 3.0 / 5.0);
    close(cm.recall(1), 3.0 / 4.0);
    close(cm.f1(1), 2.0 * 0.6 * 0.75 / 1.35);
    close(cm.specificity(1), 4.0 / 6.0);
    close(metrics::accuracy(&actual, &predicted), 0.7);
}

#[test]
fn macro_micro_weighted_differ_on_an_imbalanced_example() {
    let (a, p) = imbalanced();
    let cm = ConfusionMatrix::from_labels(&a, &p, 3);
    // Per class: F1 = 10/11, 1/2, 4/5.
    close(cm.f1(0), 10.0 / 11.0);
    close(cm.f1(1), 0.5);
    close(cm.f1(2), 0.8);
    close(cm.f1_average(Average::Macro), 81.0 / 110.0);
    close(cm.f1_average(Average::Weighted), 443.0 / 550.0);
    close(cm.f1_average(Average::Micro), 0.8); // = accuracy
    close(cm.precision_average(Average::Macro), 13.0 / 18.0);
    close(cm.recall_average(Average::Macro), 7.0 / 9.0);
    close(cm.precision_average(Average::Micro), 0.8);
    close(cm.recall_average(Average::Micro), 0.8);
    // Weighted recall is accuracy too (supports cancel the denominators).
    close(cm.recall_average(Average::Weighted), 0.8);
    close(cm.specificity(0), 1.0);
    close(cm.specificity(1), 7.0 / 8.0);
    close(cm.specificity_average(Average::Macro), (1.0 + 7.0 / 8.0 + 7.0 / 8.0) / 3.0);
}

#[test]
fn a_class_never_predicted_scores_zero_precision() {
    let cm = ConfusionMatrix::from_labels(&[0, 1], &[0, 0], 2);
    assert_eq!(cm.precision(1), 0.0);
    assert_eq!(cm.f1(1), 0.0);
}

#[test]
fn roc_auc_by_average_ranks_handles_ties() {
    close(metrics::roc_auc(&[0, 0, 1, 1], &[0.1, 0.4, 0.35, 0.8]), 0.75);
    // One positive ties with one negative: that pair counts 1/2 → 3.5 / 4.
    close(metrics::roc_auc(&[0, 1, 0, 1], &[0.5, 0.5, 0.2, 0.9]), 0.875);
    close(metrics::roc_auc(&[0, 1, 0, 1], &[0.3, 0.3, 0.3, 0.3]), 0.5);
    close(metrics::roc_auc(&[0, 0, 1, 1], &[0.0, 0.1, 0.2, 0.3]), 1.0);
    assert!(metrics::roc_auc(&[1, 1], &[0.2, 0.3]).is_nan());
}

#[test]
fn log_loss_by_hand() {
    close(metrics::binary_log_loss(&[1, 0], &[0.8, 0.3]), -(0.8f64.ln() + 0.7f64.ln()) / 2.0);
    close(metrics::log_loss(&[2, 0], &[0.1, 0.2, 0.7, 0.5, 0.25, 0.25], 3), -(0.7f64.ln() + 0.5f64.ln()) / 2.0);
    // A confident mistake is clipped, not infinite.
    assert!(metrics::binary_log_loss(&[1], &[0.0]).is_finite());
}

#[test]
fn regression_metrics_by_hand() {
    let t = [1.0, 2.0, 3.0, 4.0];
    close(metrics::mse(&t, &[1.0, 2.0, 3.0, 6.0]), 1.0);
    close(metrics::rmse(&t, &[1.0, 2.0, 3.0, 6.0]), 1.0);
    close(metrics::mae(&t, &[1.0, 2.0, 3.0, 6.0]), 0.5);
    close(metrics::r2_score(&t, &t), 1.0); // perfect fit
    close(metrics::r2_score(&t, &[2.5; 4]), 0.0); // predicting the mean
    close(metrics::r2_score(&t, &[1.0, 2.0, 3.0, 5.0]), 0.8); // SS_res 1, SS_tot 5
    assert!(metrics::r2_score(&t, &[4.0, 3.0, 2.0, 1.0]) < 0.0);
}

#[test]
fn streaming_metrics_match_one_shot_values() {
    // Logits for the imbalanced example, fed in two batches.
    let (a, p) = imbalanced();
    let logits: Vec<f32> = p.iter().flat_map(|&c| (0..3).map(move |k| if k == c { 2.0 } else { -1.0 })).collect();
    let all = Tensor::from_vec(logits, [10, 3]);
    let labels = Tensor::from_vec(a.clone(), [10]);
    let mut metrics: Vec<Box<dyn Metric<Tensor<i64>>>> = vec![
        Box::new(Accuracy::new()),
        Box::new(ClassScore::f1(Average::Macro)),
        Box::new(ClassScore::f1(Average::Weighted)),
        Box::new(ClassScore::precision(Average::Micro)),
        Box::new(ClassScore::recall(Average::Macro)),
        Box::new(ClassScore::specificity(Average::Macro)),
    ];
    for m in &mut metrics {
        m.update(&all.narrow(0, 0, 4), &labels.narrow(0, 0, 4));
        m.update(&all.narrow(0, 4, 6), &labels.narrow(0, 4, 6));
    }
    let values: Vec<(String, f64)> = metrics.iter().map(|m| (m.name(), m.value())).collect();
    let names: Vec<&str> = values.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["accuracy", "f1_macro", "f1_weighted", "precision_micro", "recall_macro", "specificity_macro"]);
    close(values[0].1, 0.8);
    close(values[1].1, 81.0 / 110.0);
    close(values[2].1, 443.0 / 550.0);
    close(values[3].1, 0.8);
    close(values[4].1, 7.0 / 9.0);
    metrics[0].reset();
    assert!(metrics[0].value() == 0.0);
}

#[test]
fn single_logit_outputs_are_thresholded_at_zero() {
    let logits = Tensor::from_vec(vec![2.0f32, -1.0, 0.5, -3.0], [4, 1]);
    let labels = Tensor::from_vec(vec![1i64, 0, 0, 0], [4]);
    assert_eq!(metrics::predicted_classes(&logits), vec![1, 0, 1, 0]);
    let mut acc = Accuracy::new();
    acc.update(&logits, &labels);
    close(acc.value(), 0.75);
    let mut auc = RocAuc::new();
    auc.update(&logits, &labels);
    close(auc.value(), 1.0);
    let mut ll = LogLoss::new();
    ll.update(&logits, &labels);
    let sig = |z: f64| 1.0 / (1.0 + (-z).exp());
    let expected = -(sig(2.0).ln() + (1.0 - sig(-1.0)).ln() + (1.0 - sig(0.5)).ln() + (1.0 - sig(-3.0)).ln()) / 4.0;
    assert!((ll.value() - expected).abs() < 1e-6);
}

#[test]
fn streaming_regression_metrics() {
    let targets = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 4.0], [4, 1]);
    let perfect = targets.clone();
    let mean = Tensor::from_vec(vec![2.5f32; 4], [4, 1]);
    let mut r2 = R2::new();
    r2.update(&perfect.narrow(0, 0, 2), &targets.narrow(0, 0, 2));
    r2.update(&perfect.narrow(0, 2, 2), &targets.narrow(0, 2, 2));
    close(r2.value(), 1.0);
    r2.reset();
    r2.update(&mean, &targets);
    close(r2.value(), 0.0);
    let off = Tensor::from_vec(vec![1.0f32, 2.0, 3.0, 6.0], [4, 1]);
    for (mut m, expected) in
        [(RegressionError::mse(), 1.0), (RegressionError::rmse(), 1.0), (RegressionError::mae(), 0.5)]
    {
        m.update(&off, &targets);
        close(m.value(), expected);
        assert!(!m.higher_is_better());
    }
}

fn sample_history() -> History {
    let mut h = History::new();
    for e in 0..3 {
        let mut log = EpochLog::new(e);
        log.set("loss", 1.0 / (e as f64 + 1.0));
        log.set("accuracy", 0.5 + 0.1 * e as f64);
        if e > 0 {
            log.set("val_loss", 0.9 / e as f64);
        }
        h.push(&log);
    }
    h
}

#[test]
fn history_columns_json_and_csv() {
    let h = sample_history();
    assert_eq!(h.len(), 3);
    assert_eq!(h.names(), ["loss", "accuracy", "val_loss"]);
    let val = h.get("val_loss").unwrap();
    assert!(val[0].is_nan() && val[1] == 0.9);
    assert_eq!(h.last("accuracy"), Some(0.7));
    let back = History::from_json(&h.to_json()).unwrap();
    assert_eq!(back.names(), h.names());
    assert_eq!(back.get("loss"), h.get("loss"));
    let csv = h.to_csv();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines[0], "epoch,loss,accuracy,val_loss");
    assert_eq!(lines[1], "0,1,0.5,");
    assert_eq!(lines.len(), 4);
    let dir = std::env::temp_dir().join(format!("kindling-metrics-history-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    h.save_json(dir.join("h.json")).unwrap();
    h.save_csv(dir.join("h.csv")).unwrap();
    assert_eq!(History::load_json(dir.join("h.json")).unwrap().get("accuracy"), h.get("accuracy"));
    assert!(std::fs::read_to_string(dir.join("h.csv")).unwrap().starts_with("epoch,"));
    std::fs::remove_dir_all(&dir).unwrap();
}
