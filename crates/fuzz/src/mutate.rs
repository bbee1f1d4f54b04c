//! Inputs as a pure function of (target, seed, index): a fixed list of systematic mutations
//! of every seed file (header fields set to extremes, numbers in text replaced by extremes,
//! truncation at every length), interleaved with stacked random mutations drawn from a
//! generator seeded by the three values. Any input can be regenerated from its index alone.

use crate::targets::{Seed, Target};

/// Values written into binary header fields (truncated to the field's width).
const EXTREMES: [u64; 8] = [0, 1, 0xffff, 0x1_0000, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff, u64::MAX];

/// Numbers written over decimal numbers in text (JSON headers, CSV cells).
const NUMBERS: [&str; 10] = [
    "0",
    "1",
    "-1",
    "2147483647",
    "4294967295",
    "4294967296",
    "9223372036854775807",
    "18446744073709551615",
    "18446744073709551616",
    "1e309",
];

/// Single bytes worth trying (boundaries of signed and unsigned bytes, zero).
const BYTES: [u8; 6] = [0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff];

/// Inputs never grow past this, so stacked insertions and duplications stay cheap.
const MAX_LEN: usize = 64 << 10;

/// A small, fast generator (SplitMix64): good enough to pick mutations, trivially seeded.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    pub fn coin(&mut self) -> bool {
        self.next_u64() & 1 == 1
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// A position in `0..=len`, half the time within the first 64 bytes, where headers are.
    fn position(&mut self, len: usize) -> usize {
        if self.coin() {
            self.below(len.min(64) + 1)
        } else {
            self.below(len + 1)
        }
    }
}

/// FNV-1a, 64 bits: names regression files and turns target names into generator seeds.
pub fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3))
}

/// One systematic mutation of one seed.
#[derive(Clone, Debug)]
enum Step {
    /// Write `value` at a header field, big- or little-endian.
    Field { seed: usize, offset: usize, width: usize, value: u64, big_endian: bool },
    /// Replace the decimal number at `start..end` with `text`.
    Number { seed: usize, start: usize, end: usize, text: &'static str },
    /// Keep only the first `len` bytes.
    Truncate { seed: usize, len: usize },
}

/// Every input of one target, by index.
pub struct Plan {
    target: &'static Target,
    seeds: Vec<Seed>,
    steps: Vec<Step>,
    name_hash: u64,
}

impl Plan {
    /// Builds the seeds and lists the systematic mutations: header fields first (they find the
    /// most in the fewest inputs), then numbers in text, then truncations.
    pub fn new(target: &'static Target) -> Plan {
        let seeds = (target.seeds)();
        let mut steps = Vec::new();
        for (s, seed) in seeds.iter().enumerate() {
            for &(offset, width) in &seed.fields {
                for &value in &EXTREMES {
                    for big_endian in [true, false] {
                        steps.push(Step::Field { seed: s, offset, width, value, big_endian });
                    }
                }
            }
        }
        for (s, seed) in seeds.iter().enumerate().filter(|_| target.numbers) {
            for (start, end) in number_runs(&seed.bytes).into_iter().take(64) {
                steps.extend(NUMBERS.iter().map(|&text| Step::Number { seed: s, start, end, text }));
            }
        }
        for (s, seed) in seeds.iter().enumerate() {
            steps.extend((0..seed.bytes.len()).map(|len| Step::Truncate { seed: s, len }));
        }
        Plan { target, seeds, steps, name_hash: fnv1a(target.name.as_bytes()) }
    }

    /// How many systematic inputs there are (they take the even indices until used up).
    pub fn systematic_len(&self) -> usize {
        self.steps.len()
    }

    /// The seed files (for tests and for the `--seeds` listing).
    pub fn seeds(&self) -> &[Seed] {
        &self.seeds
    }

    /// Input `index` for generator seed `seed`: the systematic step `index / 2` for even
    /// indices while there are steps left, else a random stack of mutations.
    pub fn input(&self, seed: u64, index: u64) -> Vec<u8> {
        if index.is_multiple_of(2) && ((index / 2) as usize) < self.steps.len() {
            return self.systematic(&self.steps[(index / 2) as usize]);
        }
        let mut rng = Rng::new(self.name_hash ^ seed.wrapping_mul(0x2545_f491_4f6c_dd1d) ^ index.rotate_left(32));
        rng.next_u64();
        let s = rng.below(self.seeds.len());
        let mut data = self.seeds[s].bytes.clone();
        // Mostly one or two mutations: a stack of many rarely gets past the first checks.
        let count = 1 + rng.below(4).min(rng.below(4));
        for _ in 0..count {
            self.mutate(&mut data, &mut rng, &self.seeds[s].fields);
            data.truncate(MAX_LEN);
        }
        if let (Some(fix), true) = (self.target.fixup, rng.coin()) {
            fix(&mut data);
        }
        self.frame(s, data)
    }

    fn frame(&self, seed: usize, data: Vec<u8>) -> Vec<u8> {
        let prefix = &self.seeds[seed].prefix;
        if prefix.is_empty() {
            return data;
        }
        let mut out = prefix.clone();
        out.extend(data);
        out
    }

    fn systematic(&self, step: &Step) -> Vec<u8> {
        match *step {
            Step::Field { seed, offset, width, value, big_endian } => {
                let mut data = self.seeds[seed].bytes.clone();
                write_int(&mut data, offset, width, value, big_endian);
                if let Some(fix) = self.target.fixup {
                    fix(&mut data);
                }
                self.frame(seed, data)
            }
            Step::Number { seed, start, end, text } => {
                let mut data = self.seeds[seed].bytes.clone();
                data.splice(start..end, text.bytes());
                self.frame(seed, data)
            }
            Step::Truncate { seed, len } => self.frame(seed, self.seeds[seed].bytes[..len].to_vec()),
        }
    }

    /// One random mutation, chosen uniformly among the kinds.
    fn mutate(&self, data: &mut Vec<u8>, rng: &mut Rng, fields: &[(usize, usize)]) {
        let len = data.len();
        match rng.below(12) {
            // Flip a few bits.
            0 if len > 0 => {
                for _ in 0..1 + rng.below(8) {
                    let at = rng.position(len - 1);
                    data[at] ^= 1 << rng.below(8);
                }
            }
            // Set a byte to a boundary value.
            1 if len > 0 => {
                let at = rng.position(len - 1);
                data[at] = *rng.pick(&BYTES);
            }
            // Overwrite a run with random bytes.
            2 if len > 0 => {
                let at = rng.position(len - 1);
                let n = (1 + rng.below(32)).min(len - at);
                data[at..at + n].iter_mut().for_each(|b| *b = rng.next_u64() as u8);
            }
            // Insert random bytes.
            3 => {
                let at = rng.position(len);
                let bytes: Vec<u8> = (0..1 + rng.below(32)).map(|_| rng.next_u64() as u8).collect();
                data.splice(at..at, bytes);
            }
            // Delete a range.
            4 if len > 0 => {
                let at = rng.position(len - 1);
                let n = (1 + rng.below(64)).min(len - at);
                data.drain(at..at + n);
            }
            // Duplicate a chunk somewhere else.
            5 if len > 0 => {
                let from = rng.below(len);
                let n = (1 + rng.below(256)).min(len - from);
                let chunk = data[from..from + n].to_vec();
                let at = rng.position(len);
                data.splice(at..at, chunk);
            }
            // Splice: our head, another seed's tail.
            6 => {
                let other = &self.seeds[rng.below(self.seeds.len())].bytes;
                let (cut, from) = (rng.below(len + 1), rng.below(other.len() + 1));
                data.truncate(cut);
                data.extend_from_slice(&other[from..]);
            }
            // A header field, or any position, set to an extreme integer.
            7 | 8 => {
                let (offset, width) = match (rng.coin(), fields.is_empty()) {
                    (true, false) => *rng.pick(fields),
                    _ => (rng.position(len), *rng.pick(&[1, 2, 4, 8])),
                };
                write_int(data, offset, width, *rng.pick(&EXTREMES), rng.coin());
            }
            // Truncate.
            9 => data.truncate(rng.below(len + 1)),
            // A decimal number replaced by an extreme one.
            10 if self.target.numbers => {
                let runs = number_runs(data);
                if !runs.is_empty() {
                    let (start, end) = *rng.pick(&runs);
                    data.splice(start..end, rng.pick(&NUMBERS).bytes());
                }
            }
            // A token of the format inserted, or written over what is there.
            11 if !self.target.dictionary.is_empty() => {
                let token = *rng.pick(self.target.dictionary);
                let at = rng.position(len);
                if rng.coin() {
                    data.splice(at..at, token.iter().copied());
                } else {
                    let end = (at + token.len()).min(len);
                    data.splice(at..end, token.iter().copied());
                }
            }
            _ => {
                let at = rng.position(len);
                data.insert(at, *rng.pick(&BYTES));
            }
        }
    }
}

/// Writes the low `width` bytes of `value` at `offset`, as far as the data reaches.
fn write_int(data: &mut [u8], offset: usize, width: usize, value: u64, big_endian: bool) {
    let bytes = if big_endian { value.to_be_bytes() } else { value.to_le_bytes() };
    let field = if big_endian { &bytes[8 - width..] } else { &bytes[..width] };
    for (k, &b) in field.iter().enumerate() {
        if let Some(slot) = data.get_mut(offset + k) {
            *slot = b;
        }
    }
}

/// The byte ranges of runs of ASCII digits between printable characters: the numbers of a
/// JSON header or a CSV cell (binary data rarely has text on both sides of a digit).
fn number_runs(data: &[u8]) -> Vec<(usize, usize)> {
    let texty = |b: Option<&u8>| b.is_none_or(|&b| b == b'\n' || (0x20..0x7f).contains(&b));
    let mut runs = Vec::new();
    let mut i = 0;
    while i < data.len() {
        if data[i].is_ascii_digit() {
            let start = i;
            while i < data.len() && data[i].is_ascii_digit() {
                i += 1;
            }
            if texty(start.checked_sub(1).and_then(|k| data.get(k))) && texty(data.get(i)) {
                runs.push((start, i));
            }
        } else {
            i += 1;
        }
    }
    runs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_found_in_text() {
        assert_eq!(number_runs(b"{\"shape\":[28,3]}"), vec![(10, 12), (13, 14)]);
        assert_eq!(number_runs(b"\x017 12"), vec![(3, 5)]);
    }

    #[test]
    fn fields_are_written_in_either_byte_order() {
        let mut data = [0u8; 6];
        write_int(&mut data, 1, 4, 0x0102_0304, true);
        assert_eq!(data, [0, 1, 2, 3, 4, 0]);
        write_int(&mut data, 4, 4, u64::MAX, false);
        assert_eq!(data, [0, 1, 2, 3, 0xff, 0xff]);
    }
}
