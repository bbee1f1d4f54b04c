//! A CSV reader for tabular datasets: a header row, quoted fields, numeric and categorical
//! columns (detected or declared), and missing values reported by row and column.
//!
//! ```
//! use kindling_data::csv::{parse_csv, CsvOptions};
//!
//! let text = "width,colour\n1.5,red\nNA,\"dark, blue\"\n";
//! let table = parse_csv(text, "paint.csv", &CsvOptions::new()).unwrap();
//! assert_eq!(table.names(), ["width", "colour"]);
//! assert_eq!(table.missing()[0].to_string(), "line 3, column \"width\"");
//! assert_eq!(table.categorical("colour").unwrap()[1].as_deref(), Some("dark, blue"));
//! ```

use crate::error::DataError;
use kindling_tensor::Tensor;
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// How a column's values are read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnType {
    /// Numbers (`f64`); a missing value becomes `NaN`.
    Numeric,
    /// Text labels; a missing value becomes `None`.
    Categorical,
}

/// How to read a CSV file. The defaults: comma-separated, a header row, the missing-value
/// markers `""`, `NA`, `N/A`, `NaN`, `nan` and `?`, column types detected.
#[derive(Clone, Debug)]
pub struct CsvOptions {
    delimiter: char,
    header: bool,
    missing: Vec<String>,
    types: HashMap<String, ColumnType>,
    names: Option<Vec<String>>,
    deny_missing: bool,
}

impl Default for CsvOptions {
    fn default() -> Self {
        Self::new()
    }
}

impl CsvOptions {
    /// The default options.
    pub fn new() -> Self {
        CsvOptions {
            delimiter: ',',
            header: true,
            missing: ["", "NA", "N/A", "NaN", "nan", "?"].iter().map(|s| s.to_string()).collect(),
            types: HashMap::new(),
            names: None,
            deny_missing: false,
        }
    }

    /// The field separator (`;` and `\t` are common besides `,`).
    pub fn delimiter(mut self, d: char) -> Self {
        self.delimiter = d;
        self
    }

    /// Whether the first row names the columns. Without a header the columns are named
    /// `"0"`, `"1"`, ... unless [`CsvOptions::names`] gives names.
    pub fn header(mut self, on: bool) -> Self {
        self.header = on;
        self
    }

    /// Column names for a file without a header (or to replace the header's names).
    pub fn names(mut self, names: &[&str]) -> Self {
        self.names = Some(names.iter().map(|s| s.to_string()).collect());
        self
    }

    /// The unquoted field values that mean "missing" (replaces the default list).
    pub fn missing_markers(mut self, markers: &[&str]) -> Self {
        self.missing = markers.iter().map(|s| s.to_string()).collect();
        self
    }

    /// Declares a column's type instead of detecting it. A declared numeric column makes a
    /// non-numeric value an error that names the line and column.
    pub fn column_type(mut self, name: &str, ty: ColumnType) -> Self {
        self.types.insert(name.to_string(), ty);
        self
    }

    /// Makes any missing value an error instead of recording it.
    pub fn deny_missing(mut self, on: bool) -> Self {
        self.deny_missing = on;
        self
    }
}

/// One column of a [`CsvTable`].
#[derive(Clone, Debug, PartialEq)]
pub enum Column {
    /// A numeric column (`NaN` where missing).
    Numeric(Vec<f64>),
    /// A categorical column (`None` where missing).
    Categorical(Vec<Option<String>>),
}

/// A missing value: which data row (0-based), which line of the file (1-based), which column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MissingCell {
    /// The data row, counting from 0 (the header is not a data row).
    pub row: usize,
    /// The line in the file where the row starts, counting from 1.
    pub line: usize,
    /// The column's name.
    pub column: String,
}

impl fmt::Display for MissingCell {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}, column {:?}", self.line, self.column)
    }
}

/// A parsed CSV file: named, typed columns of equal length.
#[derive(Clone, Debug)]
pub struct CsvTable {
    source: PathBuf,
    names: Vec<String>,
    /// Column position by name, built once so that looking up thousands of columns stays fast.
    index: HashMap<String, usize>,
    columns: Vec<Column>,
    /// For each categorical column, the first cell that is not a number: (line, text), so that
    /// asking for it as numbers can say where it went wrong.
    first_text: Vec<Option<(usize, String)>>,
    rows: usize,
    missing: Vec<MissingCell>,
}

/// Reads and parses a CSV file.
pub fn read_csv(path: impl AsRef<Path>, options: &CsvOptions) -> Result<CsvTable, DataError> {
    let path = path.as_ref();
    let text = crate::text::read_text(path)?;
    parse_csv(&text, path, options)
}

/// A field with the line it starts on and whether it was quoted.
struct Field {
    text: String,
    quoted: bool,
}

/// A record with the line it starts on.
struct Record {
    line: usize,
    fields: Vec<Field>,
}

/// Splits text into records of fields (RFC 4180 quoting: `"a, b"` is one field and `""`
/// inside quotes is a literal quote; quoted fields may span lines). Blank lines are skipped.
fn records(text: &str, source: &Path, delimiter: char) -> Result<Vec<Record>, DataError> {
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    let mut line = 1;
    while chars.peek().is_some() {
        let start_line = line;
        let mut fields = Vec::new();
        loop {
            // One field.
            let mut text = String::new();
            let quoted = chars.peek() == Some(&'"');
            if quoted {
                chars.next();
                loop {
                    match chars.next() {
                        None => {
                            return Err(DataError::malformed_at(
                                source,
                                format!("line {start_line}"),
                                "a closing quote",
                                "the end of the file inside a quoted field",
                            ))
                        }
                        Some('"') if chars.peek() == Some(&'"') => {
                            chars.next();
                            text.push('"');
                        }
                        Some('"') => break,
                        Some(c) => {
                            if c == '\n' {
                                line += 1;
                            }
                            text.push(c);
                        }
                    }
                }
                match chars.peek() {
                    None | Some('\n') | Some('\r') => {}
                    Some(&c) if c == delimiter => {}
                    Some(&c) => {
                        return Err(DataError::malformed_at(
                            source,
                            format!("line {line}"),
                            format!("{delimiter:?} or the end of the line after a closing quote"),
                            format!("{c:?}"),
                        ))
                    }
                }
            } else {
                while let Some(&c) = chars.peek() {
                    if c == delimiter || c == '\n' || c == '\r' {
                        break;
                    }
                    text.push(c);
                    chars.next();
                }
                text = text.trim().to_string();
            }
            fields.push(Field { text, quoted });
            match chars.next() {
                Some(c) if c == delimiter => continue,
                Some('\r') => {
                    if chars.peek() == Some(&'\n') {
                        chars.next();
                    }
                    line += 1;
                    break;
                }
                Some('\n') => {
                    line += 1;
                    break;
                }
                _ => break,
            }
        }
        let blank = fields.len() == 1 && !fields[0].quoted && fields[0].text.is_empty();
        if !blank {
            out.push(Record { line: start_line, fields });
        }
    }
    Ok(out)
}

/// Parses CSV text; `source` names it in errors (a file name, or any label).
pub fn parse_csv(text: &str, source: impl AsRef<Path>, options: &CsvOptions) -> Result<CsvTable, DataError> {
    let source = source.as_ref();
    let mut recs = records(crate::text::strip_bom(text), source, options.delimiter)?.into_iter();
    let header: Option<Vec<String>> =
        if options.header { recs.next().map(|r| r.fields.into_iter().map(|f| f.text).collect()) } else { None };
    let data: Vec<Record> = recs.collect();
    let width = match (&options.names, &header, data.first()) {
        (Some(n), _, _) => n.len(),
        (None, Some(h), _) => h.len(),
        (None, None, Some(r)) => r.fields.len(),
        (None, None, None) => 0,
    };
    let names: Vec<String> = match (&options.names, header) {
        (Some(n), _) => n.clone(),
        (None, Some(h)) => h,
        (None, None) => (0..width).map(|i| i.to_string()).collect(),
    };
    let index = column_index(&names, source)?;
    for name in options.types.keys() {
        if !index.contains_key(name) {
            return Err(DataError::malformed(
                source,
                format!("a column named {name:?} (declared in CsvOptions::column_type)"),
                format!("the columns {}", list_names(&names)),
            ));
        }
    }
    for r in &data {
        if r.fields.len() != width {
            return Err(DataError::malformed_at(
                source,
                format!("line {}", r.line),
                format!("{width} fields"),
                format!("{} fields", r.fields.len()),
            ));
        }
    }

    let is_missing = |f: &Field| !f.quoted && options.missing.contains(&f.text);
    let mut missing = Vec::new();
    let mut columns = Vec::with_capacity(width);
    let mut first_text = Vec::with_capacity(width);
    for (c, name) in names.iter().enumerate() {
        let ty = options.types.get(name).copied().unwrap_or_else(|| {
            let numeric = data.iter().map(|r| &r.fields[c]).all(|f| is_missing(f) || f.text.parse::<f64>().is_ok());
            if numeric {
                ColumnType::Numeric
            } else {
                ColumnType::Categorical
            }
        });
        let mut numbers = Vec::new();
        let mut labels = Vec::new();
        for (row, r) in data.iter().enumerate() {
            let f = &r.fields[c];
            if is_missing(f) {
                if options.deny_missing {
                    return Err(DataError::malformed_at(
                        source,
                        format!("line {}, column {name:?}", r.line),
                        "a value",
                        format!("the missing-value marker {:?}", f.text),
                    ));
                }
                missing.push(MissingCell { row, line: r.line, column: name.clone() });
                numbers.push(f64::NAN);
                labels.push(None);
                continue;
            }
            match ty {
                ColumnType::Numeric => match f.text.parse::<f64>() {
                    Ok(v) => numbers.push(v),
                    Err(_) => {
                        return Err(DataError::malformed_at(
                            source,
                            format!("line {}, column {name:?}", r.line),
                            "a number",
                            format!("{:?}", f.text),
                        ))
                    }
                },
                ColumnType::Categorical => labels.push(Some(f.text.clone())),
            }
        }
        first_text.push(match ty {
            ColumnType::Numeric => None,
            ColumnType::Categorical => data
                .iter()
                .map(|r| (r.line, &r.fields[c]))
                .find(|(_, f)| !is_missing(f) && f.text.parse::<f64>().is_err())
                .map(|(line, f)| (line, f.text.clone())),
        });
        columns.push(match ty {
            ColumnType::Numeric => Column::Numeric(numbers),
            ColumnType::Categorical => Column::Categorical(labels),
        });
    }
    missing.sort_by_key(|m| m.row);
    Ok(CsvTable { source: source.to_path_buf(), names, index, columns, first_text, rows: data.len(), missing })
}

/// Each column's position by name; two columns with one name is an error, since the second
/// could never be asked for.
fn column_index(names: &[String], source: &Path) -> Result<HashMap<String, usize>, DataError> {
    let mut index = HashMap::with_capacity(names.len());
    for (i, name) in names.iter().enumerate() {
        if let Some(first) = index.insert(name.clone(), i) {
            return Err(DataError::malformed(
                source,
                "a distinct name for every column",
                format!(
                    "the name {name:?} for columns {} and {} (counting from 1); rename one of them in the \
                     header, or give every column a name with CsvOptions::names",
                    first + 1,
                    i + 1
                ),
            ));
        }
    }
    Ok(index)
}

/// The column names for an error message, shortened when there are many.
fn list_names(names: &[String]) -> String {
    const SHOWN: usize = 20;
    if names.len() <= SHOWN {
        return format!("{names:?}");
    }
    format!("{:?} and {} more", &names[..SHOWN], names.len() - SHOWN)
}

impl CsvTable {
    /// The number of data rows.
    pub fn rows(&self) -> usize {
        self.rows
    }

    /// The column names, in file order.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// Every column, in file order.
    pub fn columns(&self) -> &[Column] {
        &self.columns
    }

    /// The missing values, row by row.
    pub fn missing(&self) -> &[MissingCell] {
        &self.missing
    }

    fn position(&self, name: &str) -> Result<usize, DataError> {
        self.index.get(name).copied().ok_or_else(|| {
            DataError::malformed(
                &self.source,
                format!("a column named {name:?}"),
                format!("the columns {}", list_names(&self.names)),
            )
        })
    }

    fn find(&self, name: &str) -> Result<&Column, DataError> {
        self.position(name).map(|i| &self.columns[i])
    }

    /// The column named `name`, if any.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.find(name).ok()
    }

    /// The values of a numeric column; an error if it does not exist or is categorical. The
    /// error for a categorical column names the line and text of its first cell that is not a
    /// number.
    pub fn numeric(&self, name: &str) -> Result<&[f64], DataError> {
        let i = self.position(name)?;
        match &self.columns[i] {
            Column::Numeric(v) => Ok(v),
            Column::Categorical(_) => Err(match &self.first_text[i] {
                Some((line, text)) => DataError::malformed_at(
                    &self.source,
                    format!("line {line}, column {name:?}"),
                    format!("a numeric column {name:?}"),
                    format!(
                        "a categorical column: its first cell that is not a number is {text:?}; fix that cell, \
                         add its text to CsvOptions::missing_markers if it means \"missing\", or leave the \
                         column out"
                    ),
                ),
                // Declared categorical although every cell is a number.
                None => DataError::malformed(
                    &self.source,
                    format!("a numeric column {name:?}"),
                    "a categorical column (declared with CsvOptions::column_type; declare it numeric instead)",
                ),
            }),
        }
    }

    /// The values of a categorical column; an error if it does not exist or is numeric.
    pub fn categorical(&self, name: &str) -> Result<&[Option<String>], DataError> {
        match self.find(name)? {
            Column::Categorical(v) => Ok(v),
            Column::Numeric(_) => Err(DataError::malformed(
                &self.source,
                format!("a categorical column {name:?}"),
                "a numeric column (declare it with CsvOptions::column_type)",
            )),
        }
    }

    /// The named numeric columns side by side as a `[rows, names.len()]` tensor (`NaN` where
    /// missing; impute before training).
    pub fn to_tensor(&self, names: &[&str]) -> Result<Tensor<f64>, DataError> {
        let cols = names.iter().map(|n| self.numeric(n)).collect::<Result<Vec<_>, _>>()?;
        let mut out = Vec::with_capacity(self.rows * cols.len());
        for r in 0..self.rows {
            out.extend(cols.iter().map(|c| c[r]));
        }
        Ok(Tensor::from_vec(out, [self.rows, cols.len()]))
    }

    /// The names of all numeric columns, in file order.
    pub fn numeric_names(&self) -> Vec<&str> {
        self.names
            .iter()
            .zip(&self.columns)
            .filter(|(_, c)| matches!(c, Column::Numeric(_)))
            .map(|(n, _)| n.as_str())
            .collect()
    }
}
