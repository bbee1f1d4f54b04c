//! Images as tensors: decoding PNG and JPEG files into `[C, H, W]` f32 tensors with values in
//! [0, 1] (the layout convolutions want; `Tensor::stack` makes the `[N, C, H, W]` batch),
//! resizing, per-channel normalisation, and writing PNGs back.
//!
//! Decoding goes through the `image` crate with only its PNG and JPEG codecs. Everything that
//! touches a file returns `Result` with an [`ImageError`] naming the path.
//!
//! Damaged and hostile files are refused, not decoded into garbage or a crash: a header that
//! claims more pixels than [`DecodeLimits`] allow, or more than the file's length can hold, is
//! an error before any pixel buffer is allocated; a JPEG without its end-of-image marker or a
//! PNG without its `IEND` chunk (a file cut short) is an error rather than an image padded with
//! a flat colour.

mod complete;
mod limits;

pub use limits::DecodeLimits;

use kindling_tensor::shape::dims_str;
use kindling_tensor::Tensor;
use std::fmt;
use std::path::{Path, PathBuf};

/// A file that could not be read, decoded or written, with the reason (which says what to do
/// where something can be done).
#[derive(Debug, Clone, PartialEq)]
pub struct ImageError {
    /// The file, when the image came from one.
    pub path: Option<PathBuf>,
    /// What went wrong.
    pub reason: String,
    /// Whether writing the file failed (rather than reading or decoding it).
    pub writing: bool,
}

impl fmt::Display for ImageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.path {
            Some(p) if self.writing => write!(f, "cannot write image {}: {}", p.display(), self.reason),
            Some(p) => write!(f, "cannot read image {}: {}", p.display(), self.reason),
            None => write!(f, "cannot decode image: {}", self.reason),
        }
    }
}

impl std::error::Error for ImageError {}

/// How many channels decoded images get.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ColorMode {
    /// Three channels (grayscale is repeated, alpha dropped).
    #[default]
    Rgb,
    /// One channel (luma).
    Gray,
}

fn to_tensor(img: ::image::DynamicImage, mode: ColorMode) -> Tensor<f32> {
    let (w, h) = (img.width() as usize, img.height() as usize);
    let (channels, interleaved) = match mode {
        ColorMode::Rgb => (3, img.into_rgb8().into_raw()),
        ColorMode::Gray => (1, img.into_luma8().into_raw()),
    };
    from_interleaved(&interleaved, h, w, channels)
}

/// Interleaved 8-bit pixels (`[H, W, C]`, the layout of image files) to a `[C, H, W]` tensor in
/// [0, 1].
pub fn from_interleaved(pixels: &[u8], h: usize, w: usize, channels: usize) -> Tensor<f32> {
    assert_eq!(
        pixels.len(),
        h * w * channels,
        "from_interleaved: {} bytes cannot fill {h}×{w}×{channels}",
        pixels.len()
    );
    let mut out = vec![0f32; pixels.len()];
    for (p, px) in pixels.chunks_exact(channels).enumerate() {
        for (c, &v) in px.iter().enumerate() {
            out[c * h * w + p] = v as f32 / 255.0;
        }
    }
    Tensor::from_vec(out, [channels, h, w])
}

/// A `[C, H, W]` tensor in [0, 1] to interleaved 8-bit pixels (values are clamped and rounded).
pub fn to_interleaved(img: &Tensor<f32>) -> Vec<u8> {
    let (c, h, w) = chw("to_interleaved", img.shape());
    let data = img.contiguous().to_vec();
    let mut out = vec![0u8; data.len()];
    for ch in 0..c {
        for p in 0..h * w {
            out[p * c + ch] = (data[ch * h * w + p].clamp(0.0, 1.0) * 255.0).round() as u8;
        }
    }
    out
}

/// A decoder error, with the question worth asking about the file.
fn decoder_error(e: ::image::ImageError) -> String {
    format!("{} (is it a valid PNG or JPEG file?)", e.to_string().trim_end())
}

/// The format of `bytes`, if it is one we decode.
fn sniff(bytes: &[u8]) -> Result<::image::ImageFormat, String> {
    use ::image::ImageFormat;
    match ::image::guess_format(bytes) {
        Ok(f @ (ImageFormat::Png | ImageFormat::Jpeg)) => Ok(f),
        Ok(other) => Err(format!("{other:?} images are not supported; convert it to PNG or JPEG")),
        Err(_) => Err("not a PNG or JPEG file (unrecognised signature)".to_string()),
    }
}

/// A decoder for `reader` (a file of `file_len` bytes) whose header has passed `limits`; the
/// decoder then carries the same bounds as `image` limits.
fn checked_decoder<'a, R: std::io::BufRead + std::io::Seek + 'a>(
    reader: R,
    format: ::image::ImageFormat,
    file_len: u64,
    limits: DecodeLimits,
) -> Result<impl ::image::ImageDecoder + 'a, String> {
    use ::image::ImageDecoder;
    let mut reader = ::image::ImageReader::with_format(reader, format);
    reader.limits(limits.alloc_only(file_len));
    let mut decoder = reader.into_decoder().map_err(decoder_error)?;
    let (width, height) = decoder.dimensions();
    limits.check(width, height, decoder.total_bytes(), file_len)?;
    decoder.set_limits(limits.for_image_crate(file_len)).map_err(decoder_error)?;
    Ok(decoder)
}

/// Decodes a whole PNG or JPEG in memory, with the EXIF orientation applied (phones store
/// photos sideways plus a flag).
fn decode_checked(bytes: &[u8], limits: DecodeLimits) -> Result<::image::DynamicImage, String> {
    use ::image::ImageDecoder;
    let format = sniff(bytes)?;
    // Completeness first: a file cut inside its headers is better reported as cut short.
    match format {
        ::image::ImageFormat::Jpeg => complete::check_jpeg(bytes)?,
        _ => complete::check_png(bytes)?,
    }
    let mut decoder = checked_decoder(std::io::Cursor::new(bytes), format, bytes.len() as u64, limits)?;
    let orientation = decoder.orientation().map_err(decoder_error)?;
    let mut img = ::image::DynamicImage::from_decoder(decoder).map_err(decoder_error)?;
    img.apply_orientation(orientation);
    Ok(img)
}

/// Decodes PNG or JPEG bytes (EXIF orientation applied) within the default [`DecodeLimits`].
pub fn decode(bytes: &[u8], mode: ColorMode) -> Result<Tensor<f32>, ImageError> {
    decode_with(bytes, mode, DecodeLimits::new())
}

/// Decodes PNG or JPEG bytes (EXIF orientation applied) within `limits`. An oversize header, or
/// a file cut short, is an error.
pub fn decode_with(bytes: &[u8], mode: ColorMode, limits: DecodeLimits) -> Result<Tensor<f32>, ImageError> {
    let img = decode_checked(bytes, limits).map_err(|reason| ImageError { path: None, reason, writing: false })?;
    Ok(to_tensor(img, mode))
}

/// Reads and decodes a PNG or JPEG file within the default [`DecodeLimits`] (the format is
/// guessed from the content, not the name; EXIF orientation applied).
pub fn load(path: impl AsRef<Path>, mode: ColorMode) -> Result<Tensor<f32>, ImageError> {
    load_with(path, mode, DecodeLimits::new())
}

/// Reads and decodes a PNG or JPEG file within `limits`. An oversize header, or a file cut
/// short, is an error naming the file.
pub fn load_with(path: impl AsRef<Path>, mode: ColorMode, limits: DecodeLimits) -> Result<Tensor<f32>, ImageError> {
    let path = path.as_ref();
    let err = |reason: String| ImageError { path: Some(path.to_path_buf()), reason, writing: false };
    let bytes = std::fs::read(path).map_err(|e| err(e.to_string()))?;
    let img = decode_checked(&bytes, limits).map_err(err)?;
    Ok(to_tensor(img, mode))
}

/// Reads only the header: `(width, height)` as stored (before any EXIF rotation), within the
/// default [`DecodeLimits`]. Cheap; catches files that are not images at all and headers that
/// claim an impossible size, not a body that is truncated or corrupt (use [`load`] for that).
pub fn dimensions(path: impl AsRef<Path>) -> Result<(u32, u32), ImageError> {
    dimensions_with(path, DecodeLimits::new())
}

/// [`dimensions`] within `limits`.
pub fn dimensions_with(path: impl AsRef<Path>, limits: DecodeLimits) -> Result<(u32, u32), ImageError> {
    header(path.as_ref(), limits).map(|h| (h.width, h.height))
}

/// What a header says about an image.
pub(crate) struct Header {
    /// Stored width and height.
    pub(crate) width: u32,
    pub(crate) height: u32,
    /// `[height, width]` once decoded, with the EXIF orientation applied.
    pub(crate) oriented: (usize, usize),
}

/// Reads a file's header, checked against `limits`.
pub(crate) fn header(path: &Path, limits: DecodeLimits) -> Result<Header, ImageError> {
    use ::image::{metadata::Orientation, ImageDecoder};
    use std::io::Read;
    let err = |reason: String| ImageError { path: Some(path.to_path_buf()), reason, writing: false };
    let file = std::fs::File::open(path).map_err(|e| err(e.to_string()))?;
    let file_len = file.metadata().map_err(|e| err(e.to_string()))?.len();
    let mut reader = std::io::BufReader::new(file);
    let mut start = Vec::with_capacity(16);
    reader.by_ref().take(16).read_to_end(&mut start).map_err(|e| err(e.to_string()))?;
    let format = sniff(&start).map_err(err)?;
    std::io::Seek::rewind(&mut reader).map_err(|e| err(e.to_string()))?;
    let mut decoder = checked_decoder(reader, format, file_len, limits).map_err(err)?;
    let (width, height) = decoder.dimensions();
    let turned = matches!(
        decoder.orientation().map_err(|e| err(decoder_error(e)))?,
        Orientation::Rotate90 | Orientation::Rotate270 | Orientation::Rotate90FlipH | Orientation::Rotate270FlipH
    );
    let oriented = if turned { (width as usize, height as usize) } else { (height as usize, width as usize) };
    Ok(Header { width, height, oriented })
}

/// Writes a `[C, H, W]` tensor (1 or 3 channels, values in [0, 1]) as a PNG, atomically (a
/// temporary file renamed into place).
pub fn save_png(img: &Tensor<f32>, path: impl AsRef<Path>) -> Result<(), ImageError> {
    let path = path.as_ref();
    let (c, h, w) = chw("save_png", img.shape());
    let err = |reason: String| ImageError { path: Some(path.to_path_buf()), reason, writing: true };
    let color = match c {
        1 => ::image::ExtendedColorType::L8,
        3 => ::image::ExtendedColorType::Rgb8,
        _ => return Err(err(format!("a PNG needs 1 or 3 channels, the tensor has {c}"))),
    };
    let mut png = Vec::new();
    let encoder = ::image::codecs::png::PngEncoder::new(&mut png);
    ::image::ImageEncoder::write_image(encoder, &to_interleaved(img), w as u32, h as u32, color)
        .map_err(|e| err(e.to_string()))?;
    kindling_tensor::io::write_atomic(path, &png)
        .map_err(|e| err(format!("{e} (check that the folder exists and is writable)")))
}

/// `(C, H, W)` of an image tensor, panicking with the op name otherwise.
pub(crate) fn chw(op: &str, shape: &[usize]) -> (usize, usize, usize) {
    if shape.len() != 3 {
        panic!("{op}: expected an image [C, H, W], got {}", dims_str(shape));
    }
    (shape[0], shape[1], shape[2])
}

/// Resampling weights along one axis: for each output index, the first input index and the
/// normalised weights of the inputs from there on.
fn axis_weights(input: usize, output: usize) -> Vec<(usize, Vec<f32>)> {
    let scale = input as f64 / output as f64;
    // A triangle filter stretched over the input pixels one output pixel covers when
    // shrinking (antialiasing), plain linear interpolation when enlarging.
    let support = scale.max(1.0);
    (0..output)
        .map(|o| {
            let center = (o as f64 + 0.5) * scale;
            let lo = ((center - support).floor().max(0.0)) as usize;
            let hi = ((center + support).ceil() as usize).min(input);
            let mut ws: Vec<f64> =
                (lo..hi).map(|i| (1.0 - ((i as f64 + 0.5 - center) / support).abs()).max(0.0)).collect();
            let total: f64 = ws.iter().sum();
            if total > 0.0 {
                ws.iter_mut().for_each(|w| *w /= total);
            } else {
                // The center fell between two pixels' supports (cannot happen for support ≥ 1);
                // take the nearest.
                ws = vec![0.0; hi - lo];
                let nearest = (center.floor() as usize).clamp(lo, hi - 1);
                ws[nearest - lo] = 1.0;
            }
            (lo, ws.into_iter().map(|w| w as f32).collect())
        })
        .collect()
}

/// Resizes `[C, H, W]` or `[N, C, H, W]` images to `size` = (height, width) with bilinear
/// interpolation (pixel centers aligned, PyTorch's `align_corners=False`), antialiased when
/// shrinking (a triangle filter as wide as the scale factor, as PIL and torchvision's
/// `antialias=True` do), so a 3024×3024 photo shrinks to 64×64 without aliasing.
pub fn resize(img: &Tensor<f32>, size: (usize, usize)) -> Tensor<f32> {
    let shape = img.shape().to_vec();
    if !(shape.len() == 3 || shape.len() == 4) || size.0 == 0 || size.1 == 0 {
        panic!("resize: expected [C, H, W] or [N, C, H, W] and a positive size, got {} to {size:?}", dims_str(&shape));
    }
    let (h, w) = (shape[shape.len() - 2], shape[shape.len() - 1]);
    if (h, w) == size {
        return img.contiguous();
    }
    let planes = shape[..shape.len() - 2].iter().product::<usize>();
    let (oh, ow) = size;
    let (wx, wy) = (axis_weights(w, ow), axis_weights(h, oh));
    let data = img.contiguous().to_vec();
    let mut out = vec![0f32; planes * oh * ow];
    let mut tmp = vec![0f32; h * ow];
    for p in 0..planes {
        let src = &data[p * h * w..][..h * w];
        // Horizontal pass: [h, w] → [h, ow].
        for r in 0..h {
            let row = &src[r * w..][..w];
            for (o, (lo, ws)) in wx.iter().enumerate() {
                tmp[r * ow + o] = ws.iter().zip(&row[*lo..]).map(|(a, b)| a * b).sum();
            }
        }
        // Vertical pass: [h, ow] → [oh, ow].
        let dst = &mut out[p * oh * ow..][..oh * ow];
        for (o, (lo, ws)) in wy.iter().enumerate() {
            let d = &mut dst[o * ow..][..ow];
            for (k, &wt) in ws.iter().enumerate() {
                let s = &tmp[(lo + k) * ow..][..ow];
                d.iter_mut().zip(s).for_each(|(d, &s)| *d += wt * s);
            }
        }
    }
    let mut out_shape = shape[..shape.len() - 2].to_vec();
    out_shape.extend([oh, ow]);
    Tensor::from_vec(out, out_shape)
}

fn per_channel(op: &str, img: &Tensor<f32>, mean: &[f32], std: &[f32]) -> (usize, usize) {
    let shape = img.shape();
    let axis = match shape.len() {
        3 => 0,
        4 => 1,
        _ => panic!("{op}: expected [C, H, W] or [N, C, H, W], got {}", dims_str(shape)),
    };
    let c = shape[axis];
    if mean.len() != c || std.len() != c {
        panic!(
            "{op}: image {} has {c} channels but mean has {} and std {} values",
            dims_str(shape),
            mean.len(),
            std.len()
        );
    }
    if let Some(s) = std.iter().find(|s| **s == 0.0) {
        panic!("{op}: std {s} would divide by zero");
    }
    (c, shape[shape.len() - 2] * shape[shape.len() - 1])
}

/// `(x − mean[c]) / std[c]` per channel of `[C, H, W]` or `[N, C, H, W]` images.
pub fn normalize(img: &Tensor<f32>, mean: &[f32], std: &[f32]) -> Tensor<f32> {
    let (c, hw) = per_channel("normalize", img, mean, std);
    let mut data = img.contiguous().to_vec();
    for (p, plane) in data.chunks_exact_mut(hw).enumerate() {
        let (m, s) = (mean[p % c], std[p % c]);
        plane.iter_mut().for_each(|v| *v = (*v - m) / s);
    }
    Tensor::from_vec(data, img.shape().to_vec())
}

/// The inverse of [`normalize`]: `x · std[c] + mean[c]` (to display a normalised image).
pub fn denormalize(img: &Tensor<f32>, mean: &[f32], std: &[f32]) -> Tensor<f32> {
    let (c, hw) = per_channel("denormalize", img, mean, std);
    let mut data = img.contiguous().to_vec();
    for (p, plane) in data.chunks_exact_mut(hw).enumerate() {
        let (m, s) = (mean[p % c], std[p % c]);
        plane.iter_mut().for_each(|v| *v = *v * s + m);
    }
    Tensor::from_vec(data, img.shape().to_vec())
}

/// ImageNet's per-channel mean and standard deviation (RGB), the usual normalisation for
/// pretrained models.
pub const IMAGENET_MEAN: [f32; 3] = [0.485, 0.456, 0.406];
pub const IMAGENET_STD: [f32; 3] = [0.229, 0.224, 0.225];
