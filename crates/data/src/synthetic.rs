//! Seeded synthetic datasets, so every chapter runs with no download: a noisy line for the
//! first training loop, 2-D classification shapes (circles, moons, blobs, spirals), a sine
//! series for forecasting, toy sequence tasks (copy, reverse, sort, add) for the sequence
//! chapters, and variable-length string tasks for sequence-to-sequence models
//! ([`string_task`]: digit reversal and sorting, addition written as text).
//!
//! Every generator takes a `seed` and returns the same tensors for the same arguments on every
//! platform. Classification generators return `(points [n, d] f32, labels [n] i64)` with the
//! classes as equal in size as `n` allows and the rows shuffled.

use kindling_tensor::{Rng, Tensor};
use std::f64::consts::PI;

/// Points on the line `y = weight · x + bias` plus Gaussian noise of standard deviation
/// `noise`, at `x = 0, 1/n, 2/n, ..., (n − 1)/n`. Returns `(x [n, 1], y [n, 1])`.
///
/// With `weight = 0.7` and `bias = 0.3` this is the data of the workflow chapter: a model with
/// one weight and one bias should recover both.
pub fn linear(n: usize, weight: f32, bias: f32, noise: f32, seed: u64) -> (Tensor<f32>, Tensor<f32>) {
    let mut rng = Rng::seed(seed);
    let xs: Vec<f32> = (0..n).map(|i| i as f32 / n as f32).collect();
    let ys: Vec<f32> = xs.iter().map(|&x| weight * x + bias + noise * rng.normal_f64() as f32).collect();
    (Tensor::from_vec(xs, [n, 1]), Tensor::from_vec(ys, [n, 1]))
}

/// Per-class sample counts for `n` samples over `k` classes: equal, the first `n % k` classes
/// one larger.
fn class_sizes(n: usize, k: usize) -> Vec<usize> {
    (0..k).map(|c| n / k + usize::from(c < n % k)).collect()
}

/// Shuffles the rows of a dataset built class by class and packs it into tensors.
fn shuffled(points: Vec<Vec<f32>>, labels: Vec<i64>, rng: &mut Rng) -> (Tensor<f32>, Tensor<i64>) {
    let n = labels.len();
    let d = points.first().map_or(0, Vec::len);
    let order = rng.permutation(n);
    let x: Vec<f32> = order.iter().flat_map(|&i| points[i].iter().copied()).collect();
    let y: Vec<i64> = order.iter().map(|&i| labels[i]).collect();
    (Tensor::from_vec(x, [n, d]), Tensor::from_vec(y, [n]))
}

/// Two concentric circles: class 0 on the unit circle, class 1 on the circle of radius
/// `factor` (in (0, 1)), evenly spaced in angle, each coordinate jittered by Gaussian noise of
/// standard deviation `noise`. Not linearly separable; a small MLP separates them.
pub fn circles(n: usize, factor: f32, noise: f32, seed: u64) -> (Tensor<f32>, Tensor<i64>) {
    assert!(factor > 0.0 && factor < 1.0, "circles: factor must be in (0, 1), got {factor}");
    let mut rng = Rng::seed(seed);
    let (mut points, mut labels) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for (class, &count) in class_sizes(n, 2).iter().enumerate() {
        let radius = if class == 0 { 1.0 } else { factor as f64 };
        for i in 0..count {
            let angle = 2.0 * PI * i as f64 / count as f64;
            let jitter = |rng: &mut Rng| (noise as f64 * rng.normal_f64()) as f32;
            points.push(vec![
                (radius * angle.cos()) as f32 + jitter(&mut rng),
                (radius * angle.sin()) as f32 + jitter(&mut rng),
            ]);
            labels.push(class as i64);
        }
    }
    shuffled(points, labels, &mut rng)
}

/// Two interleaving half circles: class 0 is the upper arc `(cos t, sin t)`, class 1 the lower
/// arc `(1 − cos t, 0.5 − sin t)`, `t` evenly spaced in `[0, π]`, plus Gaussian noise.
pub fn moons(n: usize, noise: f32, seed: u64) -> (Tensor<f32>, Tensor<i64>) {
    let mut rng = Rng::seed(seed);
    let (mut points, mut labels) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for (class, &count) in class_sizes(n, 2).iter().enumerate() {
        for i in 0..count {
            let t = if count > 1 { PI * i as f64 / (count - 1) as f64 } else { 0.0 };
            let (x, y) = if class == 0 { (t.cos(), t.sin()) } else { (1.0 - t.cos(), 0.5 - t.sin()) };
            let (ex, ey) = (noise as f64 * rng.normal_f64(), noise as f64 * rng.normal_f64());
            points.push(vec![(x + ex) as f32, (y + ey) as f32]);
            labels.push(class as i64);
        }
    }
    shuffled(points, labels, &mut rng)
}

/// Gaussian blobs: class `c` is drawn around `centers[c]` with standard deviation `std` in
/// every coordinate. Works in any dimension `D`.
pub fn blobs<const D: usize>(n: usize, centers: &[[f32; D]], std: f32, seed: u64) -> (Tensor<f32>, Tensor<i64>) {
    assert!(!centers.is_empty(), "blobs: need at least one center");
    let mut rng = Rng::seed(seed);
    let (mut points, mut labels) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for (class, &count) in class_sizes(n, centers.len()).iter().enumerate() {
        for _ in 0..count {
            points.push(centers[class].iter().map(|&c| c + std * rng.normal_f64() as f32).collect());
            labels.push(class as i64);
        }
    }
    shuffled(points, labels, &mut rng)
}

/// `arms` interleaved spiral arms in the plane: along arm `c` the radius grows from 0 to 1
/// while the angle turns from `2πc / arms` through one and a quarter turns; the angle is
/// jittered by Gaussian noise of standard deviation `noise` (radians). The classic dataset
/// that a linear classifier cannot learn and a two-layer network can.
pub fn spirals(n: usize, arms: usize, noise: f32, seed: u64) -> (Tensor<f32>, Tensor<i64>) {
    assert!(arms >= 1, "spirals: need at least one arm");
    let mut rng = Rng::seed(seed);
    let (mut points, mut labels) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for (class, &count) in class_sizes(n, arms).iter().enumerate() {
        for i in 0..count {
            let r = if count > 1 { i as f64 / (count - 1) as f64 } else { 0.0 };
            let angle = 2.0 * PI * class as f64 / arms as f64 + 2.5 * PI * r + noise as f64 * rng.normal_f64();
            points.push(vec![(r * angle.cos()) as f32, (r * angle.sin()) as f32]);
            labels.push(class as i64);
        }
    }
    shuffled(points, labels, &mut rng)
}

/// A sine wave `sin(2π t / period)` at `t = 0, 1, ..., len − 1`, plus Gaussian noise of
/// standard deviation `noise`. Returns `[len]`; cut it with [`windows`] for forecasting.
pub fn sine_series(len: usize, period: f32, noise: f32, seed: u64) -> Tensor<f32> {
    assert!(period > 0.0, "sine_series: period must be positive, got {period}");
    let mut rng = Rng::seed(seed);
    let v: Vec<f32> = (0..len)
        .map(|t| ((2.0 * PI * t as f64 / period as f64).sin() + noise as f64 * rng.normal_f64()) as f32)
        .collect();
    Tensor::from_vec(v, [len])
}

/// Every forecasting example in a 1-D series: `input_len` consecutive values as input and the
/// `horizon` values that follow as target. Returns `(inputs [m, input_len], targets
/// [m, horizon])` with `m = len − input_len − horizon + 1` windows, in time order (split them by
/// time, not at random, or the future leaks into training).
pub fn windows(series: &Tensor<f32>, input_len: usize, horizon: usize) -> (Tensor<f32>, Tensor<f32>) {
    assert!(series.rank() == 1, "windows: expected a 1-D series, got shape {:?}", series.shape());
    assert!(input_len >= 1 && horizon >= 1, "windows: input_len and horizon must be at least 1");
    let v = series.to_vec();
    assert!(
        v.len() >= input_len + horizon,
        "windows: a series of {} values is too short for input_len {input_len} + horizon {horizon}",
        v.len()
    );
    let m = v.len() - input_len - horizon + 1;
    let inputs: Vec<f32> = (0..m).flat_map(|s| v[s..s + input_len].iter().copied()).collect();
    let targets: Vec<f32> = (0..m).flat_map(|s| v[s + input_len..s + input_len + horizon].iter().copied()).collect();
    (Tensor::from_vec(inputs, [m, input_len]), Tensor::from_vec(targets, [m, horizon]))
}

/// A toy sequence-to-sequence task: token ids in, token ids out.
#[derive(Clone, Debug)]
pub struct SequenceTask {
    /// `[n, input length]` token ids.
    pub inputs: Tensor<i64>,
    /// `[n, target length]` token ids.
    pub targets: Tensor<i64>,
    /// The number of distinct token ids (ids are in `0..vocab`).
    pub vocab: usize,
}

fn random_tokens(n: usize, len: usize, vocab: usize, rng: &mut Rng) -> Vec<Vec<i64>> {
    assert!(vocab >= 1, "sequence task: vocab must be at least 1");
    (0..n).map(|_| (0..len).map(|_| rng.below(vocab as u64) as i64).collect()).collect()
}

fn pack(inputs: Vec<Vec<i64>>, targets: Vec<Vec<i64>>, vocab: usize) -> SequenceTask {
    let n = inputs.len();
    let (li, lt) = (inputs.first().map_or(0, Vec::len), targets.first().map_or(0, Vec::len));
    SequenceTask {
        inputs: Tensor::from_vec(inputs.concat(), [n, li]),
        targets: Tensor::from_vec(targets.concat(), [n, lt]),
        vocab,
    }
}

/// Copy: the target is the input sequence itself (`len` uniform tokens from `0..vocab`).
pub fn copy_task(n: usize, len: usize, vocab: usize, seed: u64) -> SequenceTask {
    let inputs = random_tokens(n, len, vocab, &mut Rng::seed(seed));
    pack(inputs.clone(), inputs, vocab)
}

/// Reverse: the target is the input read backwards.
pub fn reverse_task(n: usize, len: usize, vocab: usize, seed: u64) -> SequenceTask {
    let inputs = random_tokens(n, len, vocab, &mut Rng::seed(seed));
    let targets = inputs.iter().map(|s| s.iter().rev().copied().collect()).collect();
    pack(inputs, targets, vocab)
}

/// Sort: the target is the input tokens in increasing order.
pub fn sort_task(n: usize, len: usize, vocab: usize, seed: u64) -> SequenceTask {
    let inputs = random_tokens(n, len, vocab, &mut Rng::seed(seed));
    let targets = inputs
        .iter()
        .map(|s| {
            let mut t = s.clone();
            t.sort_unstable();
            t
        })
        .collect();
    pack(inputs, targets, vocab)
}

/// The token for `+` in [`addition_task`] (digits are the tokens 0 to 9).
pub const PLUS_TOKEN: i64 = 10;
/// The token for `=` in [`addition_task`].
pub const EQUALS_TOKEN: i64 = 11;

/// Addition digit by digit: the input is `a + b =` written with `digits` digits per number
/// (most significant first, zero-padded), `2 · digits + 2` tokens; the target is the sum with
/// `digits + 1` digits. Tokens: 0-9 the digits, [`PLUS_TOKEN`], [`EQUALS_TOKEN`] (vocab 12).
pub fn addition_task(n: usize, digits: usize, seed: u64) -> SequenceTask {
    assert!((1..=18).contains(&digits), "addition_task: digits must be in 1..=18, got {digits}");
    let mut rng = Rng::seed(seed);
    let limit = 10u64.pow(digits as u32);
    let spell = |mut v: u64, width: usize| -> Vec<i64> {
        let mut out = vec![0i64; width];
        for slot in out.iter_mut().rev() {
            *slot = (v % 10) as i64;
            v /= 10;
        }
        out
    };
    let (mut inputs, mut targets) = (Vec::with_capacity(n), Vec::with_capacity(n));
    for _ in 0..n {
        let (a, b) = (rng.below(limit), rng.below(limit));
        let mut input = spell(a, digits);
        input.push(PLUS_TOKEN);
        input.extend(spell(b, digits));
        input.push(EQUALS_TOKEN);
        inputs.push(input);
        targets.push(spell(a + b, digits + 1));
    }
    pack(inputs, targets, 12)
}

/// The padding token of the string tasks ([`string_task`]).
pub const PAD: i64 = 0;
/// The begin-of-sequence token of the string tasks: a decoder's first input.
pub const BOS: i64 = 1;
/// The end-of-sequence token of the string tasks: a decoder's last target.
pub const EOS: i64 = 2;
/// The characters of the string tasks, token `i + 3` for `STRING_CHARS[i]` (PAD, BOS, EOS
/// first): digits `0`–`9` are tokens 3–12, `+` is token 13.
pub const STRING_CHARS: &str = "0123456789+";
/// The vocabulary size of the string tasks: PAD, BOS, EOS and [`STRING_CHARS`].
pub const STRING_VOCAB: usize = 14;

/// The token of one character of [`STRING_CHARS`]; panics on any other character.
pub fn char_token(c: char) -> i64 {
    match STRING_CHARS.find(c) {
        Some(i) => i as i64 + 3,
        None => panic!("char_token: {c:?} is not one of the string tasks' characters {STRING_CHARS:?}"),
    }
}

/// The tokens of a string over [`STRING_CHARS`] (no BOS or EOS added).
pub fn encode_string(text: &str) -> Vec<i64> {
    text.chars().map(char_token).collect()
}

/// The text of tokens: characters for [`STRING_CHARS`], `<pad>`, `<bos>`, `<eos>` for the
/// specials and `<?N>` for an id out of range.
pub fn decode_string(tokens: &[i64]) -> String {
    tokens
        .iter()
        .map(|&t| match t {
            PAD => "<pad>".to_string(),
            BOS => "<bos>".to_string(),
            EOS => "<eos>".to_string(),
            t if (3..STRING_VOCAB as i64).contains(&t) => {
                STRING_CHARS.chars().nth(t as usize - 3).expect("in range").to_string()
            }
            t => format!("<?{t}>"),
        })
        .collect()
}

/// Which string task [`string_task`] draws.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StringTask {
    /// A digit string of length uniform in `min_len..=max_len`, read backwards.
    Reverse,
    /// A digit string of length uniform in `min_len..=max_len`, its digits in increasing order.
    Sort,
    /// `a+b` with each number of `min_len..=max_len` digits (the count uniform, no leading
    /// zero), the target its sum: `"123+45"` → `"168"`.
    Add,
}

impl StringTask {
    /// The target text of a source text.
    pub fn answer(self, source: &str) -> String {
        match self {
            StringTask::Reverse => source.chars().rev().collect(),
            StringTask::Sort => {
                let mut c: Vec<char> = source.chars().collect();
                c.sort_unstable();
                c.into_iter().collect()
            }
            StringTask::Add => {
                let (a, b) =
                    source.split_once('+').unwrap_or_else(|| panic!("StringTask::Add::answer: {source:?} has no '+'"));
                let parse = |x: &str| -> u128 {
                    x.parse().unwrap_or_else(|_| panic!("StringTask::Add::answer: {x:?} is not a number"))
                };
                (parse(a) + parse(b)).to_string()
            }
        }
    }

    fn draw(self, min_len: usize, max_len: usize, rng: &mut Rng) -> String {
        let len = |rng: &mut Rng| min_len + rng.below((max_len - min_len + 1) as u64) as usize;
        let digits = |n: usize, lead: bool, rng: &mut Rng| -> String {
            (0..n)
                .map(|i| {
                    let d = if lead && i == 0 && n > 1 { 1 + rng.below(9) } else { rng.below(10) };
                    char::from(b'0' + d as u8)
                })
                .collect()
        };
        match self {
            StringTask::Reverse | StringTask::Sort => {
                let n = len(rng);
                digits(n, false, rng)
            }
            StringTask::Add => {
                let (na, nb) = (len(rng), len(rng));
                format!("{}+{}", digits(na, true, rng), digits(nb, true, rng))
            }
        }
    }
}

/// Pairs of token sequences for a sequence-to-sequence model: `sources[i]` maps to
/// `targets[i]`, both unpadded and without BOS or EOS (tokens as in [`STRING_CHARS`]).
#[derive(Clone, Debug, PartialEq)]
pub struct StringPairs {
    pub sources: Vec<Vec<i64>>,
    pub targets: Vec<Vec<i64>>,
}

impl StringPairs {
    pub fn len(&self) -> usize {
        self.sources.len()
    }

    pub fn is_empty(&self) -> bool {
        self.sources.is_empty()
    }
}

/// A training set of `n_train` and a held-out set of `n_held_out` distinct examples of `task`
/// with lengths (digits per number for [`StringTask::Add`]) in `min_len..=max_len`. No source
/// appears twice in either set or in both, so held-out accuracy measures generalisation.
///
/// Which set a source may go to is decided by a seeded hash of the source, so that the
/// held-out share of every part of the task (the few one-digit additions as much as the many
/// long strings) is the same, about `n_held_out / (n_train + n_held_out)`; taking the first
/// draws as held-out instead would send nearly all of the rare short examples there and none
/// to training. Deterministic in `seed`. Panics when the task has too few distinct examples
/// for the sizes asked (short lengths).
pub fn string_task(
    task: StringTask,
    n_train: usize,
    n_held_out: usize,
    min_len: usize,
    max_len: usize,
    seed: u64,
) -> (StringPairs, StringPairs) {
    assert!(
        1 <= min_len && min_len <= max_len && max_len <= 30,
        "string_task: lengths must satisfy 1 <= min_len <= max_len <= 30, got {min_len}..={max_len}"
    );
    let wanted = n_train + n_held_out;
    // Sorting has fewer distinct answers but as many distinct sources; the bound is on sources.
    let per_len = |l: usize| 10f64.powi(l as i32) * if task == StringTask::Add { 0.9 } else { 1.0 };
    let available: f64 = match task {
        StringTask::Add => (min_len..=max_len).map(per_len).sum::<f64>().powi(2),
        _ => (min_len..=max_len).map(per_len).sum(),
    };
    assert!(
        (wanted as f64) * 2.0 <= available,
        "string_task: {wanted} distinct {task:?} examples asked of lengths {min_len}..={max_len}, which hold about {available} (ask for at most half)"
    );
    let share = if wanted == 0 { 0.0 } else { n_held_out as f64 / wanted as f64 };
    let held_out_side = |source: &str| {
        // FNV-1a of the seed and the text, then a final mix; the top 53 bits as a fraction.
        let mut h = 0xcbf2_9ce4_8422_2325u64 ^ seed.wrapping_mul(0x9e37_79b9_7f4a_7c15);
        for b in source.bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        h ^= h >> 33;
        h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
        h ^= h >> 33;
        ((h >> 11) as f64 / (1u64 << 53) as f64) < share
    };
    let mut rng = Rng::seed(seed);
    let mut seen = std::collections::HashSet::with_capacity(wanted);
    let mut sets = [
        StringPairs { sources: Vec::new(), targets: Vec::new() },
        StringPairs { sources: Vec::new(), targets: Vec::new() },
    ];
    let limits = [n_train, n_held_out];
    while sets[0].len() < n_train || sets[1].len() < n_held_out {
        let source = task.draw(min_len, max_len, &mut rng);
        let set = usize::from(held_out_side(&source));
        if sets[set].len() < limits[set] && seen.insert(source.clone()) {
            sets[set].targets.push(encode_string(&task.answer(&source)));
            sets[set].sources.push(encode_string(&source));
        }
    }
    let [train, held_out] = sets;
    (train, held_out)
}
