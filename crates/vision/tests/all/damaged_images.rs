//! Damaged and hostile image files: headers that claim gigapixel images, JPEGs and PNGs cut
//! short, empty class folders and images of mixed sizes. Each is an error (or, at batch time,
//! a panic) that names the file and says what to do; none aborts the process.

use crate::TempDir;
use kindling_data::{DataLoader, Dataset};
use kindling_tensor::{Rng, Tensor};
use kindling_vision::folder::{Augmented, FolderError, ImageFolder, OnError};
use kindling_vision::image::{self, ColorMode, DecodeLimits};
use kindling_vision::transforms::{Compose, HorizontalFlip, Resize};
use std::path::{Path, PathBuf};

/// Noisy RGB pixels (noise keeps the encoded file from being tiny).
fn noise(w: u32, h: u32, seed: u64) -> Vec<u8> {
    Tensor::<f32>::rand([(w * h * 3) as usize], &mut Rng::seed(seed))
        .to_vec()
        .iter()
        .map(|v| (v * 255.0) as u8)
        .collect()
}

fn encode(w: u32, h: u32, seed: u64, format: ::image::ImageFormat) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    ::image::write_buffer_with_format(&mut out, &noise(w, h, seed), w, h, ::image::ExtendedColorType::Rgb8, format)
        .unwrap();
    out.into_inner()
}

fn jpeg(w: u32, h: u32) -> Vec<u8> {
    encode(w, h, 1, ::image::ImageFormat::Jpeg)
}

fn png(w: u32, h: u32) -> Vec<u8> {
    encode(w, h, 2, ::image::ImageFormat::Png)
}

/// The CRC-32 a PNG chunk ends with (over its type and data).
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 { (crc >> 1) ^ 0xEDB8_8320 } else { crc >> 1 };
        }
    }
    !crc
}

/// A PNG whose header claims `w` × `h` (the IHDR checksum fixed, so only the size is a lie).
fn png_claiming(w: u32, h: u32) -> Vec<u8> {
    let mut bytes = png(4, 4);
    // Signature (8), IHDR length (4), "IHDR" (4), then width and height.
    bytes[16..20].copy_from_slice(&w.to_be_bytes());
    bytes[20..24].copy_from_slice(&h.to_be_bytes());
    let crc = crc32(&bytes[12..29]);
    bytes[29..33].copy_from_slice(&crc.to_be_bytes());
    bytes
}

/// The position of the first `FF marker` in a JPEG.
fn find_marker(bytes: &[u8], marker: u8) -> usize {
    bytes.windows(2).position(|w| w == [0xFF, marker]).expect("marker present")
}

/// A JPEG whose frame header claims `w` × `h`.
fn jpeg_claiming(w: u16, h: u16) -> Vec<u8> {
    let mut bytes = jpeg(8, 8);
    // FF C0, length (2), precision (1), then height and width.
    let sof = find_marker(&bytes, 0xC0);
    bytes[sof + 5..sof + 7].copy_from_slice(&h.to_be_bytes());
    bytes[sof + 7..sof + 9].copy_from_slice(&w.to_be_bytes());
    bytes
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&path, bytes).unwrap();
    path
}

/// The message of a panic in `f`, which must panic.
fn panic_message<F: FnOnce() + std::panic::UnwindSafe>(f: F) -> String {
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|_| {}));
    let res = std::panic::catch_unwind(f);
    std::panic::set_hook(hook);
    let err = res.expect_err("expected a panic");
    err.downcast_ref::<String>().cloned().or_else(|| err.downcast_ref::<&str>().map(|s| s.to_string())).unwrap()
}

// ---------- oversize headers ----------

#[test]
fn oversize_headers_are_refused_before_allocating() {
    let tmp = TempDir::new("oversize");
    for (name, bytes) in [
        ("big.png", png_claiming(50_000, 50_000)),
        ("huge.png", png_claiming(65_535, 65_535)),
        ("big.jpg", jpeg_claiming(50_000, 50_000)),
        ("huge.jpg", jpeg_claiming(65_535, 65_535)),
    ] {
        let path = write(&tmp.0, name, &bytes);
        let side: u64 = if name.starts_with("big") { 50_000 } else { 65_535 };
        let claim = format!("the header claims {side} × {side} = {} pixels", side * side);
        for err in [
            image::load(&path, ColorMode::Rgb).unwrap_err().to_string(),
            image::dimensions(&path).unwrap_err().to_string(),
        ] {
            assert!(err.starts_with(&format!("cannot read image {}: {claim}", path.display())), "{err}");
            assert!(err.contains("limit of 67108864 (DecodeLimits::max_pixels)"), "{err}");
            assert!(err.contains("DecodeLimits::new().max_pixels(n)"), "{err}");
        }
        let err = image::decode(&bytes, ColorMode::Gray).unwrap_err().to_string();
        assert!(err.starts_with(&format!("cannot decode image: {claim}")), "{err}");
    }
}

#[test]
fn a_header_larger_than_its_file_can_hold_is_refused_even_under_the_pixel_limit() {
    // 6000 × 6000 is under 2^26 pixels, but 108 MB of pixels cannot come from a tiny file.
    let bytes = png_claiming(6000, 6000);
    let err = image::decode(&bytes, ColorMode::Rgb).unwrap_err().to_string();
    assert!(
        err.contains("the header claims 6000 × 6000 pixels (108000000 decoded bytes), more than a file of"),
        "{err}"
    );
    assert!(err.contains("DecodeLimits::max_expansion = 2048"), "{err}");
    let err = image::decode(&jpeg_claiming(6000, 6000), ColorMode::Rgb).unwrap_err().to_string();
    assert!(err.contains("the header claims 6000 × 6000 pixels"), "{err}");
}

#[test]
fn decode_limits_are_configurable() {
    let bytes = png(32, 16);
    assert_eq!(image::decode(&bytes, ColorMode::Rgb).unwrap().shape(), [3, 16, 32]);
    let small = DecodeLimits::new().max_pixels(511);
    let err = image::decode_with(&bytes, ColorMode::Rgb, small).unwrap_err().to_string();
    assert!(err.contains("32 × 16 = 512 pixels, more than the limit of 511"), "{err}");
    let exact = DecodeLimits::new().max_pixels(512);
    assert_eq!(image::decode_with(&bytes, ColorMode::Rgb, exact).unwrap().shape(), [3, 16, 32]);

    let tmp = TempDir::new("limits");
    let path = write(&tmp.0, "a.png", &bytes);
    assert!(image::load_with(&path, ColorMode::Rgb, small).is_err());
    assert!(image::dimensions_with(&path, small).is_err());
    assert_eq!(image::dimensions_with(&path, exact).unwrap(), (32, 16));
    assert_eq!(DecodeLimits::default().max_pixels, DecodeLimits::DEFAULT_MAX_PIXELS);
    assert_eq!(DecodeLimits::new().max_decoded_bytes(10), 10 * 2048 + 65_536);
}

// ---------- files cut short ----------

#[test]
fn a_jpeg_cut_short_is_an_error_not_a_padded_image() {
    let bytes = jpeg(64, 48);
    assert_eq!(image::decode(&bytes, ColorMode::Rgb).unwrap().shape(), [3, 48, 64]);
    let scan = find_marker(&bytes, 0xDA);
    let after_headers = scan + 2 + usize::from(u16::from_be_bytes([bytes[scan + 2], bytes[scan + 3]]));
    for cut in [bytes.len() / 2, after_headers, bytes.len() - 2, bytes.len() - 1] {
        let err = image::decode(&bytes[..cut], ColorMode::Rgb).unwrap_err().to_string();
        assert_eq!(
            err,
            "cannot decode image: truncated JPEG (no end-of-image marker): the file is incomplete; re-download or \
             re-export it",
            "cut at {cut} of {}",
            bytes.len()
        );
    }
    let tmp = TempDir::new("jpeg-cut");
    let path = write(&tmp.0, "half.jpg", &bytes[..bytes.len() / 2]);
    let err = image::load(&path, ColorMode::Rgb).unwrap_err().to_string();
    assert!(err.starts_with(&format!("cannot read image {}: truncated JPEG", path.display())), "{err}");
}

#[test]
fn jpeg_and_png_cut_at_every_length_are_errors() {
    for (name, bytes) in [("jpeg", jpeg(24, 16)), ("png", png(24, 16))] {
        for cut in 0..bytes.len() {
            assert!(image::decode(&bytes[..cut], ColorMode::Rgb).is_err(), "{name} cut at {cut} of {}", bytes.len());
        }
        assert!(image::decode(&bytes, ColorMode::Rgb).is_ok());
    }
    let bytes = png(24, 16);
    let err = image::decode(&bytes[..bytes.len() - 6], ColorMode::Rgb).unwrap_err().to_string();
    assert!(err.contains("truncated PNG (no IEND chunk): the file is incomplete"), "{err}");
}

#[test]
fn an_end_marker_inside_an_exif_thumbnail_does_not_hide_a_cut() {
    let bytes = jpeg(64, 48);
    // An APP1 segment after SOI holding a minimal EXIF block and a "thumbnail" with its own
    // start and end markers.
    let mut app1 = b"Exif\0\0II*\0\x08\0\0\0\0\0\0\0\0\0".to_vec();
    app1.extend([0xFF, 0xD8, 0xFF, 0xD9]);
    let mut with_thumbnail = bytes[..2].to_vec();
    with_thumbnail.extend([0xFF, 0xE1]);
    with_thumbnail.extend(((app1.len() + 2) as u16).to_be_bytes());
    with_thumbnail.extend(&app1);
    with_thumbnail.extend(&bytes[2..]);
    assert_eq!(image::decode(&with_thumbnail, ColorMode::Rgb).unwrap().shape(), [3, 48, 64]);
    let cut = &with_thumbnail[..with_thumbnail.len() / 2];
    let err = image::decode(cut, ColorMode::Rgb).unwrap_err().to_string();
    assert!(err.contains("truncated JPEG (no end-of-image marker)"), "{err}");
}

// ---------- image folders ----------

#[test]
fn open_verified_catches_a_truncated_jpeg_and_open_reads_only_headers() {
    let tmp = TempDir::new("folder-cut");
    // Large enough that half of it ends inside the image data, past the headers.
    let bytes = jpeg(64, 64);
    write(&tmp.0, "a/whole.jpg", &bytes);
    write(&tmp.0, "b/whole.jpg", &bytes);
    let cut = write(&tmp.0, "b/cut.jpg", &bytes[..bytes.len() / 2]);
    let err = ImageFolder::open_verified(&tmp.0, OnError::Fail).err().expect("a truncated JPEG").to_string();
    assert!(err.starts_with("1 unreadable"), "{err}");
    assert!(err.contains(&format!("{}: truncated JPEG", cut.display())), "{err}");
    let skipping = ImageFolder::open_verified(&tmp.0, OnError::Skip).unwrap();
    assert_eq!((skipping.len(), skipping.skipped().len()), (2, 1));
    // Headers only: the cut file is found when it is read.
    let folder = ImageFolder::open(&tmp.0, OnError::Fail).unwrap();
    assert_eq!(folder.len(), 3);
    let i = folder.samples().iter().position(|(p, _)| p == &cut).unwrap();
    assert!(folder.try_get(i).unwrap_err().reason.starts_with("truncated JPEG"));
}

#[test]
fn an_oversize_header_in_a_folder_is_caught_at_opening() {
    let tmp = TempDir::new("folder-big");
    write(&tmp.0, "a/ok.png", &png(4, 4));
    let big = write(&tmp.0, "a/big.png", &png_claiming(65_535, 65_535));
    let err = ImageFolder::open(&tmp.0, OnError::Fail).err().expect("an oversize header").to_string();
    assert!(err.contains(&format!("{}: the header claims 65535 × 65535", big.display())), "{err}");
    let err = ImageFolder::open_with(&tmp.0, OnError::Fail, DecodeLimits::new().max_pixels(8)).err().unwrap();
    assert!(err.to_string().contains("ok.png: the header claims 4 × 4 = 16 pixels"), "{err}");
}

#[test]
fn an_empty_class_folder_is_an_error_naming_it() {
    let tmp = TempDir::new("folder-empty-class");
    write(&tmp.0, "ant/0.png", &png(4, 4));
    std::fs::create_dir_all(tmp.0.join("bee")).unwrap();
    write(&tmp.0, "bee/readme.txt", b"no images here");
    write(&tmp.0, "cat/0.png", &png(4, 4));
    let err = ImageFolder::open(&tmp.0, OnError::Skip).err().expect("an empty class");
    assert!(matches!(err, FolderError::EmptyClass { ref folder } if folder == &tmp.0.join("bee")), "{err}");
    assert_eq!(
        err.to_string(),
        format!(
            "class folder {} has no .png/.jpg/.jpeg files; add images to it or remove the folder (an empty class \
             would shift the label of every class after it)",
            tmp.0.join("bee").display()
        )
    );
    // Hidden folders are not classes.
    std::fs::remove_dir_all(tmp.0.join("bee")).unwrap();
    std::fs::create_dir_all(tmp.0.join(".ipynb_checkpoints")).unwrap();
    let folder = ImageFolder::open(&tmp.0, OnError::Fail).unwrap();
    assert_eq!(folder.classes(), ["ant", "cat"]);
}

#[test]
fn batching_images_of_different_sizes_names_two_files_and_the_fix() {
    let tmp = TempDir::new("folder-sizes");
    let small = write(&tmp.0, "a/small.png", &png(4, 3));
    let large = write(&tmp.0, "a/large.png", &png(6, 5));
    let folder = ImageFolder::open(&tmp.0, OnError::Fail).unwrap();
    assert_eq!(folder.image_size(0), (5, 6), "large.png sorts first");

    // At opening, on request.
    let err = folder.check_one_size().unwrap_err().to_string();
    let named = format!("{} is 5×6 and {} is 3×4 (height×width)", large.display(), small.display());
    assert!(err.starts_with(&format!("images of different sizes: {named}")), "{err}");
    assert!(err.contains("add a Resize transform"), "{err}");

    // At batch time, straight from the folder.
    let msg = panic_message(move || {
        let loader = DataLoader::new(folder, 2);
        let _ = loader.iter_epoch(0).count();
    });
    assert!(msg.contains(&format!("ImageFolder: cannot batch images of different sizes: {named}")), "{msg}");
    assert!(msg.contains("add a Resize transform"), "{msg}");

    // Through a pipeline that does not resize.
    let folder = ImageFolder::open(&tmp.0, OnError::Fail).unwrap();
    let flipped = Augmented::new(folder, Compose::new().then(HorizontalFlip::new(0.5)), 1);
    let msg = panic_message(std::panic::AssertUnwindSafe(move || {
        flipped.get_batch(&[0, 1]);
    }));
    assert!(
        msg.contains(&format!("Augmented: the transform pipeline leaves images of different sizes: {named}")),
        "{msg}"
    );

    // With a Resize, batching works.
    let folder = ImageFolder::open(&tmp.0, OnError::Fail).unwrap();
    let resized = Augmented::new(folder, Compose::new().then(Resize::new((8, 8))), 1);
    assert_eq!(resized.get_batch(&[0, 1]).0.shape(), [2, 3, 8, 8]);

    // One size: check_one_size says which.
    std::fs::remove_file(&small).unwrap();
    assert_eq!(ImageFolder::open(&tmp.0, OnError::Fail).unwrap().check_one_size().unwrap(), (5, 6));
}

#[test]
#[ignore = "decodes all 2,062 images of the real dataset; run by hand"]
fn sign_language_digits_all_verify() {
    let Ok(root) = std::env::var("KINDLING_DATASETS") else {
        eprintln!("SKIPPED: KINDLING_DATASETS is unset");
        return;
    };
    let dir = PathBuf::from(root).join("sign-language-digits/Dataset");
    let folder = ImageFolder::open_verified(&dir, OnError::Fail).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(folder.len(), 2062);
}
