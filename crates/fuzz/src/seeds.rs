//! Seed files, built in memory: small valid files of every format (a few hundred bytes to a few
//! KiB), so the mutator starts from inputs that reach deep into each loader.

use crate::targets::Seed;
use image::{ExtendedColorType, ImageEncoder};
use kindling_data::idx::encode_idx_u8;
use kindling_data::text::{BpeTrainOptions, ByteBpe, Vocab, WordPiece, WordPieceTrainOptions};
use kindling_nn::{cross_entropy, BatchNorm1d, Dropout, Linear, Module, ReLU, Sequential};
use kindling_optim::{Adam, AdamConfig};
use kindling_sequence::WordVectors;
use kindling_tensor::safetensors::StateDict;
use kindling_tensor::{Rng, Tensor};
use kindling_train::{seed_everything, EarlyStopping, History, Progress, Trainer};
use std::io::Write;
use std::sync::OnceLock;

/// The header fields of an IDX file: type code, rank, and each dimension's size.
fn idx_fields(rank: usize) -> Vec<(usize, usize)> {
    let mut fields = vec![(2, 1), (3, 1)];
    fields.extend((0..rank).map(|d| (4 + 4 * d, 4)));
    fields
}

/// An IDX file with type code `code` and shape `dims` holding `body`.
fn idx_file(code: u8, dims: &[u32], body: &[u8]) -> Seed {
    let mut bytes = vec![0, 0, code, dims.len() as u8];
    dims.iter().for_each(|d| bytes.extend(d.to_be_bytes()));
    bytes.extend_from_slice(body);
    Seed::new(bytes).fields(idx_fields(dims.len()))
}

/// Two 28×28 MNIST images and their labels, as plain IDX files.
fn mnist_pair() -> (Vec<u8>, Vec<u8>) {
    let pixels: Vec<u8> = (0..2 * 28 * 28).map(|i| ((i * 7) % 256) as u8).collect();
    let images = encode_idx_u8(&Tensor::from_vec(pixels, [2, 28, 28]));
    let labels = encode_idx_u8(&Tensor::from_vec(vec![3u8, 7], [2]));
    (images, labels)
}

/// The good MNIST files that stand beside the mutated one, built once per process.
pub fn mnist_files() -> &'static (Vec<u8>, Vec<u8>) {
    static FILES: OnceLock<(Vec<u8>, Vec<u8>)> = OnceLock::new();
    FILES.get_or_init(mnist_pair)
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).expect("writing to memory");
    encoder.finish().expect("writing to memory")
}

pub fn idx() -> Vec<Seed> {
    let (images, labels) = mnist_pair();
    let be = |vals: &[i32], width: usize| -> Vec<u8> {
        vals.iter().flat_map(|v| v.to_be_bytes()[4 - width..].to_vec()).collect()
    };
    vec![
        Seed::new(images).fields(idx_fields(3)),
        Seed::new(labels).fields(idx_fields(1)),
        idx_file(0x09, &[4], &be(&[-128, -1, 0, 127], 1)),
        idx_file(0x0B, &[2, 3], &be(&[-32768, -1, 0, 1, 2, 32767], 2)),
        idx_file(0x0C, &[3], &be(&[i32::MIN, 0, i32::MAX], 4)),
        idx_file(
            0x0D,
            &[2, 2],
            &[1.5f32, -0.0, f32::NAN, f32::INFINITY].iter().flat_map(|v| v.to_be_bytes()).collect::<Vec<_>>(),
        ),
        idx_file(0x0E, &[2], &[1e300f64, f64::MIN_POSITIVE].iter().flat_map(|v| v.to_be_bytes()).collect::<Vec<_>>()),
    ]
}

/// Prefix 0: the input replaces the image file; prefix 1: the label file. Plain and gzip.
pub fn mnist() -> Vec<Seed> {
    let (images, labels) = mnist_pair();
    vec![
        Seed::new(gzip(&images)).prefix(&[0]),
        Seed::new(gzip(&labels)).prefix(&[1]),
        Seed::new(images).fields(idx_fields(3)).prefix(&[0]),
        Seed::new(labels).fields(idx_fields(1)).prefix(&[1]),
    ]
}

pub fn csv() -> Vec<Seed> {
    [
        "sepal_length,sepal_width,species\n5.1,3.5,setosa\n4.9,NA,versicolor\n6.2,1e3,\"dark, blue\"\n-0.5,?,virginica\n",
        "x;y\r\n1;2\r\n3;4\r\n",
        "name,value,note\n\"a \"\"quoted\"\" name\",1.25,\"two\nlines\"\nété,-3,日本語\n,,\n",
        "a,b,c\n1,2,3\n4,5,6\n7,8,9\n10,11,12\n",
    ]
    .iter()
    .map(|s| Seed::new(s.as_bytes().to_vec()))
    .collect()
}

pub fn text() -> Vec<Seed> {
    [
        "First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n",
        "ça, c'est la question — 日本語のテキスト 🔥\r\nκαλημέρα\tmix of widths: é 日 🔥\n",
    ]
    .iter()
    .map(|s| Seed::new(s.as_bytes().to_vec()))
    .collect()
}

/// A 16×16 image with a pattern in every channel, so compressed data is not trivial.
fn pattern(channels: usize) -> Vec<u8> {
    (0..16 * 16 * channels).map(|i| ((i * 13 + (i / 48) * 5) % 256) as u8).collect()
}

fn encode_png(pixels: &[u8], color: ExtendedColorType) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out).write_image(pixels, 16, 16, color).expect("encoding a PNG");
    out
}

fn encode_jpeg(pixels: &[u8], color: ExtendedColorType) -> Vec<u8> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90)
        .write_image(pixels, 16, 16, color)
        .expect("encoding a JPEG");
    out
}

/// The IHDR fields of a PNG: width, height, bit depth, colour type, interlacing.
const PNG_FIELDS: [(usize, usize); 5] = [(16, 4), (20, 4), (24, 1), (25, 1), (28, 1)];

pub fn png_rgb() -> Vec<u8> {
    encode_png(&pattern(3), ExtendedColorType::Rgb8)
}

pub fn png() -> Vec<Seed> {
    let rgba16: Vec<u8> = pattern(8);
    [png_rgb(), encode_png(&pattern(1), ExtendedColorType::L8), encode_png(&rgba16, ExtendedColorType::Rgba16)]
        .into_iter()
        .map(|bytes| Seed::new(bytes).fields(PNG_FIELDS.to_vec()))
        .collect()
}

/// Recomputes the CRC of every whole chunk of a PNG, so a mutated header is not refused for its
/// checksum before the decoder trusts its numbers. Leaves anything that is not a PNG alone.
pub fn fix_png_crcs(data: &mut [u8]) {
    if !data.starts_with(b"\x89PNG") {
        return;
    }
    let mut at = 8;
    while at + 12 <= data.len() {
        let len = u32::from_be_bytes(data[at..at + 4].try_into().expect("4 bytes")) as usize;
        let Some(end) = (at + 8).checked_add(len).filter(|&e| e + 4 <= data.len()) else { break };
        let mut crc = flate2::Crc::new();
        crc.update(&data[at + 4..end]);
        data[end..end + 4].copy_from_slice(&crc.sum().to_be_bytes());
        at = end + 4;
    }
}

/// The frame header fields of a JPEG (after its SOF0 or SOF2 marker): precision, height,
/// width, number of components.
fn jpeg_fields(bytes: &[u8]) -> Vec<(usize, usize)> {
    let sof = bytes.windows(2).position(|w| w[0] == 0xff && (w[1] == 0xc0 || w[1] == 0xc2));
    sof.map_or(Vec::new(), |p| vec![(p + 4, 1), (p + 5, 2), (p + 7, 2), (p + 9, 1)])
}

pub fn jpeg_rgb() -> Vec<u8> {
    encode_jpeg(&pattern(3), ExtendedColorType::Rgb8)
}

pub fn jpeg() -> Vec<Seed> {
    [jpeg_rgb(), encode_jpeg(&pattern(1), ExtendedColorType::L8)]
        .into_iter()
        .map(|bytes| {
            let fields = jpeg_fields(&bytes);
            Seed::new(bytes).fields(fields)
        })
        .collect()
}

pub fn folder() -> Vec<Seed> {
    let jpeg = jpeg_rgb();
    let fields = jpeg_fields(&jpeg);
    vec![Seed::new(png_rgb()).fields(PNG_FIELDS.to_vec()), Seed::new(jpeg).fields(fields)]
}

/// The safetensors header length, the one binary field of the format.
const SAFETENSORS_FIELDS: [(usize, usize); 1] = [(0, 8)];

fn safetensors_seed(dict: &StateDict) -> Seed {
    Seed::new(dict.to_bytes()).fields(SAFETENSORS_FIELDS.to_vec())
}

pub fn safetensors() -> Vec<Seed> {
    let mut dict = StateDict::new();
    dict.set_metadata("format", "pt");
    dict.insert("weight", Tensor::from_vec(vec![0.5f32, -1.0, 2.0, 0.0, 1e-3, 7.0], [2, 3]));
    dict.insert("bias", Tensor::from_vec(vec![1.0f64, -2.0], [2]));
    dict.insert("steps", Tensor::scalar(42i64));
    dict.insert("ids", Tensor::from_vec(vec![1i32, -1, 65536], [3]));
    dict.insert("pixels", Tensor::from_vec(vec![0u8, 128, 255, 7], [2, 2]));
    dict.insert("mask", Tensor::from_vec(vec![true, false], [2]));
    dict.insert("empty", Tensor::<f32>::from_vec(vec![], [0, 4]));
    vec![safetensors_seed(&dict)]
}

/// The small model whose state dicts the `state_dict` target loads.
pub fn small_model(seed: u64) -> Sequential {
    let mut rng = Rng::seed(seed);
    Sequential::new()
        .add(Linear::new(3, 4, &mut rng))
        .add(BatchNorm1d::new(4))
        .add(ReLU)
        .add(Linear::new(4, 2, &mut rng))
}

pub fn state_dict() -> Vec<Seed> {
    let model = small_model(1);
    // Train-mode forward passes move the batch-norm statistics off their initial values.
    let x = Tensor::from_vec((0..12).map(|i| i as f32 * 0.25 - 1.0).collect(), [4, 3]);
    let _ = kindling_nn::Forward::forward(&model, &kindling_autograd::Variable::constant(x));
    let mut dict = model.state_dict();
    dict.set_metadata("format", "pt");
    vec![safetensors_seed(&dict)]
}

/// A fresh small trainer (model, Adam, early stopping, a tracked generator), the same every
/// time, handed to `f`: the checkpoint seed is written by one, and inputs are restored into one.
pub fn with_trainer<R>(f: impl FnOnce(&mut Trainer<'_, Tensor<i64>>) -> R) -> R {
    let mut rng = Rng::seed(3);
    let model = Sequential::new()
        .add(Linear::new(2, 4, &mut rng))
        .add(ReLU)
        .add(Dropout::new(0.1, &mut rng))
        .add(Linear::new(4, 2, &mut rng));
    let mut optimizer = Adam::new(model.parameters(), AdamConfig { lr: 0.05, ..Default::default() });
    let mut trainer = Trainer::new(&model, &mut optimizer, cross_entropy)
        .progress(Progress::Quiet)
        .callback(EarlyStopping::new("loss", 5))
        .track_rng("augment", seed_everything(4).shared("augment"));
    f(&mut trainer)
}

pub fn checkpoint() -> Vec<Seed> {
    let x = Tensor::from_vec(vec![-1.0f32, 0.5, 1.0, -0.5, 0.2, 0.9, -0.8, -0.1], [4, 2]);
    let y = Tensor::from_vec(vec![0i64, 1, 1, 0], [4]);
    let bytes = with_trainer(|trainer| {
        trainer.fit(&vec![(x, y)], None, 2).expect("a run without checkpoint files cannot fail");
        let mut checkpoint = trainer.to_checkpoint();
        // The history logs wall time; fix it, or the seed (and every input) changes per process.
        let h = &checkpoint.history;
        let seconds = h.names().iter().position(|n| n == "seconds");
        let rows = h
            .rows()
            .iter()
            .map(|r| r.iter().enumerate().map(|(i, &v)| if Some(i) == seconds { 0.25 } else { v }).collect());
        checkpoint.history = History::from_parts(h.names().to_vec(), h.epochs().to_vec(), rows.collect());
        checkpoint.to_state_dict().to_bytes()
    });
    vec![Seed::new(bytes).fields(SAFETENSORS_FIELDS.to_vec())]
}

/// Text the tokenizer seeds are trained on: English, accents, CJK and emoji, so the merges
/// join multi-byte characters too.
const SUBWORD_CORPUS: &str = "low lower lowest low low newer newest new new wider wide the the called \
                              café cafés naïve naïve 日本語 日本 🔥🔥 🔥 k kheer kheer";

/// A folder of its own for building a seed from a saver: one per call, since tests build seeds
/// on several threads of one process.
fn seed_dir(name: &str) -> std::path::PathBuf {
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("kindling-fuzz-seed-{name}-{}-{call}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("seed folder");
    dir
}

/// `vocab.json` and `merges.txt` of a small byte-level BPE trained on `SUBWORD_CORPUS`,
/// written by `ByteBpe::save`, built once per process.
pub fn bpe_files() -> &'static (Vec<u8>, Vec<u8>) {
    static FILES: OnceLock<(Vec<u8>, Vec<u8>)> = OnceLock::new();
    FILES.get_or_init(|| {
        let bpe = ByteBpe::train(SUBWORD_CORPUS, 256 + 40, &BpeTrainOptions { min_frequency: 2 });
        let dir = seed_dir("bpe");
        bpe.save(&dir).expect("saving the seed tokenizer");
        let read = |name: &str| std::fs::read(dir.join(name)).expect("reading the seed tokenizer");
        let files = (read("vocab.json"), read("merges.txt"));
        let _ = std::fs::remove_dir_all(&dir);
        files
    })
}

/// Prefix 0: the input replaces `vocab.json`; prefix 1: `merges.txt`.
pub fn bpe() -> Vec<Seed> {
    let (vocab, merges) = bpe_files();
    vec![Seed::new(vocab.clone()).prefix(&[0]), Seed::new(merges.clone()).prefix(&[1])]
}

/// BERT vocabularies: one by hand (specials, whole words, `##` pieces, CRLF line ends), one
/// trained and written by `WordPiece::save`.
pub fn wordpiece() -> Vec<Seed> {
    let by_hand = "[PAD]\r\n[UNK]\r\n[CLS]\r\n[SEP]\r\n[MASK]\r\nthe\r\ncalled\r\nk\r\n##he\r\n##er\r\n,\r\n!\r\n\
                   caf\r\n##é\r\n日\r\n##本\r\n🔥\r\n##s\r\n";
    let words: Vec<&str> = SUBWORD_CORPUS.split_whitespace().collect();
    let options = WordPieceTrainOptions { min_frequency: 1, ..Default::default() };
    let trained = WordPiece::train(words, 80, &options);
    let path = seed_dir("wordpiece").join("vocab.txt");
    trained.save(&path).expect("saving the seed vocabulary");
    let saved = std::fs::read(&path).expect("reading the seed vocabulary");
    let _ = std::fs::remove_dir_all(path.parent().expect("a folder"));
    vec![Seed::new(by_hand.as_bytes().to_vec()), Seed::new(saved)]
}

/// Word vocabularies written by `Vocab::save`: the default specials, and no specials (so no
/// `<unk>`) with tokens that need escapes (a tab, a newline, a backslash).
pub fn vocab() -> Vec<Seed> {
    let dir = seed_dir("vocab");
    let path = dir.join("vocab.txt");
    let mut out = Vec::new();
    for vocab in [
        Vocab::builder().build(SUBWORD_CORPUS.split_whitespace()),
        Vocab::builder().specials::<&str>(&[]).build(["a\tb", "a\tb", "line\nbreak", "back\\slash", "日本"]),
    ] {
        vocab.save(&path).expect("saving the seed vocabulary");
        out.push(Seed::new(std::fs::read(&path).expect("reading the seed vocabulary")));
    }
    let _ = std::fs::remove_dir_all(&dir);
    out
}

/// word2vec text files: by hand (exponents, negative zero, multi-byte words, a blank line),
/// and written by `WordVectors::save_text`.
pub fn word2vec() -> Vec<Seed> {
    let by_hand = "4 3\nking 0.5 -0.25 1\nqueen 0.45 -0.2 9.5e-1\n\ncafé 1e-3 -0 -2\n日本 3 4 0\n";
    let vectors = WordVectors::new(
        ["the", "cat", "sat", "on", "mat"].map(String::from).to_vec(),
        (0..10).map(|i| (i as f32 * 0.37).sin() / 3.0).collect(),
        2,
    );
    let path = seed_dir("word2vec").join("vectors.txt");
    vectors.save_text(&path).expect("saving the seed vectors");
    let saved = std::fs::read(&path).expect("reading the seed vectors");
    let _ = std::fs::remove_dir_all(path.parent().expect("a folder"));
    vec![Seed::new(by_hand.as_bytes().to_vec()), Seed::new(saved)]
}

#[cfg(test)]
mod tests {
    use crate::targets::{Scratch, TARGETS};

    /// Seeds are the same every time they are built: inputs are regenerated from their index in
    /// another process, so they must not depend on the clock.
    #[test]
    fn seeds_are_deterministic() {
        for target in &TARGETS {
            let (a, b) = ((target.seeds)(), (target.seeds)());
            assert!(a.iter().zip(&b).all(|(a, b)| a.bytes == b.bytes), "{} seeds differ between builds", target.name);
        }
    }

    /// Every seed is a valid file: its target accepts it.
    #[test]
    fn every_target_accepts_its_seeds() {
        let scratch = Scratch { dir: Scratch::path("seed-check", std::process::id()) };
        for target in &TARGETS {
            for (i, seed) in (target.seeds)().iter().enumerate() {
                let mut input = seed.prefix.clone();
                input.extend(&seed.bytes);
                let outcome = (target.run)(&scratch, &input);
                assert!(outcome.is_ok(), "{} seed {i} ({} bytes) refused: {outcome:?}", target.name, seed.bytes.len());
            }
        }
        let _ = std::fs::remove_dir_all(&scratch.dir);
    }
}
