//! The fast path of `sort` and `argsort` on long lanes: each value becomes an unsigned key
//! whose integer order is NumPy's sort order (NaN last), and an LSD radix sort orders the keys
//! one byte per pass, stably, skipping the bytes every key shares. A comparison sort spends
//! ~log₂ n unpredictable branches per element; this spends a few streaming passes.

use crate::dtype::{downcast_slice, downcast_slice_mut, Element};

/// Below this length a comparison sort wins (the passes' fixed cost dominates).
pub(super) const RADIX_MIN_LEN: usize = 512;

const SIGN64: u64 = 1 << 63;

/// Flips the sign bit of positives and every bit of negatives: IEEE order becomes unsigned
/// order (−0 just below +0). Every NaN maps to the largest key.
fn f64_key(x: f64) -> u64 {
    if x.is_nan() {
        return u64::MAX;
    }
    let bits = x.to_bits();
    if bits & SIGN64 != 0 {
        !bits
    } else {
        bits | SIGN64
    }
}

fn f64_from_key(k: u64) -> f64 {
    // The largest key decodes to a NaN (0x7FFF…F), as NaNs sort.
    f64::from_bits(if k & SIGN64 != 0 { k & !SIGN64 } else { !k })
}

fn f32_key(x: f32) -> u64 {
    if x.is_nan() {
        return u32::MAX as u64;
    }
    let bits = x.to_bits();
    (if bits & (1 << 31) != 0 { !bits } else { bits | (1 << 31) }) as u64
}

fn f32_from_key(k: u64) -> f32 {
    let k = k as u32;
    f32::from_bits(if k & (1 << 31) != 0 { k & !(1 << 31) } else { !k })
}

/// The keys of a lane and how many low bytes they use, for the types with a radix order.
/// `merge_zeros` gives −0 the key of +0, as argsort needs (they compare equal, so a stable
/// order keeps them in index order); sort keeps them apart so the values round-trip.
pub(super) fn keys_of<T: Element>(lane: &[T], merge_zeros: bool) -> Option<(Vec<u64>, usize)> {
    if let Some(s) = downcast_slice::<T, f64>(lane) {
        let zero = |x: f64| if merge_zeros && x == 0.0 { 0.0 } else { x };
        Some((s.iter().map(|&x| f64_key(zero(x))).collect(), 8))
    } else if let Some(s) = downcast_slice::<T, f32>(lane) {
        let zero = |x: f32| if merge_zeros && x == 0.0 { 0.0 } else { x };
        Some((s.iter().map(|&x| f32_key(zero(x))).collect(), 4))
    } else if let Some(s) = downcast_slice::<T, i64>(lane) {
        Some((s.iter().map(|&x| (x as u64) ^ SIGN64).collect(), 8))
    } else if let Some(s) = downcast_slice::<T, i32>(lane) {
        Some((s.iter().map(|&x| ((x as u32) ^ (1 << 31)) as u64).collect(), 4))
    } else {
        downcast_slice::<T, u8>(lane).map(|s| (s.iter().map(|&x| x as u64).collect(), 1))
    }
}

/// Writes the values the sorted `keys` stand for back into `lane`.
pub(super) fn write_from_keys<T: Element>(lane: &mut [T], keys: &[u64]) {
    if let Some(s) = downcast_slice_mut::<T, f64>(lane) {
        s.iter_mut().zip(keys).for_each(|(x, &k)| *x = f64_from_key(k));
    } else if let Some(s) = downcast_slice_mut::<T, f32>(lane) {
        s.iter_mut().zip(keys).for_each(|(x, &k)| *x = f32_from_key(k));
    } else if let Some(s) = downcast_slice_mut::<T, i64>(lane) {
        s.iter_mut().zip(keys).for_each(|(x, &k)| *x = (k ^ SIGN64) as i64);
    } else if let Some(s) = downcast_slice_mut::<T, i32>(lane) {
        s.iter_mut().zip(keys).for_each(|(x, &k)| *x = ((k as u32) ^ (1 << 31)) as i32);
    } else if let Some(s) = downcast_slice_mut::<T, u8>(lane) {
        s.iter_mut().zip(keys).for_each(|(x, &k)| *x = k as u8);
    } else {
        unreachable!("write_from_keys: {} has no radix keys", T::DTYPE.name());
    }
}

/// Stable LSD radix sort of `keys` on their low `key_bytes` bytes, moving `payload` (empty, or
/// one entry per key) along with them.
pub(super) fn radix_sort(keys: &mut Vec<u64>, payload: &mut Vec<u32>, key_bytes: usize) {
    let n = keys.len();
    let carry = !payload.is_empty();
    let mut keys_next = vec![0u64; n];
    let mut payload_next = vec![0u32; if carry { n } else { 0 }];
    // Every pass's histogram in one read of the keys.
    let mut histograms = vec![[0usize; 256]; key_bytes];
    for &k in keys.iter() {
        for (pass, counts) in histograms.iter_mut().enumerate() {
            counts[((k >> (8 * pass)) & 0xFF) as usize] += 1;
        }
    }
    for (pass, counts) in histograms.iter().enumerate() {
        let shift = 8 * pass;
        if counts.contains(&n) {
            continue; // every key has the same byte here: the pass would not move anything
        }
        let mut next = [0usize; 256];
        let mut sum = 0;
        for (slot, &c) in next.iter_mut().zip(counts) {
            *slot = sum;
            sum += c;
        }
        for i in 0..n {
            let d = ((keys[i] >> shift) & 0xFF) as usize;
            let at = next[d];
            next[d] += 1;
            keys_next[at] = keys[i];
            if carry {
                payload_next[at] = payload[i];
            }
        }
        std::mem::swap(keys, &mut keys_next);
        if carry {
            std::mem::swap(payload, &mut payload_next);
        }
    }
}
