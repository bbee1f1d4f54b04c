//! Damaged and hostile input: every reader refuses it with an error that names the file and
//! says what to do, before allocating more than the file justifies; scalers refuse infinity.

use kindling_data::csv::{parse_csv, read_csv, ColumnType, CsvOptions};
use kindling_data::idx::{encode_idx_u8, parse_idx};
use kindling_data::{mnist, read_text, CharVocab, MinMaxScaler, Split, StandardScaler, Transform};
use kindling_tensor::Tensor;
use std::path::PathBuf;

/// A fresh, empty folder for one test.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kindling-data-damaged-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

// ---------- IDX / MNIST ----------

#[test]
fn mnist_label_outside_the_classes_is_refused_at_load() {
    let dir = temp_dir("mnist-label");
    let images = Tensor::from_vec(vec![0u8; 3 * 28 * 28], [3, 28, 28]);
    std::fs::write(dir.join("t10k-images-idx3-ubyte.gz"), encode_idx_u8(&images)).unwrap();
    let labels = dir.join("t10k-labels-idx1-ubyte.gz");
    std::fs::write(&labels, encode_idx_u8(&Tensor::from_vec(vec![3u8, 200, 4], [3]))).unwrap();
    let err = mnist(&dir, Split::Test).unwrap_err().to_string();
    assert!(
        err.starts_with(&format!(
            "{}, label 1 (counting from 0): expected a class label in 0..=9 (the dataset has 10 classes), found 200",
            labels.display()
        )),
        "{err}"
    );
    assert!(err.contains("download it again"), "{err}");

    // The last valid class is accepted.
    std::fs::write(&labels, encode_idx_u8(&Tensor::from_vec(vec![0u8, 9, 9], [3]))).unwrap();
    assert_eq!(mnist(&dir, Split::Test).unwrap().labels.to_vec(), [0, 9, 9]);
}

/// A header alone, declaring `dims` of type `code`.
fn idx_header(code: u8, dims: &[u32]) -> Vec<u8> {
    let mut bytes = vec![0, 0, code, dims.len() as u8];
    for d in dims {
        bytes.extend(d.to_be_bytes());
    }
    bytes
}

#[test]
fn idx_huge_declared_sizes_are_refused_before_allocating() {
    // The product overflows usize.
    let err = parse_idx(&idx_header(0x0E, &[u32::MAX; 3]), "huge.idx").unwrap_err().to_string();
    assert!(err.starts_with("huge.idx, byte 4: expected dimension sizes whose product fits in memory"), "{err}");
    // The product fits but the file holds almost nothing: 2^48 bytes declared, 10 present.
    let mut bytes = idx_header(0x08, &[65536, 65536, 65536]);
    bytes.extend([0u8; 10]);
    let err = parse_idx(&bytes, "claims.idx").unwrap_err().to_string();
    assert!(err.contains("expected 281474976710656 bytes of data"), "{err}");
    assert!(err.ends_with("found 10 bytes (truncated data)"), "{err}");
    // Empty, but its strides would overflow (found by the fuzzer: a panic in debug builds).
    let err = parse_idx(&idx_header(0x08, &[0, u32::MAX, u32::MAX, u32::MAX]), "empty.idx").unwrap_err().to_string();
    assert!(err.starts_with("empty.idx, byte 4: expected dimension sizes whose product fits in memory"), "{err}");
    // 255 dimensions, none of them present.
    let err = parse_idx(&[0, 0, 0x08, 255], "rank.idx").unwrap_err().to_string();
    assert!(err.contains("expected 255 big-endian u32 dimension sizes"), "{err}");
}

// ---------- CSV ----------

#[test]
fn csv_with_many_columns_converts_to_a_tensor() {
    let n = 262_144;
    let header: Vec<String> = (0..n).map(|i| format!("c{i}")).collect();
    let row: Vec<String> = (0..n).map(|i| (i % 10).to_string()).collect();
    let text = format!("{}\n{}\n{}\n", header.join(","), row.join(","), row.join(","));
    let table = parse_csv(&text, "wide.csv", &CsvOptions::new()).unwrap();
    let names = table.numeric_names();
    assert_eq!(names.len(), n);
    let x = table.to_tensor(&names).unwrap();
    assert_eq!(x.shape(), [2, n]);
    assert_eq!(x.get(&[1, n - 1]), ((n - 1) % 10) as f64);
}

#[test]
fn csv_duplicate_column_names_are_refused() {
    let err = parse_csv("id,x,y,x\n1,2,3,4\n", "dup.csv", &CsvOptions::new()).unwrap_err().to_string();
    assert_eq!(
        err,
        "dup.csv: expected a distinct name for every column, found the name \"x\" for columns 2 and 4 (counting \
         from 1); rename one of them in the header, or give every column a name with CsvOptions::names"
    );
    let options = CsvOptions::new().header(false).names(&["a", "a"]);
    let err = parse_csv("1,2\n", "named.csv", &options).unwrap_err().to_string();
    assert!(err.contains("the name \"a\" for columns 1 and 2"), "{err}");
}

#[test]
fn csv_text_in_a_detected_column_is_reported_with_its_line_when_asked_for_numbers() {
    let dir = temp_dir("csv-text");
    let path = dir.join("sizes.csv");
    std::fs::write(&path, "width,height\n1.5,2\n2.5,NA\n3.5,tall\n4.5,oops\n").unwrap();
    let table = read_csv(&path, &CsvOptions::new()).unwrap();
    let expected = format!(
        "{}, line 4, column \"height\": expected a numeric column \"height\", found a categorical column: its first \
         cell that is not a number is \"tall\"; fix that cell, add its text to CsvOptions::missing_markers if it \
         means \"missing\", or leave the column out",
        path.display()
    );
    assert_eq!(table.numeric("height").unwrap_err().to_string(), expected);
    assert_eq!(table.to_tensor(&["width", "height"]).unwrap_err().to_string(), expected);

    // Declared categorical although every cell is a number: there is no cell to point at.
    let options = CsvOptions::new().column_type("width", ColumnType::Categorical);
    let table = parse_csv("width\n1\n2\n", "w.csv", &options).unwrap();
    let err = table.numeric("width").unwrap_err().to_string();
    assert!(err.contains("declared with CsvOptions::column_type; declare it numeric instead"), "{err}");
}

#[test]
fn csv_unknown_column_in_a_wide_file_lists_only_some_names() {
    let header: Vec<String> = (0..100).map(|i| format!("c{i}")).collect();
    let text = format!("{}\n", header.join(","));
    let table = parse_csv(&text, "wide.csv", &CsvOptions::new()).unwrap();
    let err = table.numeric("nope").unwrap_err().to_string();
    assert!(err.ends_with("\"c19\"] and 80 more"), "{err}");
}

// ---------- text ----------

#[test]
fn text_reader_strips_a_byte_order_mark() {
    let dir = temp_dir("bom");
    let path = dir.join("bom.txt");
    std::fs::write(&path, "\u{feff}abba\n").unwrap();
    let text = read_text(&path).unwrap();
    assert_eq!(text, "abba\n");
    assert_eq!(CharVocab::new(&text).chars(), ['\n', 'a', 'b']);
    // Only a leading mark is an encoding marker; one inside the text is kept.
    std::fs::write(&path, "a\u{feff}").unwrap();
    assert_eq!(read_text(&path).unwrap(), "a\u{feff}");
    // The CSV reader, which reads through the same helper, sees a clean first name.
    let csv = dir.join("bom.csv");
    std::fs::write(&csv, "\u{feff}x,y\n1,2\n").unwrap();
    assert_eq!(read_csv(&csv, &CsvOptions::new()).unwrap().names(), ["x", "y"]);
}

// ---------- scalers ----------

fn with_infinity() -> Tensor<f64> {
    Tensor::from_vec(vec![1.0, 2.0, 3.0, f64::NAN, 5.0, f64::INFINITY], [3, 2])
}

#[test]
#[should_panic(expected = "StandardScaler::fit: input contains infinity: inf at row 2, column 1 (counting from 0); \
                           impute or clip it, or drop the row, before fitting")]
fn standard_scaler_refuses_infinity() {
    StandardScaler::new().fit(&with_infinity());
}

#[test]
#[should_panic(expected = "MinMaxScaler::fit: input contains infinity: -inf at row 0, column 0")]
fn min_max_scaler_refuses_infinity() {
    MinMaxScaler::new().fit(&Tensor::from_vec(vec![f32::NEG_INFINITY, 1.0], [2]));
}

#[test]
fn scalers_still_skip_nan_as_missing() {
    let x = Tensor::from_vec(vec![1.0, f64::NAN, 3.0], [3]);
    let z = StandardScaler::new().fit_transform(&x).to_vec();
    assert_eq!((z[0], z[2]), (-1.0, 1.0));
    assert!(z[1].is_nan());
}
