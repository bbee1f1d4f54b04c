//! [`DecodeLimits`]: how large an image may be before decoding it allocates anything.
//!
//! An image header is a promise the decoder believes: a few hundred bytes can claim 65,535 ×
//! 65,535 pixels, and a decoder that sizes its buffer from the header then asks for gigabytes
//! and aborts the process. Two checks refuse such files before any pixel buffer exists:
//!
//! - **pixels**: width × height at most [`DecodeLimits::max_pixels`];
//! - **expansion**: the decoded buffer at most [`DecodeLimits::max_expansion`] bytes per byte of
//!   file, plus [`DecodeLimits::SMALL_FILE_ALLOWANCE`]. No real PNG or JPEG gets near the default
//!   2,048: deflate expands at most about 1,032 to 1, and a JPEG spends at least one bit on every
//!   8 × 8 block of every component (64 samples per bit: 512 to 1 for gray, about 1,365 to 1
//!   for RGB with the coarsest chroma subsampling). A header that claims more is damaged or
//!   hostile.
//!
//! The same bounds go to the `image` crate's own [`::image::Limits`] (largest side and
//! `max_alloc`), so its decoders enforce them too.

/// Bounds on the images a decode will accept. The defaults suit datasets of photos; raise
/// [`DecodeLimits::max_pixels`] for larger images.
///
/// ```
/// use kindling_vision::image::DecodeLimits;
///
/// let limits = DecodeLimits::new().max_pixels(1 << 28);
/// assert_eq!(limits.max_pixels, 268_435_456);
/// assert_eq!(limits.max_expansion, DecodeLimits::DEFAULT_MAX_EXPANSION);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DecodeLimits {
    /// The most pixels (width × height) an image may have.
    pub max_pixels: u64,
    /// The most bytes of decoded pixels per byte of file (see the module documentation).
    pub max_expansion: u64,
}

impl Default for DecodeLimits {
    fn default() -> Self {
        Self::new()
    }
}

impl DecodeLimits {
    /// The default [`DecodeLimits::max_pixels`]: 2^26 = 67,108,864, an 8192 × 8192 image. That is
    /// larger than any camera in common use (a 60-megapixel sensor fits), and its decoded RGB
    /// bytes (192 MiB) and `f32` tensor (768 MiB) still fit in a laptop's memory.
    pub const DEFAULT_MAX_PIXELS: u64 = 1 << 26;

    /// The default [`DecodeLimits::max_expansion`]: 2,048 decoded bytes per byte of file, about
    /// twice what deflate or baseline/progressive JPEG can reach.
    pub const DEFAULT_MAX_EXPANSION: u64 = 2048;

    /// Decoded bytes allowed on top of the expansion bound, so tiny files of plain colour (a
    /// 100-byte PNG of 128 × 128 pixels, say) are never refused.
    pub const SMALL_FILE_ALLOWANCE: u64 = 1 << 16;

    /// The default limits.
    pub const fn new() -> Self {
        DecodeLimits { max_pixels: Self::DEFAULT_MAX_PIXELS, max_expansion: Self::DEFAULT_MAX_EXPANSION }
    }

    /// Sets the most pixels an image may have.
    pub const fn max_pixels(mut self, pixels: u64) -> Self {
        self.max_pixels = pixels;
        self
    }

    /// Sets the most decoded bytes per byte of file.
    pub const fn max_expansion(mut self, ratio: u64) -> Self {
        self.max_expansion = ratio;
        self
    }

    /// The most decoded bytes a file of `file_len` bytes can justify.
    pub fn max_decoded_bytes(&self, file_len: u64) -> u64 {
        self.max_expansion.saturating_mul(file_len).saturating_add(Self::SMALL_FILE_ALLOWANCE)
    }

    /// Refuses a header whose claimed size the limits or the file's length rule out.
    pub(crate) fn check(&self, width: u32, height: u32, decoded_bytes: u64, file_len: u64) -> Result<(), String> {
        let pixels = u64::from(width) * u64::from(height);
        if pixels > self.max_pixels {
            return Err(format!(
                "the header claims {width} × {height} = {pixels} pixels, more than the limit of {} \
                 (DecodeLimits::max_pixels); if the image is genuine, raise the limit with \
                 DecodeLimits::new().max_pixels(n) and decode_with / load_with / ImageFolder::open_with",
                self.max_pixels
            ));
        }
        let most = self.max_decoded_bytes(file_len);
        if decoded_bytes > most {
            return Err(format!(
                "the header claims {width} × {height} pixels ({decoded_bytes} decoded bytes), more than a file of \
                 {file_len} bytes can hold (at most {most}: DecodeLimits::max_expansion = {} bytes per file byte \
                 plus {}); the header is damaged or the file is cut short; if the image is genuine, raise the \
                 limit with DecodeLimits::new().max_expansion(n)",
                self.max_expansion,
                Self::SMALL_FILE_ALLOWANCE
            ));
        }
        Ok(())
    }

    /// The same bounds as the `image` crate's limits: no side longer than the pixel budget, and
    /// no allocation larger than the file can justify.
    pub(crate) fn for_image_crate(&self, file_len: u64) -> ::image::Limits {
        let side = u32::try_from(self.max_pixels).unwrap_or(u32::MAX);
        let mut limits = ::image::Limits::default();
        limits.max_image_width = Some(side);
        limits.max_image_height = Some(side);
        limits.max_alloc = Some(self.max_decoded_bytes(file_len));
        limits
    }

    /// Only the allocation bound: for opening a decoder before its size has been checked here,
    /// so that an oversize header gets this module's message rather than a generic one.
    pub(crate) fn alloc_only(&self, file_len: u64) -> ::image::Limits {
        let mut limits = ::image::Limits::no_limits();
        limits.max_alloc = Some(self.max_decoded_bytes(file_len));
        limits
    }
}
