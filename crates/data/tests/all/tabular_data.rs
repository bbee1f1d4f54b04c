//! The classic-ML tables (`sklearn-small/`, `optdigits/`): shapes, class counts and first
//! values as NumPy reads the same files, and the errors for a missing or damaged file. The
//! real-data tests skip, loudly, when `KINDLING_DATASETS` is unset.

use kindling_data::datasets::{breast_cancer, diabetes, digits_small, optdigits, wine};
use kindling_data::{datasets_dir, iris_f64, Split};
use std::io::Write;
use std::path::PathBuf;

fn datasets() -> Option<PathBuf> {
    match datasets_dir() {
        Ok(dir) => Some(dir),
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "skipped: KINDLING_DATASETS is unset ({e})");
            None
        }
    }
}

fn counts(labels: &[i64], classes: usize) -> Vec<usize> {
    (0..classes as i64).map(|c| labels.iter().filter(|&&l| l == c).count()).collect()
}

#[test]
fn breast_cancer_has_212_malignant_and_357_benign() {
    let Some(root) = datasets() else { return };
    let t = breast_cancer(root.join("sklearn-small")).unwrap();
    assert_eq!(t.features.shape(), &[569, 30]);
    assert_eq!(counts(&t.labels.to_vec(), 2), [212, 357]);
    assert_eq!(t.classes, ["malignant", "benign"]);
    assert_eq!(t.feature_names[0], "mean_radius");
    assert_eq!(t.features.to_vec()[..3], [17.99, 10.38, 122.8]);
}

#[test]
fn wine_has_three_cultivars() {
    let Some(root) = datasets() else { return };
    let t = wine(root.join("sklearn-small")).unwrap();
    assert_eq!(t.features.shape(), &[178, 13]);
    assert_eq!(counts(&t.labels.to_vec(), 3), [59, 71, 48]);
    assert_eq!(t.features.to_vec()[..3], [14.23, 1.71, 2.43]);
}

#[test]
fn digits_small_is_the_optdigits_test_part() {
    let Some(root) = datasets() else { return };
    let small = digits_small(root.join("sklearn-small")).unwrap();
    assert_eq!(small.features.shape(), &[1797, 64]);
    assert_eq!(counts(&small.labels.to_vec(), 10), [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]);
    let test = optdigits(root.join("optdigits"), Split::Test).unwrap();
    assert_eq!(test.features.shape(), &[1797, 64]);
    assert_eq!(counts(&test.labels.to_vec(), 10), counts(&small.labels.to_vec(), 10));
}

#[test]
fn optdigits_train_has_3823_images_with_pixel_counts_up_to_16() {
    let Some(root) = datasets() else { return };
    let t = optdigits(root.join("optdigits"), Split::Train).unwrap();
    assert_eq!(t.features.shape(), &[3823, 64]);
    assert_eq!(counts(&t.labels.to_vec(), 10), [376, 389, 380, 389, 387, 376, 377, 387, 380, 382]);
    let pixels = t.features.to_vec();
    assert!(pixels.iter().all(|&p| (0.0..=16.0).contains(&p)));
    assert_eq!(pixels[..4], [0.0, 1.0, 6.0, 15.0]);
    assert_eq!(t.feature_names[9], "pixel_1_1");
}

#[test]
fn diabetes_is_a_regression_table() {
    let Some(root) = datasets() else { return };
    let t = diabetes(root.join("sklearn-small")).unwrap();
    assert_eq!(t.features.shape(), &[442, 10]);
    assert_eq!(t.targets.to_vec()[..3], [151.0, 75.0, 141.0]);
    assert_eq!(t.features.to_vec()[0], 0.038075906433423026);
    assert_eq!(t.feature_names, ["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"]);
}

#[test]
fn iris_f64_keeps_the_decimal_values() {
    let Some(root) = datasets() else { return };
    let t = iris_f64(root.join("iris")).unwrap();
    assert_eq!(t.features.to_vec()[..4], [5.1, 3.5, 1.4, 0.2]);
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kindling-tabular-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn a_missing_file_is_named_with_what_to_do() {
    let dir = scratch("missing");
    let msg = wine(&dir).unwrap_err().to_string();
    assert!(msg.contains("wine.csv") && msg.contains("no such file") && msg.contains("KINDLING_DATASETS"), "{msg}");
    let msg = optdigits(&dir, Split::Train).unwrap_err().to_string();
    assert!(msg.contains("optdigits.tra") && msg.contains("no such file"), "{msg}");
}

#[test]
fn damaged_files_name_the_line() {
    let dir = scratch("damaged");
    let mut row: Vec<String> = (0..64).map(|_| "3".to_string()).collect();
    row.push("7".into());
    let good = row.join(",");
    std::fs::write(dir.join("optdigits.tes"), format!("{good}\n{}\n", &good[2..])).unwrap();
    let msg = optdigits(&dir, Split::Test).unwrap_err().to_string();
    assert!(msg.contains("line 2") && msg.contains("64 values"), "{msg}");
    std::fs::write(dir.join("optdigits.tes"), format!("{good}\n{},12\n", &good[..good.len() - 2])).unwrap();
    let msg = optdigits(&dir, Split::Test).unwrap_err().to_string();
    assert!(msg.contains("line 2, value 65") && msg.contains("0..=9") && msg.contains("12"), "{msg}");
    std::fs::write(dir.join("wine.csv"), "a,b,target\n1,2,0\n3,4,5\n").unwrap();
    let msg = wine(&dir).unwrap_err().to_string();
    assert!(msg.contains("data row 2") && msg.contains("0..=2"), "{msg}");
    std::fs::write(dir.join("wine.csv"), "a,b\n1,2\n").unwrap();
    let msg = wine(&dir).unwrap_err().to_string();
    assert!(msg.contains("\"target\""), "{msg}");
    std::fs::remove_dir_all(&dir).unwrap();
}
