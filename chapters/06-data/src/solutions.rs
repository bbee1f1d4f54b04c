//! Chapter 6: reference answers to the exercises in `exercises.rs`. The tests run
//! against these unless you pass `--features learner`.

/// Exercise 6.1.
#[derive(Clone, Debug, Default)]
pub struct MinMax {
    pub min: Vec<f64>,
    pub max: Vec<f64>,
}

impl MinMax {
    pub fn fit(rows: &[Vec<f64>]) -> MinMax {
        let cols = rows.first().map_or(0, Vec::len);
        let mut fitted = MinMax {
            min: vec![f64::INFINITY; cols],
            max: vec![f64::NEG_INFINITY; cols],
        };
        for row in rows {
            for (c, &v) in row.iter().enumerate() {
                fitted.min[c] = fitted.min[c].min(v);
                fitted.max[c] = fitted.max[c].max(v);
            }
        }
        fitted
    }

    pub fn transform(&self, rows: &[Vec<f64>]) -> Vec<Vec<f64>> {
        rows.iter()
            .map(|row| {
                row.iter()
                    .enumerate()
                    .map(|(c, &v)| {
                        let range = self.max[c] - self.min[c];
                        if range > 0.0 {
                            (v - self.min[c]) / range
                        } else {
                            0.0
                        }
                    })
                    .collect()
            })
            .collect()
    }
}

/// Exercise 6.2.
pub fn k_fold_indices(n: usize, k: usize) -> Vec<(Vec<usize>, Vec<usize>)> {
    let mut folds = Vec::with_capacity(k);
    let mut start = 0;
    for j in 0..k {
        let size = n / k + usize::from(j < n % k);
        let test: Vec<usize> = (start..start + size).collect();
        let train = (0..start).chain(start + size..n).collect();
        folds.push((train, test));
        start += size;
    }
    folds
}

/// Exercise 6.3.
pub fn one_hot(values: &[&str]) -> (Vec<String>, Vec<Vec<f32>>) {
    let mut categories: Vec<String> = Vec::new();
    for v in values {
        if !categories.iter().any(|c| c == v) {
            categories.push(v.to_string());
        }
    }
    let rows = values
        .iter()
        .map(|v| {
            categories.iter().map(|c| if c == v { 1.0 } else { 0.0 }).collect()
        })
        .collect();
    (categories, rows)
}

/// Exercise 6.4.
pub fn epoch_batches(
    n: usize,
    batch_size: usize,
    seed: u64,
    epoch: u64,
    drop_last: bool,
) -> Vec<Vec<usize>> {
    let order = kindling_data::epoch_rng(seed, epoch).permutation(n);
    order
        .chunks(batch_size)
        .filter(|b| !drop_last || b.len() == batch_size)
        .map(<[usize]>::to_vec)
        .collect()
}

/// Exercise 6.5.
pub fn fit_means(train: &[Vec<f64>]) -> Vec<f64> {
    let cols = train.first().map_or(0, Vec::len);
    (0..cols)
        .map(|c| {
            let present: Vec<f64> =
                train.iter().map(|r| r[c]).filter(|v| !v.is_nan()).collect();
            present.iter().sum::<f64>() / present.len() as f64
        })
        .collect()
}

pub fn impute(rows: &[Vec<f64>], means: &[f64]) -> Vec<Vec<f64>> {
    rows.iter()
        .map(|row| {
            row.iter()
                .zip(means)
                .map(|(&v, &m)| if v.is_nan() { m } else { v })
                .collect()
        })
        .collect()
}

/// Exercise 6.6.
pub fn split_sizes(n: usize, ratios: [f64; 3]) -> [usize; 3] {
    let exact = ratios.map(|r| r * n as f64);
    let mut sizes = exact.map(|e| (e + 1e-9).floor() as usize);
    let mut order = [0, 1, 2];
    // Largest remainder first; a stable sort keeps the earlier part first on a tie.
    order.sort_by(|&a, &b| {
        (exact[b] - sizes[b] as f64).total_cmp(&(exact[a] - sizes[a] as f64))
    });
    let left = n.saturating_sub(sizes.iter().sum::<usize>());
    for &part in order.iter().cycle().take(left) {
        sizes[part] += 1;
    }
    sizes
}
