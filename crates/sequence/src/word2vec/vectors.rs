//! Trained word vectors: look-ups, cosine queries, analogies, a 2-D PCA projection, and the
//! word2vec text format.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// Words and their vectors (`[len, dim]`, row-major f32), in training order (most frequent
/// word first), with each row's Euclidean norm cached for cosine queries. Norms and dot
/// products are summed in f64: any finite f32 values (squares up to 1.2e77, down to 2e-90) give
/// a cosine in [-1, 1], where f32 sums overflow (1e20² is inf, so cosines were NaN) or lose
/// the digits of subnormal squares.
#[derive(Clone, Debug, PartialEq)]
pub struct WordVectors {
    words: Vec<String>,
    vectors: Vec<f32>,
    dim: usize,
    norms: Vec<f64>,
    index: HashMap<String, usize>,
}

/// A vectors file that could not be read or written.
#[derive(Debug)]
pub enum WordVectorsError {
    /// The file system refused (missing file, no permission, full disk).
    Io {
        /// The file.
        path: PathBuf,
        /// What the system said.
        source: std::io::Error,
    },
    /// The text is not in the word2vec text format, or a word cannot be written in it.
    Format {
        /// The file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong there.
        message: String,
    },
}

impl fmt::Display for WordVectorsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WordVectorsError::Io { path, source } => write!(f, "word vectors file {}: {source}", path.display()),
            WordVectorsError::Format { path, line, message } => write!(
                f,
                "{}:{line}: {message} (the word2vec text format is a line \"count dim\", then one line per \
                 word: the word and dim numbers, separated by spaces)",
                path.display()
            ),
        }
    }
}

impl std::error::Error for WordVectorsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            WordVectorsError::Io { source, .. } => Some(source),
            WordVectorsError::Format { .. } => None,
        }
    }
}

impl WordVectors {
    /// Wraps `words.len()` rows of `dim` values. Panics if the sizes disagree, `dim` is 0 or
    /// a word repeats.
    pub fn new(words: Vec<String>, vectors: Vec<f32>, dim: usize) -> WordVectors {
        assert!(
            dim > 0 && vectors.len() == words.len() * dim,
            "WordVectors::new: {} words of dim {dim} need {} values, got {}",
            words.len(),
            words.len() * dim,
            vectors.len()
        );
        let mut index = HashMap::with_capacity(words.len());
        for (i, w) in words.iter().enumerate() {
            if let Some(first) = index.insert(w.clone(), i) {
                panic!("WordVectors::new: the word {w:?} appears twice (rows {first} and {i})");
            }
        }
        let norms = vectors.chunks_exact(dim).map(norm).collect();
        WordVectors { words, vectors, dim, norms, index }
    }

    /// The number of words.
    pub fn len(&self) -> usize {
        self.words.len()
    }

    /// Whether there are no words.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// The vector length.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// The words, in row order.
    pub fn words(&self) -> &[String] {
        &self.words
    }

    /// All vectors, `[len, dim]` row-major.
    pub fn vectors(&self) -> &[f32] {
        &self.vectors
    }

    /// Whether `word` has a vector.
    pub fn contains(&self, word: &str) -> bool {
        self.index.contains_key(word)
    }

    /// The vector of `word`, if it has one.
    pub fn get(&self, word: &str) -> Option<&[f32]> {
        self.index.get(word).map(|&i| self.row(i))
    }

    fn row(&self, i: usize) -> &[f32] {
        &self.vectors[i * self.dim..(i + 1) * self.dim]
    }

    fn id(&self, word: &str, caller: &str) -> usize {
        match self.index.get(word) {
            Some(&i) => i,
            None => panic!("WordVectors::{caller}: {word:?} is not among the {} words", self.words.len()),
        }
    }

    /// The cosine of the angle between the vectors of `a` and `b` (0 if either is all zero).
    /// Panics if either word is unknown (check with [`WordVectors::contains`]).
    pub fn similarity(&self, a: &str, b: &str) -> f32 {
        let (i, j) = (self.id(a, "similarity"), self.id(b, "similarity"));
        cosine(self.row(i), self.norms[i], self.row(j), self.norms[j])
    }

    /// The `k` words whose vectors have the largest cosine with `word`'s, best first, the
    /// word itself left out (gensim's `most_similar`). Panics if the word is unknown.
    pub fn most_similar(&self, word: &str, k: usize) -> Vec<(String, f32)> {
        let i = self.id(word, "most_similar");
        self.nearest(self.row(i), k, &[i])
    }

    /// The `k` words nearest by cosine to an arbitrary `vector`, leaving out the words in
    /// `exclude`. Panics if `vector` does not have `dim` values.
    pub fn most_similar_to_vector(&self, vector: &[f32], k: usize, exclude: &[&str]) -> Vec<(String, f32)> {
        assert_eq!(
            vector.len(),
            self.dim,
            "WordVectors::most_similar_to_vector: the query has {} values, the vectors {}",
            vector.len(),
            self.dim
        );
        let skip: Vec<usize> = exclude.iter().filter_map(|w| self.index.get(*w).copied()).collect();
        self.nearest(vector, k, &skip)
    }

    /// "a is to b as c is to ?": the `k` words nearest by cosine to b̂ − â + ĉ (unit vectors;
    /// gensim's 3CosAdd, `most_similar(positive=[b, c], negative=[a])`), leaving out a, b
    /// and c. Panics if a word is unknown.
    pub fn analogy(&self, a: &str, b: &str, c: &str, k: usize) -> Vec<(String, f32)> {
        let ids = [self.id(a, "analogy"), self.id(b, "analogy"), self.id(c, "analogy")];
        let mut query = vec![0.0f32; self.dim];
        for (&i, sign) in ids.iter().zip([-1.0f32, 1.0, 1.0]) {
            let scale = if self.norms[i] > 0.0 { f64::from(sign) / self.norms[i] } else { 0.0 };
            for (q, &x) in query.iter_mut().zip(self.row(i)) {
                *q += (scale * f64::from(x)) as f32;
            }
        }
        self.nearest(&query, k, &ids)
    }

    fn nearest(&self, query: &[f32], k: usize, skip: &[usize]) -> Vec<(String, f32)> {
        let qn = norm(query);
        let mut scored: Vec<(usize, f32)> = (0..self.len())
            .filter(|i| !skip.contains(i))
            .map(|i| (i, cosine(query, qn, self.row(i), self.norms[i])))
            .collect();
        // Ties keep row order (more frequent word first), so results are reproducible.
        scored.sort_by(|x, y| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0)));
        scored.into_iter().take(k).map(|(i, s)| (self.words[i].clone(), s)).collect()
    }

    /// Projects the vectors of `words` onto their first two principal components (PCA): the
    /// vectors are centred, and the two directions of largest variance are found by power
    /// iteration on the covariance, the second after deflating the first. Deterministic: a
    /// fixed start vector, and each direction's sign chosen so its largest entry is positive.
    /// Panics if a word is unknown or fewer than two words are given.
    pub fn project_2d<S: AsRef<str>>(&self, words: &[S]) -> Vec<(f32, f32)> {
        assert!(words.len() >= 2, "WordVectors::project_2d: need at least 2 words, got {}", words.len());
        let d = self.dim;
        let rows: Vec<Vec<f64>> = words
            .iter()
            .map(|w| self.row(self.id(w.as_ref(), "project_2d")).iter().map(|&x| x as f64).collect())
            .collect();
        let n = rows.len() as f64;
        let mean: Vec<f64> = (0..d).map(|k| rows.iter().map(|r| r[k]).sum::<f64>() / n).collect();
        let centred: Vec<Vec<f64>> = rows.iter().map(|r| r.iter().zip(&mean).map(|(x, m)| x - m).collect()).collect();
        let first = principal_direction(&centred, None);
        let second = principal_direction(&centred, Some(&first));
        let project = |r: &[f64], u: &[f64]| r.iter().zip(u).map(|(x, y)| x * y).sum::<f64>() as f32;
        centred.iter().map(|r| (project(r, &first), project(r, &second))).collect()
    }

    /// Writes the word2vec text format (gensim's `save_word2vec_format(binary=False)`):
    /// a line "count dim", then per word the word and its values, separated by spaces. The
    /// file is replaced all at once (a temporary file, then a rename).
    pub fn save_text(&self, path: impl AsRef<Path>) -> Result<(), WordVectorsError> {
        let path = path.as_ref();
        if let Some(i) = self.words.iter().position(|w| w.is_empty() || w.contains(char::is_whitespace)) {
            return Err(WordVectorsError::Format {
                path: path.to_path_buf(),
                line: i + 2,
                message: format!(
                    "the word {:?} is empty or holds whitespace, which the format cannot store",
                    self.words[i]
                ),
            });
        }
        kindling_tensor::io::write_atomic_with(path, |out| {
            writeln!(out, "{} {}", self.len(), self.dim)?;
            for (word, v) in self.words.iter().zip(self.vectors.chunks_exact(self.dim)) {
                write!(out, "{word}")?;
                for x in v {
                    // `{}` prints the shortest text that reads back to the same f32.
                    write!(out, " {x}")?;
                }
                writeln!(out)?;
            }
            Ok(())
        })
        .map_err(|source| WordVectorsError::Io { path: path.to_path_buf(), source })
    }

    /// Reads the word2vec text format (as gensim's `save_word2vec_format` writes it). An error
    /// names the file and the line: a header that is not two numbers or has dimension 0, a
    /// value that is not a number or not finite (NaN, inf, 1e39: every cosine with it would be
    /// NaN, and NaN sorts first), a row with the wrong number of values, a word given twice, or a word
    /// count that differs from the header's. Memory is reserved for what the file holds, never
    /// for what its header claims.
    pub fn load_text(path: impl AsRef<Path>) -> Result<WordVectors, WordVectorsError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path)
            .map_err(|source| WordVectorsError::Io { path: path.to_path_buf(), source })?;
        let bad = |line: usize, message: String| WordVectorsError::Format { path: path.to_path_buf(), line, message };
        let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l));
        let (_, header) = lines.next().ok_or_else(|| bad(1, "the file is empty".into()))?;
        let sizes: Vec<usize> = header.split_whitespace().map(str::parse).collect::<Result<_, _>>().map_err(|_| {
            bad(1, format!("the header {header:?} should be two whole numbers, the word count and the dimension"))
        })?;
        let [count, dim] = sizes[..] else {
            return Err(bad(
                1,
                format!("the header {header:?} should be two numbers, the word count and the dimension"),
            ));
        };
        if dim == 0 {
            return Err(bad(1, "the dimension is 0".into()));
        }
        // The header is a claim, not a size to trust: reserve only what the text can hold (a
        // line per word, at least two characters per value), so "1000000000000 300" is an
        // error at the end instead of an allocation of terabytes at the start.
        let rows = count.min(text.lines().count().saturating_sub(1));
        let mut words = Vec::with_capacity(rows);
        let mut vectors = Vec::with_capacity(rows.saturating_mul(dim).min(text.len() / 2));
        let mut seen = std::collections::HashSet::new();
        for (number, line) in lines {
            if line.trim().is_empty() {
                continue;
            }
            let mut fields = line.split_whitespace();
            let word = fields.next().unwrap_or_default();
            let before = vectors.len();
            for field in fields {
                let x: f32 = field.parse().map_err(|_| bad(number, format!("{field:?} is not a number")))?;
                if !x.is_finite() {
                    return Err(bad(number, format!("the word {word:?} has the value {field:?}, which is not finite")));
                }
                vectors.push(x);
            }
            if vectors.len() - before != dim {
                return Err(bad(
                    number,
                    format!("the word {word:?} has {} values, the header says {dim}", vectors.len() - before),
                ));
            }
            if !seen.insert(word.to_string()) {
                return Err(bad(number, format!("the word {word:?} appears a second time")));
            }
            words.push(word.to_string());
        }
        if words.len() != count {
            return Err(bad(1, format!("the header announces {count} words, the file has {}", words.len())));
        }
        Ok(WordVectors::new(words, vectors, dim))
    }
}

/// The Euclidean length of `v`, summed in f64.
fn norm(v: &[f32]) -> f64 {
    v.iter().map(|&x| f64::from(x) * f64::from(x)).sum::<f64>().sqrt()
}

fn cosine(a: &[f32], a_norm: f64, b: &[f32], b_norm: f64) -> f32 {
    if a_norm == 0.0 || b_norm == 0.0 {
        return 0.0;
    }
    (a.iter().zip(b).map(|(&x, &y)| f64::from(x) * f64::from(y)).sum::<f64>() / (a_norm * b_norm)) as f32
}

/// The top eigenvector of the covariance of `rows` (centred), orthogonal to `deflate` if
/// given: power iteration v ← Xᵀ X v, normalised, until it stops turning.
fn principal_direction(rows: &[Vec<f64>], deflate: Option<&[f64]>) -> Vec<f64> {
    let d = rows[0].len();
    let remove = |v: &mut Vec<f64>| {
        if let Some(u) = deflate {
            let along: f64 = v.iter().zip(u).map(|(x, y)| x * y).sum();
            v.iter_mut().zip(u).for_each(|(x, y)| *x -= along * y);
        }
    };
    let normalise = |v: &mut Vec<f64>| {
        let n = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        if n > 0.0 {
            v.iter_mut().for_each(|x| *x /= n);
        }
    };
    // A fixed start with no special alignment to any axis or to the data.
    let mut v: Vec<f64> = (0..d).map(|k| 1.0 + (k as f64 * 0.618_033_988_7).fract()).collect();
    remove(&mut v);
    normalise(&mut v);
    for _ in 0..1000 {
        let mut next = vec![0.0; d];
        for r in rows {
            let along: f64 = r.iter().zip(&v).map(|(x, y)| x * y).sum();
            next.iter_mut().zip(r).for_each(|(n, x)| *n += along * x);
        }
        remove(&mut next);
        normalise(&mut next);
        let change: f64 = next.iter().zip(&v).map(|(a, b)| (a - b).abs()).sum();
        v = next;
        if change < 1e-12 {
            break;
        }
    }
    let largest = v.iter().copied().fold(0.0f64, |m, x| if x.abs() > m.abs() { x } else { m });
    if largest < 0.0 {
        v.iter_mut().for_each(|x| *x = -*x);
    }
    v
}
