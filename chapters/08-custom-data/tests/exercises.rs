//! The checks of chapter 8's exercises. `cargo test -p ch08-custom-data --features
//! learner` runs them against your `src/exercises.rs`; without the feature, against
//! the solutions. Every test name starts with its exercise number (`ex8_3_...`
//! checks exercise 8.3).
//!
//! Tiny synthetic images only: the tests run in well under a second.

use ch08_custom_data::checked::*;
use kindling_tensor::{Rng, Tensor};
use kindling_vision::folder::{ImageFolder, OnError};
use kindling_vision::image::save_png;
use kindling_vision::transforms::functional;

fn image(c: usize, h: usize, w: usize, seed: u64) -> Tensor<f32> {
    Tensor::<f32>::rand([c, h, w], &mut Rng::seed(seed))
}

#[test]
fn ex8_1_horizontal_flip() {
    let img =
        Tensor::from_vec((0..12).map(|v| v as f32).collect::<Vec<_>>(), [2, 2, 3]);
    assert_eq!(
        hflip(&img).to_vec(),
        vec![2., 1., 0., 5., 4., 3., 8., 7., 6., 11., 10., 9.]
    );
    let img = image(3, 5, 7, 1);
    assert_eq!(hflip(&img).shape(), &[3, 5, 7]);
    assert_eq!(
        hflip(&img).to_vec(),
        functional::hflip(&img).to_vec(),
        "same as kindling's hflip"
    );
    assert_eq!(
        hflip(&hflip(&img)).to_vec(),
        img.to_vec(),
        "flipping twice gives the image back"
    );
}

#[test]
fn ex8_2_normalize_per_channel() {
    let img = image(3, 4, 5, 2);
    let (mean, std) = ([0.5, 0.4, 0.3], [0.2, 0.25, 0.5]);
    let mine = normalize(&img, &mean, &std).to_vec();
    let theirs = kindling_vision::image::normalize(&img, &mean, &std).to_vec();
    for (a, b) in mine.iter().zip(&theirs) {
        assert!((a - b).abs() < 1e-6, "{a} vs {b}");
    }
}

#[test]
fn ex8_2_channel_statistics() {
    // Channel 0 holds 0 and 1 (mean 0.5, std 0.5); channel 1 is constant 0.25.
    let a =
        Tensor::from_vec(vec![0., 1., 0., 1., 0.25, 0.25, 0.25, 0.25], [2, 2, 2]);
    let b =
        Tensor::from_vec(vec![1., 0., 1., 0., 0.25, 0.25, 0.25, 0.25], [2, 2, 2]);
    let (mean, std) = channel_stats(&[a.clone(), b.clone()]);
    assert!(
        (mean[0] - 0.5).abs() < 1e-6 && (mean[1] - 0.25).abs() < 1e-6,
        "means {mean:?}"
    );
    assert!(
        (std[0] - 0.5).abs() < 1e-6 && std[1].abs() < 1e-6,
        "standard deviations {std:?}"
    );
    // After normalising with them, a random set has mean 0 and std 1 per channel.
    let set: Vec<Tensor<f32>> = (0..4).map(|s| image(3, 6, 6, 10 + s)).collect();
    let (mean, std) = channel_stats(&set);
    let normed: Vec<Tensor<f32>> =
        set.iter().map(|x| normalize(x, &mean, &std)).collect();
    let (m2, s2) = channel_stats(&normed);
    for c in 0..3 {
        assert!(
            m2[c].abs() < 1e-4 && (s2[c] - 1.0).abs() < 1e-4,
            "channel {c}: mean {} std {}",
            m2[c],
            s2[c]
        );
    }
}

#[test]
fn ex8_3_seeded_random_crop() {
    let img = image(3, 10, 12, 3);
    let (crop, top, left) = random_crop(&img, (4, 5), &mut Rng::seed(7));
    assert_eq!(crop.shape(), &[3, 4, 5]);
    let mut rng = Rng::seed(7);
    let (t, l) = (rng.below(7) as usize, rng.below(8) as usize);
    assert_eq!(
        (top, left),
        (t, l),
        "top from below(h − height + 1), then left from below(w − width + 1)"
    );
    assert_eq!(
        crop.to_vec(),
        functional::crop(&img, top as isize, left as isize, 4, 5).to_vec()
    );
    let again = random_crop(&img, (4, 5), &mut Rng::seed(7));
    assert_eq!(
        (again.1, again.2),
        (top, left),
        "the same seed gives the same crop"
    );
    // Every position is reachable, and a full-size crop is the image.
    let mut seen = std::collections::HashSet::new();
    let mut rng = Rng::seed(1);
    for _ in 0..400 {
        let (_, t, l) = random_crop(&img, (9, 11), &mut rng);
        seen.insert((t, l));
    }
    assert_eq!(seen.len(), 4, "a 9×11 crop of a 10×12 image has 4 positions");
    assert_eq!(random_crop(&img, (10, 12), &mut rng).0.to_vec(), img.to_vec());
}

#[test]
fn ex8_4_class_counts_of_a_folder() {
    let root = std::env::temp_dir()
        .join(format!("kindling-ch08-ex8_4-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&root);
    let layout = [("cat", 3), ("dog", 1), ("ant", 2)];
    for (k, (class, n)) in layout.iter().enumerate() {
        std::fs::create_dir_all(root.join(class)).unwrap();
        for i in 0..*n {
            save_png(
                &image(3, 4, 4, (10 * k + i) as u64),
                root.join(class).join(format!("img{i}.png")),
            )
            .unwrap();
        }
    }
    std::fs::write(root.join("cat").join("notes.txt"), "not an image").unwrap();
    std::fs::write(root.join("README"), "a file at the top").unwrap();
    let folder = ImageFolder::open(&root, OnError::Fail).unwrap();
    let counts = std::panic::catch_unwind(|| class_counts(&root));
    std::fs::remove_dir_all(&root).unwrap(); // clean up before reporting a failure
    let counts = counts.unwrap_or_else(|e| std::panic::resume_unwind(e)).unwrap();
    assert_eq!(
        counts,
        vec![
            ("ant".to_string(), 2),
            ("cat".to_string(), 3),
            ("dog".to_string(), 1)
        ]
    );
    let names: Vec<String> = counts.iter().map(|(c, _)| c.clone()).collect();
    assert_eq!(
        names,
        folder.classes(),
        "the same classes, in the same order, as ImageFolder"
    );
    for (label, (_, n)) in counts.iter().enumerate() {
        let theirs =
            folder.samples().iter().filter(|(_, y)| *y == label as i64).count();
        assert_eq!(*n, theirs, "class {label}");
    }
}

#[test]
fn ex8_5_stratified_split() {
    let labels: Vec<i64> = (0..103).map(|i| [0, 0, 1, 2, 2, 2][i % 6]).collect();
    let (train, test) = stratified_split(&labels, 0.2, 5);
    assert_eq!(train.len() + test.len(), labels.len());
    let mut all: Vec<usize> = train.iter().chain(&test).copied().collect();
    all.sort_unstable();
    assert_eq!(
        all,
        (0..labels.len()).collect::<Vec<_>>(),
        "every index exactly once"
    );
    assert!(
        train.windows(2).all(|w| w[0] < w[1])
            && test.windows(2).all(|w| w[0] < w[1]),
        "sorted"
    );
    for c in 0..3 {
        let n = labels.iter().filter(|&&y| y == c).count();
        let in_test = test.iter().filter(|&&i| labels[i] == c).count();
        assert_eq!(
            in_test,
            (n as f64 * 0.2).round() as usize,
            "class {c}: {n} samples"
        );
    }
    assert_eq!(
        stratified_split(&labels, 0.2, 5),
        (train.clone(), test.clone()),
        "a seed fixes the split"
    );
    assert_ne!(
        stratified_split(&labels, 0.2, 6).1,
        test,
        "another seed, another split"
    );
    // The library's version in the chapter crate follows the same recipe.
    assert_eq!(ch08_custom_data::split_per_class(&labels, 0.2, 5), (train, test));
}
