//! The real datasets in `KINDLING_DATASETS`: shapes, class counts and row counts. Each test
//! skips, loudly, when the variable is unset.

use kindling_data::{datasets_dir, fashion_mnist, iris, mnist, tiny_shakespeare, CharVocab, DataError, Dataset, Split};
use std::io::Write;
use std::path::PathBuf;

fn datasets() -> Option<PathBuf> {
    match datasets_dir() {
        Ok(dir) => Some(dir),
        Err(e) => {
            // Straight to stderr, past the test harness's capture, so the skip is seen.
            let _ = writeln!(std::io::stderr(), "SKIPPED: KINDLING_DATASETS is unset ({e})");
            None
        }
    }
}

fn per_class(labels: &[u8]) -> [usize; 10] {
    let mut counts = [0; 10];
    for &l in labels {
        counts[l as usize] += 1;
    }
    counts
}

#[test]
fn missing_variable_error_says_what_to_set() {
    let err = DataError::MissingEnv { name: "KINDLING_DATASETS", hint: "set it" };
    assert_eq!(err.to_string(), "the environment variable KINDLING_DATASETS is not set: set it");
    if std::env::var_os("KINDLING_DATASETS").is_none() {
        let msg = datasets_dir().unwrap_err().to_string();
        assert!(msg.contains("KINDLING_DATASETS is not set: set it to the folder that holds mnist/"), "{msg}");
    }
}

#[test]
fn fashion_mnist_has_60000_plus_10000_balanced_images() {
    let Some(root) = datasets() else { return };
    let train = fashion_mnist(root.join("fashion-mnist"), Split::Train).unwrap();
    assert_eq!(train.images.shape(), &[60000, 28, 28]);
    assert_eq!(train.labels.shape(), &[60000]);
    assert_eq!(per_class(&train.labels.to_vec()), [6000; 10]);
    let test = fashion_mnist(root.join("fashion-mnist"), Split::Test).unwrap();
    assert_eq!(test.images.shape(), &[10000, 28, 28]);
    assert_eq!(per_class(&test.labels.to_vec()), [1000; 10]);
    let ds = test.to_dataset();
    assert_eq!(ds.len(), 10000);
    assert!(ds.features().to_vec().iter().all(|v| (0.0..=1.0).contains(v)));
}

#[test]
fn mnist_has_60000_plus_10000_images() {
    let Some(root) = datasets() else { return };
    let train = mnist(root.join("mnist"), Split::Train).unwrap();
    assert_eq!(train.images.shape(), &[60000, 28, 28]);
    assert_eq!(per_class(&train.labels.to_vec()).iter().sum::<usize>(), 60000);
    let test = mnist(root.join("mnist"), Split::Test).unwrap();
    assert_eq!(test.images.shape(), &[10000, 28, 28]);
    // The well-known first test label is a 7.
    assert_eq!(test.labels.to_vec()[0], 7);
}

#[test]
fn iris_has_150_rows_in_three_classes() {
    let Some(root) = datasets() else { return };
    let data = iris(root.join("iris")).unwrap();
    assert_eq!(data.features.shape(), &[150, 4]);
    assert_eq!(data.labels.shape(), &[150]);
    assert_eq!(data.classes, ["Iris-setosa", "Iris-versicolor", "Iris-virginica"]);
    for c in 0..3 {
        assert_eq!(data.labels.to_vec().iter().filter(|&&l| l == c).count(), 50);
    }
    assert_eq!(data.features.to_vec()[..4], [5.1, 3.5, 1.4, 0.2]);
}

#[test]
fn tiny_shakespeare_reads_whole() {
    let Some(root) = datasets() else { return };
    let text = tiny_shakespeare(root.join("tinyshakespeare")).unwrap();
    assert_eq!(text.len(), 1_115_394);
    assert!(text.starts_with("First Citizen:"));
    assert_eq!(CharVocab::new(&text).len(), 65);
}
