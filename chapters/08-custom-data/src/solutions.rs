//! Chapter 8: reference answers to the exercises in `exercises.rs`. The tests run
//! against these unless you pass `--features learner`.

use kindling_tensor::{Rng, Tensor};
use std::path::Path;

/// Exercise 8.1.
pub fn hflip(img: &Tensor<f32>) -> Tensor<f32> {
    let shape = img.shape().to_vec();
    let (c, h, w) = (shape[0], shape[1], shape[2]);
    let v = img.contiguous().to_vec();
    let mut out = Vec::with_capacity(v.len());
    for row in 0..c * h {
        out.extend(v[row * w..(row + 1) * w].iter().rev());
    }
    Tensor::from_vec(out, shape)
}

/// Exercise 8.2.
pub fn normalize(img: &Tensor<f32>, mean: &[f32], std: &[f32]) -> Tensor<f32> {
    let shape = img.shape().to_vec();
    let plane = shape[1] * shape[2];
    let mut v = img.contiguous().to_vec();
    for (c, channel) in v.chunks_mut(plane).enumerate() {
        channel.iter_mut().for_each(|x| *x = (*x - mean[c]) / std[c]);
    }
    Tensor::from_vec(v, shape)
}

/// Exercise 8.2, continued.
pub fn channel_stats(images: &[Tensor<f32>]) -> (Vec<f32>, Vec<f32>) {
    let c = images[0].shape()[0];
    let (mut sum, mut sq, mut count) = (vec![0.0f64; c], vec![0.0f64; c], 0usize);
    for img in images {
        let plane = img.shape()[1] * img.shape()[2];
        for (ch, values) in img.contiguous().to_vec().chunks(plane).enumerate() {
            for &x in values {
                sum[ch] += x as f64;
                sq[ch] += (x as f64) * (x as f64);
            }
        }
        count += plane;
    }
    let mean: Vec<f64> = sum.iter().map(|s| s / count as f64).collect();
    let std = sq
        .iter()
        .zip(&mean)
        .map(|(q, m)| ((q / count as f64 - m * m).max(0.0)).sqrt() as f32)
        .collect();
    (mean.into_iter().map(|m| m as f32).collect(), std)
}

/// Exercise 8.3.
pub fn random_crop(
    img: &Tensor<f32>,
    size: (usize, usize),
    rng: &mut Rng,
) -> (Tensor<f32>, usize, usize) {
    let (h, w) = (img.shape()[1], img.shape()[2]);
    let top = rng.below((h - size.0 + 1) as u64) as usize;
    let left = rng.below((w - size.1 + 1) as u64) as usize;
    let crop = img.narrow(1, top, size.0).narrow(2, left, size.1).contiguous();
    (crop, top, left)
}

/// Exercise 8.4.
pub fn class_counts(root: &Path) -> std::io::Result<Vec<(String, usize)>> {
    let mut counts = Vec::new();
    for entry in std::fs::read_dir(root)? {
        let entry = entry?;
        if !entry.file_type()?.is_dir() {
            continue;
        }
        let mut n = 0;
        for file in std::fs::read_dir(entry.path())? {
            let path = file?.path();
            let ext = path
                .extension()
                .and_then(|e| e.to_str())
                .map(str::to_ascii_lowercase);
            if matches!(ext.as_deref(), Some("png" | "jpg" | "jpeg")) {
                n += 1;
            }
        }
        counts.push((entry.file_name().to_string_lossy().into_owned(), n));
    }
    counts.sort();
    Ok(counts)
}

/// Exercise 8.5.
pub fn stratified_split(
    labels: &[i64],
    test_fraction: f64,
    seed: u64,
) -> (Vec<usize>, Vec<usize>) {
    let classes = labels.iter().copied().max().map_or(0, |m| m as usize + 1);
    let mut by_class = vec![Vec::new(); classes];
    for (i, &y) in labels.iter().enumerate() {
        by_class[y as usize].push(i);
    }
    let mut rng = Rng::seed(seed);
    let (mut train, mut test) = (Vec::new(), Vec::new());
    for mut members in by_class {
        rng.shuffle(&mut members);
        let n_test = (members.len() as f64 * test_fraction).round() as usize;
        test.extend_from_slice(&members[..n_test]);
        train.extend_from_slice(&members[n_test..]);
    }
    train.sort_unstable();
    test.sort_unstable();
    (train, test)
}
