//! Whether a PNG or JPEG file is whole. Decoders fill a file that stops early with a flat
//! colour and report success, so a download cut in half would train as a grey image; walking
//! the file's structure to its end marker catches it.

/// What to tell the user about a file that stops early.
const INCOMPLETE: &str = "the file is incomplete; re-download or re-export it";

/// Checks that a JPEG's structure runs to an end-of-image marker after its last scan.
///
/// The walk follows the segment lengths (so the end marker of an EXIF thumbnail inside APP1 is
/// skipped, not mistaken for the image's), and inside entropy-coded data treats `FF 00` (a
/// stuffed byte) and `FF D0`..`FF D7` (restart markers) as data.
pub(crate) fn check_jpeg(bytes: &[u8]) -> Result<(), String> {
    let truncated = || format!("truncated JPEG (no end-of-image marker): {INCOMPLETE}");
    if !bytes.starts_with(&[0xFF, 0xD8]) {
        return Err("not a JPEG file (no start-of-image marker)".to_string());
    }
    let mut pos = 2;
    loop {
        // Find the next marker; stray bytes between segments are skipped, as libjpeg does.
        while pos < bytes.len() && bytes[pos] != 0xFF {
            pos += 1;
        }
        // Any number of 0xFF may pad a marker.
        while pos < bytes.len() && bytes[pos] == 0xFF {
            pos += 1;
        }
        let Some(&marker) = bytes.get(pos) else { return Err(truncated()) };
        pos += 1;
        match marker {
            0xD9 => return Ok(()),
            // Markers that stand alone, without a length.
            0x01 | 0xD0..=0xD8 => continue,
            _ => {}
        }
        let Some(len) = bytes.get(pos..pos + 2).map(|b| usize::from(u16::from_be_bytes([b[0], b[1]]))) else {
            return Err(truncated());
        };
        if len < 2 {
            return Err(format!("corrupt JPEG: a segment at byte {} declares length {len}", pos - 2));
        }
        pos += len;
        if pos > bytes.len() {
            return Err(truncated());
        }
        if marker == 0xDA {
            pos = end_of_entropy_data(bytes, pos).ok_or_else(truncated)?;
        }
    }
}

/// The position of the first marker after entropy-coded data starting at `pos`, if any.
fn end_of_entropy_data(bytes: &[u8], mut pos: usize) -> Option<usize> {
    loop {
        pos += bytes.get(pos..)?.iter().position(|&b| b == 0xFF)?;
        match *bytes.get(pos + 1)? {
            // A stuffed 0xFF data byte, or a restart marker: still data.
            0x00 | 0xD0..=0xD7 => pos += 2,
            // Fill before a marker: the marker starts at the last 0xFF.
            0xFF => pos += 1,
            _ => return Some(pos),
        }
    }
}

/// Checks that a PNG's chunks run to a whole `IEND` chunk.
pub(crate) fn check_png(bytes: &[u8]) -> Result<(), String> {
    const SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
    if !bytes.starts_with(&SIGNATURE) {
        return Err("not a PNG file (no PNG signature)".to_string());
    }
    let mut pos = SIGNATURE.len();
    // Each chunk: a 4-byte length, a 4-byte type, the data, a 4-byte checksum.
    while let Some(head) = bytes.get(pos..pos + 8) {
        let len = u32::from_be_bytes([head[0], head[1], head[2], head[3]]) as usize;
        let end = pos.saturating_add(12).saturating_add(len);
        if &head[4..8] == b"IEND" && end <= bytes.len() {
            return Ok(());
        }
        pos = end;
    }
    Err(format!("truncated PNG (no IEND chunk): {INCOMPLETE}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entropy_data_keeps_stuffed_bytes_and_restart_markers() {
        let data = [0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD3, 0x56, 0xFF, 0xFF, 0xD9];
        assert_eq!(end_of_entropy_data(&data, 0), Some(8));
        assert_eq!(end_of_entropy_data(&data[..7], 0), None);
    }

    #[test]
    fn a_segment_shorter_than_its_length_field_is_corrupt() {
        let err = check_jpeg(&[0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x01]).unwrap_err();
        assert!(err.contains("declares length 1"), "{err}");
    }
}
