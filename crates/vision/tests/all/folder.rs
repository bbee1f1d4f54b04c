//! Decoding and the image-folder dataset: generated PNG/JPEG files in a temporary folder
//! (with a file that is not an image and a truncated one), skip-or-fail policies, seeded
//! augmentation through a DataLoader, and the real Sign Language Digits folder when
//! `KINDLING_DATASETS` is set.

use crate::TempDir;
use kindling_data::{DataLoader, Dataset};
use kindling_tensor::{Rng, Tensor};
use kindling_vision::folder::{Augmented, FolderError, ImageFolder, OnError};
use kindling_vision::image::{self, ColorMode};
use kindling_vision::transforms::{Compose, HorizontalFlip, Resize, TrivialAugmentWide};
use std::path::PathBuf;

/// root/{cat,dog}/ with 3 + 2 PNGs of different sizes, a JPEG, a text file, and optionally a
/// garbage ".png" and a truncated PNG. (An empty class folder is an error: see
/// damaged_images.rs.)
fn make_folder(name: &str, bad: bool) -> TempDir {
    let tmp = TempDir::new(name);
    let mut rng = Rng::seed(1);
    for (class, count) in [("cat", 3), ("dog", 2)] {
        let dir = tmp.0.join(class);
        std::fs::create_dir_all(&dir).unwrap();
        for i in 0..count {
            let img = Tensor::<f32>::rand([3, 5 + i, 7 + 2 * i], &mut rng);
            image::save_png(&img, dir.join(format!("{i}.png"))).unwrap();
        }
    }
    let gray = Tensor::<f32>::rand([1, 8, 8], &mut rng);
    image::save_png(&gray, tmp.0.join("dog/gray.PNG")).unwrap();
    let pixels: Vec<u8> = (0..6 * 4 * 3).map(|i| (i * 7 % 256) as u8).collect();
    ::image::save_buffer_with_format(
        tmp.0.join("dog/photo.jpg"),
        &pixels,
        6,
        4,
        ::image::ExtendedColorType::Rgb8,
        ::image::ImageFormat::Jpeg,
    )
    .unwrap();
    std::fs::write(tmp.0.join("cat/notes.txt"), "not an image").unwrap();
    if bad {
        std::fs::write(tmp.0.join("cat/garbage.png"), b"this is not a png at all").unwrap();
        let good = std::fs::read(tmp.0.join("cat/0.png")).unwrap();
        std::fs::write(tmp.0.join("dog/truncated.png"), &good[..good.len() / 2]).unwrap();
    }
    tmp
}

#[test]
fn png_round_trip_and_decoding() {
    let tmp = TempDir::new("roundtrip");
    let img = Tensor::<f32>::rand([3, 4, 6], &mut Rng::seed(2));
    let path = tmp.0.join("x.png");
    image::save_png(&img, &path).unwrap();
    let back = image::load(&path, ColorMode::Rgb).unwrap();
    assert_eq!(back.shape(), [3, 4, 6]);
    let worst = img.to_vec().iter().zip(back.to_vec()).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
    assert!(worst <= 0.5 / 255.0 + 1e-6, "8-bit rounding only: {worst}");
    assert_eq!(image::load(&path, ColorMode::Gray).unwrap().shape(), [1, 4, 6]);
    assert_eq!(image::dimensions(&path).unwrap(), (6, 4));
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(image::decode(&bytes, ColorMode::Rgb).unwrap().to_vec(), back.to_vec());
    let err = image::decode(b"nope", ColorMode::Rgb).unwrap_err();
    assert!(err.to_string().starts_with("cannot decode image"), "{err}");
    let err = image::load(tmp.0.join("missing.png"), ColorMode::Rgb).unwrap_err();
    assert!(err.to_string().contains("missing.png"), "{err}");
    // A failed save names the file and leaves what was there whole, with no temporary file.
    std::fs::create_dir(tmp.0.join("taken.png")).unwrap();
    let err = image::save_png(&img, tmp.0.join("taken.png")).unwrap_err();
    assert!(err.to_string().starts_with(&format!("cannot write image {}", tmp.0.join("taken.png").display())), "{err}");
    let mut names: Vec<_> = std::fs::read_dir(&tmp.0).unwrap().map(|e| e.unwrap().file_name()).collect();
    names.sort();
    assert_eq!(names, ["taken.png", "x.png"]);
    // Interleaved bytes ↔ [C, H, W].
    let t = image::from_interleaved(&[255, 0, 0, 0, 255, 0], 1, 2, 3);
    assert_eq!(t.to_vec(), [1.0, 0.0, 0.0, 1.0, 0.0, 0.0]);
    assert_eq!(image::to_interleaved(&t), [255, 0, 0, 0, 255, 0]);
}

#[test]
fn image_folder_lists_classes_and_reads_samples() {
    let tmp = make_folder("clean", false);
    let folder = ImageFolder::open(&tmp.0, OnError::Fail).unwrap();
    assert_eq!(folder.classes(), ["cat", "dog"], "sorted");
    assert_eq!(folder.len(), 3 + 4);
    let labels: Vec<i64> = folder.samples().iter().map(|(_, l)| *l).collect();
    assert_eq!(labels, [0, 0, 0, 1, 1, 1, 1]);
    let (img, label) = folder.get(1);
    assert_eq!((img.shape(), label), ([3, 6, 9].as_slice(), 0));
    let (gray, _) = folder.get(5); // dog/gray.PNG, sorted after 1.png
    assert_eq!(gray.shape(), [3, 8, 8], "grayscale files become RGB");
    let (jpg, _) = folder.get(6);
    assert_eq!(jpg.shape(), [3, 4, 6]);
    assert!(folder.skipped().is_empty());
    let gray_folder = ImageFolder::open(&tmp.0, OnError::Fail).unwrap().color_mode(ColorMode::Gray);
    assert_eq!(gray_folder.get(0).0.shape()[0], 1);
}

#[test]
fn corrupt_images_fail_or_are_skipped_by_path() {
    let tmp = make_folder("corrupt", true);
    // Fail: opening lists the file that is not an image at all.
    match ImageFolder::open(&tmp.0, OnError::Fail) {
        Err(FolderError::BadImages(errors)) => {
            assert_eq!(errors.len(), 1, "{errors:?}");
            assert!(errors[0].to_string().contains("garbage.png"), "{}", errors[0]);
        }
        Err(other) => panic!("unexpected error {other}"),
        Ok(_) => panic!("a garbage file must fail"),
    }
    // A full check also catches the truncated file.
    let err = ImageFolder::open_verified(&tmp.0, OnError::Fail).err().expect("corrupt files");
    let text = err.to_string();
    assert!(
        text.contains("garbage.png") && text.contains("truncated.png") && text.starts_with("2 unreadable"),
        "{text}"
    );
    let verified = ImageFolder::open_verified(&tmp.0, OnError::Skip).unwrap();
    assert_eq!(verified.len(), 7);
    assert_eq!(verified.skipped().len(), 2);

    // Skip: the header check leaves out the garbage; the truncated file is met while reading.
    let folder = ImageFolder::open(&tmp.0, OnError::Skip).unwrap();
    assert_eq!(folder.len(), 8);
    assert_eq!(folder.skipped().len(), 1);
    let truncated = folder.samples().iter().position(|(p, _)| p.ends_with("truncated.png")).unwrap();
    assert!(folder.try_get(truncated).is_err());
    let (img, _) = folder.get(truncated);
    assert_eq!(img.shape()[0], 3, "the next readable image stands in");
    let skipped = folder.skipped();
    assert_eq!(skipped.len(), 2);
    assert!(skipped.iter().any(|e| e.path.as_ref().unwrap().ends_with("truncated.png")));

    // Fail while reading: the panic names the file.
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let root = tmp.0.clone();
    let res = std::panic::catch_unwind(move || {
        std::fs::remove_file(root.join("cat/garbage.png")).unwrap();
        let f = ImageFolder::open(&root, OnError::Fail).unwrap();
        let i = f.samples().iter().position(|(p, _)| p.ends_with("truncated.png")).unwrap();
        f.get(i);
    });
    std::panic::set_hook(hook);
    let err = res.expect_err("a corrupt image under Fail panics");
    let msg = err.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(msg.contains("truncated.png"), "{msg}");
}

#[test]
fn missing_and_empty_folders_are_errors() {
    let tmp = TempDir::new("empty");
    let err = ImageFolder::open(&tmp.0, OnError::Skip).err().unwrap();
    assert!(matches!(err, FolderError::Empty { .. }), "{err}");
    assert!(err.to_string().contains("root/<class>/<image>"));
    let err = ImageFolder::open(tmp.0.join("nope"), OnError::Skip).err().unwrap();
    assert!(matches!(err, FolderError::Io { .. }) && err.to_string().contains("nope"), "{err}");
}

#[test]
fn augmented_folder_batches_through_a_loader_with_new_variants_each_epoch() {
    let tmp = make_folder("augment", false);
    let folder = ImageFolder::open(&tmp.0, OnError::Fail).unwrap();
    let pipeline =
        Compose::new().then(Resize::new((16, 16))).then(HorizontalFlip::new(0.5)).then(TrivialAugmentWide::new());
    let data = Augmented::new(folder, pipeline, 11);
    let loader = DataLoader::new(data, 4).seed(3);
    let epoch0: Vec<(Tensor<f32>, Tensor<i64>)> = loader.iter_epoch(0).collect();
    assert_eq!(epoch0.len(), 2);
    assert_eq!(epoch0[0].0.shape(), [4, 3, 16, 16]);
    assert_eq!(epoch0[1].0.shape(), [3, 3, 16, 16]);
    assert_eq!(epoch0[0].1.to_vec(), [0, 0, 0, 1]);
    let again: Vec<(Tensor<f32>, Tensor<i64>)> = loader.iter_epoch(0).collect();
    assert_eq!(again[0].0.to_vec(), epoch0[0].0.to_vec(), "reruns reproduce");
    loader.dataset().set_epoch(1);
    let epoch1: Vec<(Tensor<f32>, Tensor<i64>)> = loader.iter_epoch(1).collect();
    assert_ne!(epoch1[0].0.to_vec(), epoch0[0].0.to_vec(), "a new variant every epoch");
}

/// Sign Language Digits: 2,062 JPEGs in ten class folders, three of them 3024×3024 photos.
#[test]
fn sign_language_digits_folder() {
    let Ok(root) = std::env::var("KINDLING_DATASETS") else {
        eprintln!("SKIPPED: KINDLING_DATASETS is unset");
        return;
    };
    let dir = PathBuf::from(root).join("sign-language-digits/Dataset");
    let folder = ImageFolder::open(&dir, OnError::Fail).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(folder.len(), 2062);
    let names: Vec<String> = (0..10).map(|i| i.to_string()).collect();
    assert_eq!(folder.classes(), names.as_slice());
    let per_class: Vec<usize> = (0..10).map(|c| folder.samples().iter().filter(|(_, l)| *l == c).count()).collect();
    assert_eq!(per_class, [205, 206, 206, 206, 207, 207, 207, 206, 208, 204]);
    let big = folder.samples().iter().position(|(p, _)| p.ends_with("7/IMG_5874.JPG")).unwrap();
    let (photo, label) = folder.get(big);
    assert_eq!((photo.shape(), label), ([3, 3024, 3024].as_slice(), 7));
    let (small, _) = folder.get(0);
    assert_eq!(small.shape(), [3, 100, 100]);
    let data = Augmented::new(folder, Compose::new().then(Resize::new((64, 64))), 0);
    let indices = [0, 500, big, 2061];
    let batch = data.get_batch(&indices);
    assert_eq!(batch.0.shape(), [4, 3, 64, 64]);
    assert_eq!(batch.1.to_vec(), [0, 2, 7, 9]);
    let v = batch.0.to_vec();
    assert!(v.iter().all(|x| (0.0..=1.0).contains(x)));
}
