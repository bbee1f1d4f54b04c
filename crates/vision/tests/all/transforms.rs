//! Transforms: determinism per (seed, epoch, index), geometric identities, sizes, colour
//! operations, resizing and normalisation.

use kindling_tensor::{assert_close, Rng, Tensor, Tolerance};
use kindling_vision::image::{denormalize, normalize, resize};
use kindling_vision::transforms::functional as f;
use kindling_vision::transforms::{
    sample_rng, AugmentOp, CenterCrop, ColorJitter, Compose, GaussianNoise, Grayscale, HorizontalFlip, ImageTransform,
    Interpolation, Normalize, RandomAffine, RandomCrop, RandomErasing, RandomResizedCrop, Resize, Rotation,
    TrivialAugmentWide, VerticalFlip,
};

/// Geometric identities and exact resamplings move values without arithmetic.
const EXACT: Tolerance = Tolerance { atol: 1e-6, rtol: 0.0 };

fn image(c: usize, h: usize, w: usize, seed: u64) -> Tensor<f32> {
    Tensor::rand([c, h, w], &mut Rng::seed(seed))
}

fn everything() -> Compose {
    Compose::new()
        .then(RandomResizedCrop::new((20, 24)))
        .then(HorizontalFlip::new(0.5))
        .then(VerticalFlip::new(0.5))
        .then(Rotation::new(30.0))
        .then(RandomAffine::new(10.0).translate(0.1, 0.1).scale(0.9, 1.1).shear(5.0))
        .then(ColorJitter::new(0.4, 0.4, 0.4, 0.1))
        .then(Grayscale::random(0.2))
        .then(TrivialAugmentWide::new())
        .then(GaussianNoise::new(0.05))
        .then(Normalize::new(&[0.5, 0.4, 0.3], &[0.2, 0.2, 0.2]))
        .then(RandomErasing::new(0.5))
}

#[test]
fn pipelines_are_deterministic_per_seed_epoch_and_index() {
    let img = image(3, 32, 40, 1);
    let p = everything();
    let a = p.apply_seeded(&img, 7, 2, 5);
    assert_eq!(a.shape(), [3, 20, 24]);
    assert_eq!(a.to_vec(), p.apply_seeded(&img, 7, 2, 5).to_vec(), "same (seed, epoch, index) → same image");
    assert_ne!(a.to_vec(), p.apply_seeded(&img, 7, 3, 5).to_vec(), "a new variant every epoch");
    assert_ne!(a.to_vec(), p.apply_seeded(&img, 7, 2, 6).to_vec(), "and for every index");
    assert_ne!(a.to_vec(), p.apply_seeded(&img, 8, 2, 5).to_vec(), "and for every seed");
}

#[test]
fn sample_rng_streams_differ() {
    let first = |s: u64, e: u64, i: u64| sample_rng(s, e, i).next_u64();
    assert_eq!(first(1, 2, 3), first(1, 2, 3));
    let draws = [first(0, 0, 0), first(0, 0, 1), first(0, 1, 0), first(1, 0, 0), first(0, 1, 1)];
    for i in 0..draws.len() {
        for j in i + 1..draws.len() {
            assert_ne!(draws[i], draws[j]);
        }
    }
}

#[test]
fn flipping_twice_is_the_identity() {
    let img = image(3, 5, 7, 2);
    assert_eq!(f::hflip(&f::hflip(&img)).to_vec(), img.to_vec());
    assert_eq!(f::vflip(&f::vflip(&img)).to_vec(), img.to_vec());
    let flipped = f::hflip(&img);
    assert_eq!(flipped.get(&[1, 2, 0]), img.get(&[1, 2, 6]));
    let flipped = f::vflip(&img);
    assert_eq!(flipped.get(&[2, 0, 3]), img.get(&[2, 4, 3]));
}

#[test]
fn rotation_by_zero_is_the_identity_and_quarter_turns_permute_pixels() {
    let img = image(2, 6, 6, 3);
    for interp in [Interpolation::Nearest, Interpolation::Bilinear] {
        assert_close(&f::rotate(&img, 0.0, interp, 0.0), &img, EXACT);
        assert_close(&f::affine(&img, 0.0, (0.0, 0.0), 1.0, (0.0, 0.0), interp, 0.0), &img, EXACT);
    }
    // 90° counter-clockwise: the top-right corner goes to the top-left.
    let r = f::rotate(&img, 90.0, Interpolation::Nearest, 0.0);
    assert_eq!(r.get(&[0, 0, 0]), img.get(&[0, 0, 5]));
    assert_eq!(r.get(&[1, 5, 0]), img.get(&[1, 0, 0]));
    // Four quarter turns come back.
    let four = (0..4).fold(img.clone(), |x, _| f::rotate(&x, 90.0, Interpolation::Nearest, 0.0));
    assert_close(&four, &img, EXACT);
    // Translation by whole pixels shifts and fills.
    let t = f::affine(&img, 0.0, (2.0, 0.0), 1.0, (0.0, 0.0), Interpolation::Nearest, -1.0);
    assert_eq!(t.get(&[0, 3, 4]), img.get(&[0, 3, 2]));
    assert_eq!(t.get(&[0, 3, 1]), -1.0);
}

#[test]
fn crops_have_the_requested_size() {
    let img = image(3, 10, 12, 4);
    let mut rng = Rng::seed(0);
    assert_eq!(CenterCrop::new((4, 6)).apply(&img, &mut rng).shape(), [3, 4, 6]);
    let c = f::center_crop(&img, (4, 6));
    assert_eq!(c.get(&[0, 0, 0]), img.get(&[0, 3, 3]));
    // Larger than the image: zero-padded around it.
    let big = f::center_crop(&img, (12, 12));
    assert_eq!(big.shape(), [3, 12, 12]);
    assert_eq!(big.get(&[0, 0, 0]), 0.0);
    assert_eq!(big.get(&[0, 1, 0]), img.get(&[0, 0, 0]));
    for seed in 0..20 {
        let mut rng = Rng::seed(seed);
        assert_eq!(RandomCrop::new((8, 8)).padding(2).apply(&img, &mut rng).shape(), [3, 8, 8]);
        assert_eq!(RandomResizedCrop::new((5, 7)).apply(&img, &mut rng).shape(), [3, 5, 7]);
        let (top, left, h, w) = RandomResizedCrop::new((5, 7)).window(10, 12, &mut rng);
        assert!(top + h <= 10 && left + w <= 12 && h > 0 && w > 0);
    }
    // An unpadded random crop is a window of the image.
    let crop = RandomCrop::new((10, 5)).apply(&img, &mut Rng::seed(1));
    let row: Vec<f32> = (0..5).map(|j| crop.get(&[0, 0, j])).collect();
    let found = (0..=7).any(|left| (0..5).all(|j| img.get(&[0, 0, left + j]) == row[j]));
    assert!(found);
}

#[test]
fn normalise_then_denormalise_is_the_identity() {
    let img = image(3, 4, 5, 5);
    let (mean, std) = ([0.485, 0.456, 0.406], [0.229, 0.224, 0.225]);
    let n = normalize(&img, &mean, &std);
    assert!((n.get(&[1, 2, 3]) - (img.get(&[1, 2, 3]) - 0.456) / 0.224).abs() < 1e-6);
    assert_close(&denormalize(&n, &mean, &std), &img, Tolerance::DEFAULT);
    // Batches too.
    let batch = Tensor::stack(&[&img, &img], 0);
    assert_close(&normalize(&batch, &mean, &std).select(0, 1), &n, Tolerance::DEFAULT);
}

#[test]
fn resize_is_exact_on_constants_and_keeps_the_mean_when_shrinking() {
    let flat = Tensor::<f32>::full([3, 300, 200], 0.25);
    assert_close(&resize(&flat, (64, 48)), &Tensor::full([3, 64, 48], 0.25), EXACT);
    assert_close(&resize(&flat, (301, 401)), &Tensor::full([3, 301, 401], 0.25), EXACT);
    let img = image(1, 64, 64, 6);
    let small = resize(&img, (8, 8));
    assert!((small.mean_all() - img.mean_all()).abs() < 0.01);
    // Shrinking by 2 with antialiasing: a triangle of radius 2 input pixels around the output
    // center 1.0 weighs inputs 0, 1, 2 (centers 0.5, 1.5, 2.5) by 3/4, 3/4, 1/4, so the ramp
    // 0, 1, 2, 3 gives (0·3 + 1·3 + 2·1)/7 = 5/7 (PIL's value).
    let ramp = Tensor::from_vec((0..16).map(|i| (i % 4) as f32).collect(), [1, 4, 4]);
    let half = resize(&ramp, (2, 2));
    assert!((half.get(&[0, 0, 0]) - 5.0 / 7.0).abs() < 1e-5, "{}", half);
    assert!((half.get(&[0, 1, 1]) - 16.0 / 7.0).abs() < 1e-5, "{}", half);
    // Enlarging 3×4 → 5×7 agrees with PyTorch's `interpolate(bilinear, antialias=True)`.
    let up = resize(&Tensor::from_vec((0..12).map(|i| i as f32).collect(), [1, 3, 4]), (5, 7));
    let torch_row1 = [1.6, 1.9571, 2.5286, 3.1, 3.6714, 4.2429, 4.6];
    for (j, &v) in torch_row1.iter().enumerate() {
        assert!((up.get(&[0, 1, j]) - v).abs() < 1e-4, "{up}");
    }
    // A batch resizes plane by plane.
    let b = resize(&Tensor::stack(&[&img, &img], 0), (16, 16));
    assert_eq!(b.shape(), [2, 1, 16, 16]);
    assert_eq!(resize(&img, (64, 64)).to_vec(), img.to_vec());
}

#[test]
fn colour_operations() {
    let img = image(3, 8, 8, 7);
    assert_close(&f::adjust_brightness(&img, 1.0), &img, EXACT);
    assert_close(&f::adjust_contrast(&img, 1.0), &img, EXACT);
    assert_close(&f::adjust_saturation(&img, 1.0), &img, EXACT);
    assert_close(&f::adjust_hue(&img, 0.0), &img, Tolerance::DEFAULT);
    assert_close(&f::adjust_sharpness(&img, 1.0), &img, EXACT);
    // Hue shifts compose: +0.3 then −0.3 comes back.
    assert_close(&f::adjust_hue(&f::adjust_hue(&img, 0.3), -0.3), &img, Tolerance::new(1e-5, 1e-5));
    let (h, s, v) = f::rgb_to_hsv(1.0, 0.0, 0.0);
    assert_eq!((h, s, v), (0.0, 1.0, 1.0));
    let (r, g, b) = f::hsv_to_rgb(1.0 / 3.0, 1.0, 1.0);
    assert!((r, g, b) == (0.0, 1.0, 0.0), "{r} {g} {b}");
    // Grayscale: the three channels are equal and follow the luma weights.
    let g = f::grayscale(&img, 3);
    let expected = 0.299 * img.get(&[0, 1, 1]) + 0.587 * img.get(&[1, 1, 1]) + 0.114 * img.get(&[2, 1, 1]);
    assert!((g.get(&[2, 1, 1]) - expected).abs() < 1e-6 && g.get(&[0, 1, 1]) == g.get(&[2, 1, 1]));
    assert_eq!(f::grayscale(&img, 1).shape(), [1, 8, 8]);
    assert_eq!(Grayscale::new().apply(&img, &mut Rng::seed(0)).shape(), [3, 8, 8]);
    // Zero saturation is grayscale; zero contrast is flat.
    assert_close(&f::adjust_saturation(&img, 0.0), &g, Tolerance::DEFAULT);
    let flat = f::adjust_contrast(&img, 0.0).to_vec();
    assert!(flat.iter().all(|v| (v - flat[0]).abs() < 1e-6));
    // Posterize to 1 bit leaves 0 and 128/255; solarize at 0 inverts; autocontrast spans [0, 1].
    let p = f::posterize(&img, 1).to_vec();
    assert!(p.iter().all(|&v| v == 0.0 || (v - 128.0 / 255.0).abs() < 1e-6));
    assert_close(&f::solarize(&img, 0.0), &(Tensor::ones([3, 8, 8]) - &img), EXACT);
    let a = f::autocontrast(&(&img * 0.5)).to_vec();
    assert!(a.iter().cloned().fold(f32::INFINITY, f32::min) == 0.0 && a.iter().cloned().fold(0f32, f32::max) == 1.0);
    let e = f::equalize(&img);
    assert_eq!(e.shape(), img.shape());
    // Erasing covers exactly the rectangle.
    let er = f::erase(&img, 2, 3, 2, 4, 0.0);
    assert_eq!(er.get(&[1, 3, 6]), 0.0);
    assert_eq!(er.get(&[1, 4, 6]), img.get(&[1, 4, 6]));
}

#[test]
fn trivial_augment_covers_its_ops_and_magnitudes() {
    let t = TrivialAugmentWide::new();
    assert_eq!(t.magnitude(AugmentOp::Rotate, 30), 135.0);
    assert_eq!(t.magnitude(AugmentOp::TranslateX, 30), 32.0);
    assert_eq!(t.magnitude(AugmentOp::Posterize, 0), 8.0);
    assert_eq!(t.magnitude(AugmentOp::Posterize, 30), 2.0);
    assert_eq!(t.magnitude(AugmentOp::Solarize, 0), 1.0);
    let img = image(3, 12, 12, 8);
    for op in AugmentOp::ALL {
        for m in [0.0, 0.5, -0.5] {
            let m = if op == AugmentOp::Posterize { 4.0 } else { m };
            let out = t.apply_op(&img, op, m);
            assert_eq!(out.shape(), img.shape(), "{op:?}");
            assert!(out.to_vec().iter().all(|v| (0.0..=1.0).contains(v)), "{op:?} stays in [0, 1]");
        }
    }
    assert_close(&t.apply_op(&img, AugmentOp::Identity, 0.0), &img, EXACT);
    // Over many images every op is drawn (deterministically).
    let distinct: std::collections::HashSet<Vec<u32>> = (0..200)
        .map(|i| t.apply(&img, &mut sample_rng(0, 0, i)).to_vec().iter().map(|v| v.to_bits()).collect())
        .collect();
    assert!(distinct.len() > 50, "{} distinct outputs of 200", distinct.len());
}

#[test]
fn noise_and_erasing_are_seeded() {
    let img = image(3, 16, 16, 9);
    let noisy = GaussianNoise::new(0.1).apply(&img, &mut Rng::seed(1));
    let diff = (&noisy - &img).abs().mean_all();
    assert!(diff > 0.02 && diff < 0.12, "{diff}");
    assert_eq!(noisy.to_vec(), GaussianNoise::new(0.1).apply(&img, &mut Rng::seed(1)).to_vec());
    let erased = RandomErasing::new(1.0).apply(&img, &mut Rng::seed(2));
    let zeros = erased.to_vec().iter().filter(|&&v| v == 0.0).count();
    assert!(zeros >= 3 * (16 * 16) / 50, "an erased rectangle of at least 2% of the area: {zeros}");
    assert_eq!(Resize::new((8, 4)).apply(&img, &mut Rng::seed(0)).shape(), [3, 8, 4]);
}

#[test]
fn closures_are_transforms() {
    let invert = |x: &Tensor<f32>, _: &mut Rng| Tensor::ones(x.shape()) - x;
    let p = Compose::new().then(invert).then(invert);
    let img = image(1, 3, 3, 10);
    assert_close(&p.apply(&img, &mut Rng::seed(0)), &img, EXACT);
    assert_eq!(p.len(), 2);
}
