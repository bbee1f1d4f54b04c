//! File readers on fixtures written here: CSV, IDX (plain and gzip), text, and the MNIST
//! helper, including every malformed case and its message.

use flate2::write::GzEncoder;
use flate2::Compression;
use kindling_data::csv::{parse_csv, read_csv, Column, ColumnType, CsvOptions};
use kindling_data::idx::{encode_idx_u8, parse_idx, read_idx, read_idx_u8, IdxTensor};
use kindling_data::{mnist, read_text, CharVocab, DataError, Dataset, Split};
use kindling_tensor::Tensor;
use std::io::Write;
use std::path::PathBuf;

/// A fresh, empty folder for one test.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kindling-data-readers-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = GzEncoder::new(Vec::new(), Compression::fast());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

// ---------- CSV ----------

#[test]
fn csv_with_header_quotes_types_and_missing_values() {
    let dir = temp_dir("csv-good");
    let path = dir.join("cars.csv");
    std::fs::write(
        &path,
        "name,price,doors,colour\r\n\"Fiat, 500\",12000.5,3,red\nMini,NA,3,\"say \"\"hi\"\"\"\n\nBeetle,9000,?,\n",
    )
    .unwrap();
    let t = read_csv(&path, &CsvOptions::new()).unwrap();
    assert_eq!(t.rows(), 3);
    assert_eq!(t.names(), ["name", "price", "doors", "colour"]);
    assert_eq!(t.numeric_names(), vec!["price", "doors"]);
    let price = t.numeric("price").unwrap();
    assert_eq!(price[0], 12000.5);
    assert!(price[1].is_nan());
    assert_eq!(t.categorical("name").unwrap()[0].as_deref(), Some("Fiat, 500"));
    assert_eq!(t.categorical("colour").unwrap()[1].as_deref(), Some("say \"hi\""));
    assert_eq!(t.categorical("colour").unwrap()[2], None);
    let missing: Vec<String> = t.missing().iter().map(|m| format!("row {} ({m})", m.row)).collect();
    assert_eq!(
        missing,
        vec![
            "row 1 (line 3, column \"price\")",
            "row 2 (line 5, column \"doors\")",
            "row 2 (line 5, column \"colour\")"
        ]
    );
    let x = t.to_tensor(&["price", "doors"]).unwrap();
    assert_eq!(x.shape(), &[3, 2]);
    assert_eq!(x.to_vec()[0..2], [12000.5, 3.0]);
}

#[test]
fn csv_without_header_gets_numbered_columns() {
    let t = parse_csv("1;a\n2;b\n", "inline", &CsvOptions::new().header(false).delimiter(';')).unwrap();
    assert_eq!(t.names(), ["0", "1"]);
    assert_eq!(t.columns()[0], Column::Numeric(vec![1.0, 2.0]));
    let named =
        parse_csv("1;a\n", "inline", &CsvOptions::new().header(false).delimiter(';').names(&["x", "y"])).unwrap();
    assert_eq!(named.names(), ["x", "y"]);
}

#[test]
fn declared_categorical_keeps_numbers_as_text() {
    let opts = CsvOptions::new().column_type("zip", ColumnType::Categorical);
    let t = parse_csv("zip,v\n01234,1\n", "inline", &opts).unwrap();
    assert_eq!(t.categorical("zip").unwrap()[0].as_deref(), Some("01234"));
}

#[test]
fn csv_ragged_row_names_the_line() {
    let dir = temp_dir("csv-ragged");
    let path = dir.join("ragged.csv");
    std::fs::write(&path, "a,b,c\n1,2,3\n4,5\n").unwrap();
    let err = read_csv(&path, &CsvOptions::new()).unwrap_err();
    assert_eq!(err.to_string(), format!("{}, line 3: expected 3 fields, found 2 fields", path.display()));
}

#[test]
fn csv_text_in_a_numeric_column_names_line_and_column() {
    let opts = CsvOptions::new().column_type("width", ColumnType::Numeric);
    let err = parse_csv("width,name\n1.5,a\nwide,b\n", "shapes.csv", &opts).unwrap_err();
    assert_eq!(err.to_string(), "shapes.csv, line 3, column \"width\": expected a number, found \"wide\"");
}

#[test]
fn csv_missing_values_can_be_refused() {
    let err = parse_csv("a,b\n1,\n", "gaps.csv", &CsvOptions::new().deny_missing(true)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "gaps.csv, line 2, column \"b\": expected a value, found the missing-value marker \"\""
    );
}

#[test]
fn csv_unterminated_quote_and_unknown_columns() {
    let err = parse_csv("a,b\n1,\"open\n2,3\n", "q.csv", &CsvOptions::new()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "q.csv, line 2: expected a closing quote, found the end of the file inside a quoted field"
    );
    let err = parse_csv("a,b\n\"x\"y,1\n", "q.csv", &CsvOptions::new()).unwrap_err();
    assert_eq!(err.to_string(), "q.csv, line 2: expected ',' or the end of the line after a closing quote, found 'y'");
    let t = parse_csv("a,b\n1,x\n", "t.csv", &CsvOptions::new()).unwrap();
    assert_eq!(
        t.numeric("zzz").unwrap_err().to_string(),
        "t.csv: expected a column named \"zzz\", found the columns [\"a\", \"b\"]"
    );
    assert!(t
        .numeric("b")
        .unwrap_err()
        .to_string()
        .contains("expected a numeric column \"b\", found a categorical column"));
    let err = parse_csv("a\n1\n", "t.csv", &CsvOptions::new().column_type("nope", ColumnType::Numeric)).unwrap_err();
    assert!(err.to_string().contains("expected a column named \"nope\""));
}

#[test]
fn missing_file_is_an_io_error_naming_it() {
    let err = read_csv("/nonexistent/kindling/data.csv", &CsvOptions::new()).unwrap_err();
    assert!(matches!(err, DataError::Io { .. }));
    assert!(err.to_string().starts_with("cannot read /nonexistent/kindling/data.csv: "), "{err}");
}

// ---------- IDX ----------

fn images(n: usize) -> Tensor<u8> {
    Tensor::from_vec((0..n * 28 * 28).map(|i| (i % 251) as u8).collect(), [n, 28, 28])
}

#[test]
fn idx_round_trip_plain_and_gzip() {
    let dir = temp_dir("idx-good");
    let t = images(3);
    std::fs::write(dir.join("plain.idx"), encode_idx_u8(&t)).unwrap();
    std::fs::write(dir.join("packed.gz"), gzip(&encode_idx_u8(&t))).unwrap();
    for name in ["plain.idx", "packed.gz"] {
        let back = read_idx_u8(dir.join(name)).unwrap();
        assert_eq!(back.shape(), &[3, 28, 28]);
        assert!(back.equal(&t));
    }
}

#[test]
fn idx_other_element_types() {
    // Big-endian i32 values 1 and -2, shape [2].
    let bytes = [0, 0, 0x0C, 1, 0, 0, 0, 2, 0, 0, 0, 1, 0xFF, 0xFF, 0xFF, 0xFE];
    match parse_idx(&bytes, "ints.idx").unwrap() {
        IdxTensor::I32(t) => assert_eq!(t.to_vec(), vec![1, -2]),
        other => panic!("read as {}", other.element_name()),
    }
    // f32 1.5 in a [1, 1] tensor.
    let mut bytes = vec![0, 0, 0x0D, 2, 0, 0, 0, 1, 0, 0, 0, 1];
    bytes.extend(1.5f32.to_be_bytes());
    let t = parse_idx(&bytes, "f.idx").unwrap();
    assert_eq!(t.shape(), &[1, 1]);
    assert!(matches!(t, IdxTensor::F32(ref v) if v.to_vec() == vec![1.5]));
    let err = read_idx_u8_from(&bytes, "f.idx");
    assert!(err.contains("expected unsigned bytes (IDX type code 0x08), found elements read as f32"), "{err}");
}

fn read_idx_u8_from(bytes: &[u8], name: &str) -> String {
    let dir = temp_dir("idx-type");
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    read_idx_u8(&path).unwrap_err().to_string()
}

#[test]
fn idx_wrong_magic() {
    let mut bytes = encode_idx_u8(&images(1));
    bytes[0] = 0x50;
    bytes[1] = 0x4B; // "PK": a zip file, say
    let err = parse_idx(&bytes, "train-images").unwrap_err();
    assert_eq!(
        err.to_string(),
        "train-images, byte 0: expected an IDX magic number 00 00 TT NN with type code TT in {08, 09, 0B, 0C, 0D, 0E}, \
         found 50 4b 08 03 (magic 1347094531)"
    );
    let err = parse_idx(&[0, 0, 0x07, 1], "x").unwrap_err();
    assert!(err.to_string().contains("found 00 00 07 01 (magic 1793)"), "{err}");
    let err = parse_idx(&[0, 0], "tiny").unwrap_err();
    assert_eq!(err.to_string(), "tiny: expected a 4-byte IDX magic number, found a file of 2 byte(s)");
}

#[test]
fn idx_truncated_header_and_data() {
    let bytes = encode_idx_u8(&images(2));
    let err = parse_idx(&bytes[..10], "imgs").unwrap_err();
    assert_eq!(err.to_string(), "imgs, byte 4: expected 3 big-endian u32 dimension sizes (12 bytes), found 6 byte(s)");
    let err = parse_idx(&bytes[..bytes.len() - 100], "imgs").unwrap_err();
    assert_eq!(
        err.to_string(),
        "imgs, byte 16: expected 1568 bytes of data for shape [2, 28, 28] (1 byte(s) each), found 1468 bytes (truncated data)"
    );
    let mut long = bytes.clone();
    long.push(7);
    let err = parse_idx(&long, "imgs").unwrap_err();
    assert!(err.to_string().ends_with("found 1569 bytes (extra bytes after the data)"), "{err}");
}

#[test]
fn idx_gzip_garbage_and_truncated_gzip() {
    let dir = temp_dir("idx-gzip");
    let garbage = dir.join("garbage.gz");
    std::fs::write(&garbage, [0x1f, 0x8b, 0x08, 0x00, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]).unwrap();
    let err = read_idx(&garbage).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.starts_with(&format!("{}: expected a valid gzip stream, found a broken one (", garbage.display())),
        "{msg}"
    );

    let packed = gzip(&encode_idx_u8(&images(2)));
    let cut = dir.join("cut.gz");
    std::fs::write(&cut, &packed[..packed.len() / 2]).unwrap();
    let msg = read_idx(&cut).unwrap_err().to_string();
    assert!(msg.contains("expected a valid gzip stream"), "{msg}");
}

#[test]
fn mnist_reader_checks_the_pair_of_files() {
    let dir = temp_dir("mnist");
    let labels = Tensor::from_vec(vec![3u8, 1, 4], [3]);
    std::fs::write(dir.join("t10k-images-idx3-ubyte.gz"), gzip(&encode_idx_u8(&images(3)))).unwrap();
    std::fs::write(dir.join("t10k-labels-idx1-ubyte.gz"), gzip(&encode_idx_u8(&labels))).unwrap();
    let set = mnist(&dir, Split::Test).unwrap();
    assert_eq!(set.images.shape(), &[3, 28, 28]);
    assert_eq!(set.labels.to_vec(), vec![3, 1, 4]);
    let ds = set.to_dataset();
    assert_eq!(ds.len(), 3);
    let (x, y) = ds.get(0);
    assert_eq!(y.item(), 3);
    assert!((x.get(&[0, 1]) - 1.0 / 255.0).abs() < 1e-7);

    // Missing training files: the error names the file.
    let err = mnist(&dir, Split::Train).unwrap_err().to_string();
    assert!(err.contains("train-images-idx3-ubyte.gz"), "{err}");

    // Labels and images disagree in number.
    std::fs::write(dir.join("t10k-labels-idx1-ubyte.gz"), encode_idx_u8(&Tensor::from_vec(vec![1u8, 2], [2]))).unwrap();
    let err = mnist(&dir, Split::Test).unwrap_err().to_string();
    assert!(
        err.ends_with(&format!(
            "expected 3 labels, one per image in {}, found 2 labels",
            dir.join("t10k-images-idx3-ubyte.gz").display()
        )),
        "{err}"
    );

    // Images and labels swapped: a 1-D file where images belong.
    std::fs::write(dir.join("t10k-images-idx3-ubyte.gz"), encode_idx_u8(&labels)).unwrap();
    let err = mnist(&dir, Split::Test).unwrap_err().to_string();
    assert!(
        err.contains(
            "expected an image file with 3 dimensions [N, rows, cols] (IDX magic 2051), found 1 dimension(s) [3]"
        ),
        "{err}"
    );
}

// ---------- text ----------

#[test]
fn text_reader_and_char_vocabulary() {
    let dir = temp_dir("text");
    let good = dir.join("poem.txt");
    std::fs::write(&good, "to be, or not to be\n").unwrap();
    let text = read_text(&good).unwrap();
    let vocab = CharVocab::new(&text);
    assert_eq!(vocab.len(), 9);
    let ids = vocab.encode("be or").unwrap();
    assert_eq!(vocab.decode(&ids.to_vec()), "be or");
    assert!(vocab.encode("xyz").unwrap_err().to_string().starts_with("CharVocab: category \"x\""));

    let bad = dir.join("bad.txt");
    std::fs::write(&bad, [b'o', b'k', 0xff, 0xfe]).unwrap();
    assert_eq!(
        read_text(&bad).unwrap_err().to_string(),
        format!("{}, byte 2: expected UTF-8 text, found a byte sequence that is not UTF-8", bad.display())
    );
}
