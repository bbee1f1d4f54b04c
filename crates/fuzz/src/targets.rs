//! The fuzz targets: one per loader, each with its seed files and the code that feeds it one
//! input. A target returns `Ok` when the loader accepted the input and `Err` with the loader's
//! message when it refused it; both are fine. A panic, an abort, a hang or an oversized
//! allocation is a finding. A few targets also assert a cheap invariant that holds for every
//! accepted input (text decodes back to itself, a safetensors dict saves and loads back whole).

use crate::seeds;
use kindling_autograd::Variable;
use kindling_data::csv::{parse_csv, read_csv, CsvOptions};
use kindling_data::datasets::{mnist, mnist_file_names, Split};
use kindling_data::idx::parse_idx;
use kindling_data::text::{ByteBpe, Vocab, WordPiece, UNK};
use kindling_data::{CharVocab, Dataset};
use kindling_nn::{Forward, Module};
use kindling_sequence::WordVectors;
use kindling_tensor::safetensors::{StateDict, CHECKSUM_KEY};
use kindling_tensor::Tensor;
use kindling_train::Checkpoint;
use kindling_vision::folder::{ImageFolder, OnError};
use kindling_vision::image::{decode, load, ColorMode};
use std::path::{Path, PathBuf};

/// A valid file to mutate.
#[derive(Clone, Debug)]
pub struct Seed {
    /// The file's bytes.
    pub bytes: Vec<u8>,
    /// Header fields as (byte offset, width in bytes), set to extremes by the mutator.
    pub fields: Vec<(usize, usize)>,
    /// Bytes put in front of every input made from this seed, unmutated: for targets that read
    /// several files, it says which file the input replaces.
    pub prefix: Vec<u8>,
}

impl Seed {
    pub fn new(bytes: Vec<u8>) -> Self {
        Seed { bytes, fields: Vec::new(), prefix: Vec::new() }
    }

    pub fn fields(mut self, fields: Vec<(usize, usize)>) -> Self {
        self.fields = fields;
        self
    }

    pub fn prefix(mut self, prefix: &[u8]) -> Self {
        self.prefix = prefix.to_vec();
        self
    }
}

/// A folder of its own for a target's files, inside one child process.
#[derive(Clone, Debug)]
pub struct Scratch {
    pub dir: PathBuf,
}

impl Scratch {
    /// The scratch folder of `target` in process `pid` (the parent removes it after a crash).
    pub fn path(target: &str, pid: u32) -> PathBuf {
        std::env::temp_dir().join(format!("kindling-fuzz-{target}-{pid}"))
    }

    /// Writes `bytes` to `name` inside the folder, creating folders on the way.
    pub fn write(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("scratch folder");
        }
        std::fs::write(&path, bytes).expect("scratch file");
        path
    }
}

/// What a target did with one input: `Err` holds the loader's refusal, as text.
pub type Outcome = Result<(), String>;

/// A loader under test.
#[derive(Debug)]
pub struct Target {
    /// The name used on the command line and for the regression folder.
    pub name: &'static str,
    /// What is fed to what.
    pub about: &'static str,
    /// Builds the seed files.
    pub seeds: fn() -> Vec<Seed>,
    /// Tokens of the format for the mutator to insert.
    pub dictionary: &'static [&'static [u8]],
    /// Whether decimal numbers in the seeds are text worth replacing (JSON, CSV).
    pub numbers: bool,
    /// Repairs checksums after a mutation, so it reaches past the checksum test (applied to
    /// the header-field inputs and to half of the random ones).
    pub fixup: Option<fn(&mut [u8])>,
    /// Feeds one input to the loader.
    pub run: fn(&Scratch, &[u8]) -> Outcome,
    /// The share of the test run's time per target ([`crate::test_seconds`]) it gets: 1 for
    /// the binary formats, less for the small text formats (vocabularies, word vectors), whose
    /// loaders are short and whose inputs are cheap, so the test stays within seconds.
    pub test_share: f64,
}

const TEXT_TOKENS: &[&[u8]] = &[
    b",",
    b"\"",
    b"\"\"",
    b"\n",
    b"\r\n",
    b"\r",
    b";",
    b"\t",
    b"NA",
    b"NaN",
    b"inf",
    b"-inf",
    b"1e999",
    b"-0",
    "\u{feff}".as_bytes(),
    "é".as_bytes(),
    "日本".as_bytes(),
    "🔥".as_bytes(),
    b"\0",
    b"\xff",
    b"\xc3",
    b"\xed\xa0\x80",
    b"\xc0\x80",
];
const JSON_TOKENS: &[&[u8]] = &[
    b"{",
    b"}",
    b"[",
    b"]",
    b",",
    b":",
    b"\"",
    b"null",
    b"-1",
    b"1.5",
    b"\"dtype\":\"F32\"",
    b"\"BOOL\"",
    b"\"U8\"",
    b"\"I64\"",
    b"\"F16\"",
    b"\"shape\":[]",
    b"\"data_offsets\":[0,0]",
    b"\"__metadata__\":{}",
    b"\"format\":\"pt\"",
    b"epochs_done",
    b"model.",
    b"optimizer.",
    b"rng.",
    b"history.",
    b"\\u0000",
];
const VOCAB_TOKENS: &[&[u8]] = &[
    b"\"",
    b":",
    b",",
    b"{",
    b"}",
    b"\\u0000",
    b"\\ud800",
    b"\\\\",
    b" ",
    b"\n",
    b"\r\n",
    b"\t",
    b"#version: 0.2",
    "\u{120}".as_bytes(),
    "\u{10a}".as_bytes(),
    "\u{100}".as_bytes(),
    b"##",
    b"[UNK]",
    b"<unk>",
    b"# kindling vocab, specials:",
    b"\\t",
    b"\\",
    "\u{feff}".as_bytes(),
    "é".as_bytes(),
    "日本".as_bytes(),
    "🔥".as_bytes(),
    b"\xff",
    b"\xc3",
];
const VECTOR_TOKENS: &[&[u8]] = &[
    b" ",
    b"\n",
    b"\r\n",
    b"\t",
    b"NaN",
    b"nan",
    b"inf",
    b"-inf",
    b"infinity",
    b"1e39",
    b"1e20",
    b"1e-45",
    b"-0",
    b"3.4028235e38",
    b"0x10",
    b"+",
    b".",
    "\u{feff}".as_bytes(),
    "\u{a0}".as_bytes(),
    "é".as_bytes(),
    "🔥".as_bytes(),
    b"\xff",
];
const IMAGE_TOKENS: &[&[u8]] = &[
    b"IHDR",
    b"IDAT",
    b"IEND",
    b"PLTE",
    b"tRNS",
    b"eXIf",
    b"\xff\xd8",
    b"\xff\xc0",
    b"\xff\xc2",
    b"\xff\xc4",
    b"\xff\xda",
    b"\xff\xd9",
    b"\xff\xdd",
    b"\xff\xe1",
    b"\xff\xdb",
];

/// Every target, in the order they run.
pub static TARGETS: [Target; 14] = [
    Target {
        name: "idx",
        about: "kindling_data::idx::parse_idx on IDX bytes of every element type",
        seeds: seeds::idx,
        dictionary: &[],
        numbers: false,
        fixup: None,
        run: run_idx,
        test_share: 1.0,
    },
    Target {
        name: "mnist",
        about: "kindling_data::datasets::mnist on an image file and a label file, one of them mutated",
        seeds: seeds::mnist,
        dictionary: &[],
        numbers: false,
        fixup: None,
        run: run_mnist,
        test_share: 1.0,
    },
    Target {
        name: "csv",
        about: "kindling_data::csv::parse_csv + to_tensor, and read_csv on the same bytes as a file",
        seeds: seeds::csv,
        dictionary: TEXT_TOKENS,
        numbers: true,
        fixup: None,
        run: run_csv,
        test_share: 1.0,
    },
    Target {
        name: "text",
        about: "kindling_data::text::read_text, CharVocab::new, encode and decode",
        seeds: seeds::text,
        dictionary: TEXT_TOKENS,
        numbers: false,
        fixup: None,
        run: run_text,
        test_share: 1.0,
    },
    Target {
        name: "png",
        about: "kindling_vision::image::decode (RGB) and load (gray) on PNG bytes",
        seeds: seeds::png,
        dictionary: IMAGE_TOKENS,
        numbers: false,
        fixup: Some(seeds::fix_png_crcs),
        run: run_image,
        test_share: 1.0,
    },
    Target {
        name: "jpeg",
        about: "kindling_vision::image::decode (RGB) and load (gray) on JPEG bytes",
        seeds: seeds::jpeg,
        dictionary: IMAGE_TOKENS,
        numbers: false,
        fixup: None,
        run: run_image,
        test_share: 1.0,
    },
    Target {
        name: "folder",
        about: "kindling_vision::folder::ImageFolder open/open_verified and get, one image of four mutated",
        seeds: seeds::folder,
        dictionary: IMAGE_TOKENS,
        numbers: false,
        fixup: Some(seeds::fix_png_crcs),
        run: run_folder,
        test_share: 1.0,
    },
    Target {
        name: "safetensors",
        about: "StateDict::from_bytes with and without its checksum, then to_bytes and back",
        seeds: seeds::safetensors,
        dictionary: JSON_TOKENS,
        numbers: true,
        fixup: None,
        run: run_safetensors,
        test_share: 1.0,
    },
    Target {
        name: "checkpoint",
        about: "Checkpoint::load's checks, then (past the checksum) from_state_dict and Trainer::restore",
        seeds: seeds::checkpoint,
        dictionary: JSON_TOKENS,
        numbers: true,
        fixup: None,
        run: run_checkpoint,
        test_share: 1.0,
    },
    Target {
        name: "state_dict",
        about: "kindling_nn load_state_dict into a small Sequential, then a forward pass",
        seeds: seeds::state_dict,
        dictionary: JSON_TOKENS,
        numbers: true,
        fixup: None,
        run: run_state_dict,
        test_share: 1.0,
    },
    Target {
        name: "bpe",
        about: "kindling_data::text::ByteBpe::load on vocab.json and merges.txt, one of them mutated; round trips",
        seeds: seeds::bpe,
        dictionary: VOCAB_TOKENS,
        numbers: true,
        fixup: None,
        run: run_bpe,
        test_share: 0.125,
    },
    Target {
        name: "wordpiece",
        about: "kindling_data::text::WordPiece::load on a BERT vocab.txt, then encode and decode",
        seeds: seeds::wordpiece,
        dictionary: VOCAB_TOKENS,
        numbers: false,
        fixup: None,
        run: run_wordpiece,
        test_share: 0.125,
    },
    Target {
        name: "vocab",
        about: "kindling_data::text::Vocab::load on a saved vocabulary, then encode and decode",
        seeds: seeds::vocab,
        dictionary: VOCAB_TOKENS,
        numbers: true,
        fixup: None,
        run: run_vocab,
        test_share: 0.125,
    },
    Target {
        name: "word2vec",
        about: "kindling_sequence::WordVectors::load_text on word2vec text, then most_similar on the first word",
        seeds: seeds::word2vec,
        dictionary: VECTOR_TOKENS,
        numbers: true,
        fixup: None,
        run: run_word2vec,
        test_share: 0.125,
    },
];

/// The target called `name`.
pub fn find(name: &str) -> Option<&'static Target> {
    TARGETS.iter().find(|t| t.name == name)
}

fn refused(e: impl std::fmt::Display) -> String {
    e.to_string()
}

fn run_idx(_: &Scratch, bytes: &[u8]) -> Outcome {
    let t = parse_idx(bytes, "fuzz.idx").map_err(refused)?;
    let _ = (t.shape(), t.element_name());
    Ok(())
}

/// The first byte says which file the rest replaces: 0 the images, anything else the labels.
fn run_mnist(scratch: &Scratch, input: &[u8]) -> Outcome {
    let (&which, bytes) = input.split_first().ok_or("empty input")?;
    let (images, labels) = seeds::mnist_files();
    let (image_name, label_name) = mnist_file_names(Split::Train);
    scratch.write(&format!("mnist/{image_name}"), if which == 0 { bytes } else { images });
    scratch.write(&format!("mnist/{label_name}"), if which == 0 { labels } else { bytes });
    let data = mnist(scratch.dir.join("mnist"), Split::Train).map_err(refused)?;
    let dataset = data.to_dataset();
    if !dataset.is_empty() {
        let _ = dataset.get(dataset.len() - 1);
    }
    Ok(())
}

fn run_csv(scratch: &Scratch, bytes: &[u8]) -> Outcome {
    let options = CsvOptions::new();
    if let Ok(text) = std::str::from_utf8(bytes) {
        if let Ok(table) = parse_csv(text, "fuzz.csv", &options) {
            let _ = table.to_tensor(&table.numeric_names());
        }
    }
    let path = scratch.write("fuzz.csv", bytes);
    let table = read_csv(&path, &options).map_err(refused)?;
    let x = table.to_tensor(&table.numeric_names()).map_err(refused)?;
    let _ = (x.shape(), table.missing().iter().map(ToString::to_string).count());
    Ok(())
}

fn run_text(scratch: &Scratch, bytes: &[u8]) -> Outcome {
    let path = scratch.write("fuzz.txt", bytes);
    let text = kindling_data::read_text(&path).map_err(refused)?;
    let vocab = CharVocab::new(&text);
    let ids = vocab.encode(&text).expect("every character of a text is in its own vocabulary");
    assert_eq!(vocab.decode(&ids.to_vec()), text, "decode(encode(text)) gives the text back");
    Ok(())
}

fn run_image(scratch: &Scratch, bytes: &[u8]) -> Outcome {
    let rgb = decode(bytes, ColorMode::Rgb).map_err(refused)?;
    assert_eq!(rgb.shape()[0], 3, "an RGB decode has three channels");
    let path = scratch.write("fuzz.img", bytes);
    let gray = load(&path, ColorMode::Gray).map_err(refused)?;
    assert_eq!(gray.shape()[1..], rgb.shape()[1..], "decode and load agree on the size");
    Ok(())
}

/// Three good images in two classes, and the input as a fourth image of the second class.
fn run_folder(scratch: &Scratch, bytes: &[u8]) -> Outcome {
    let root = scratch.dir.join("folder");
    if !root.join("b").exists() {
        let (png, jpeg) = (seeds::png_rgb(), seeds::jpeg_rgb());
        scratch.write("folder/a/0.png", &png);
        scratch.write("folder/a/1.jpg", &jpeg);
        scratch.write("folder/b/0.png", &png);
    }
    // The name says what the content claims to be; decoding guesses from the content anyway.
    let name = if bytes.starts_with(&[0xff, 0xd8]) { "folder/b/x.jpg" } else { "folder/b/x.png" };
    scratch.write(name, bytes);
    let mut accepted = false;
    for verified in [false, true] {
        let open = |on_error| {
            if verified {
                ImageFolder::open_verified(&root, on_error)
            } else {
                ImageFolder::open(&root, on_error)
            }
        };
        // Skip: a corrupt file is left out, and reading every item must not panic.
        if let Ok(folder) = open(OnError::Skip) {
            for i in 0..folder.len() {
                let (image, label) = folder.get(i);
                assert!(label < folder.classes().len() as i64 && image.shape()[0] == 3);
            }
        }
        // Fail: a folder that opened verified has no corrupt file, so no read may panic.
        // (Opened unverified, a corrupt body panics in `get` by design; that is not tested.)
        match open(OnError::Fail) {
            Ok(folder) if verified => {
                accepted = true;
                (0..folder.len()).for_each(|i| drop(folder.get(i)));
            }
            Ok(_) => {}
            Err(e) => {
                let _ = e.to_string();
            }
        }
    }
    std::fs::remove_file(scratch.dir.join(name)).expect("the mutated image was written above");
    if accepted {
        Ok(())
    } else {
        Err("a file was refused".into())
    }
}

/// The same bytes with Kindling's checksum key renamed in place (same length, so every offset
/// still holds). The file then reads as one from another writer, so a mutation reaches the
/// checks behind the checksum instead of stopping at it: most mutations of a checksummed file
/// would otherwise test the checksum alone.
fn unsigned(bytes: &[u8]) -> Vec<u8> {
    let key = format!("\"{CHECKSUM_KEY}\"");
    let mut out = bytes.to_vec();
    if let Some(at) = out.windows(key.len()).position(|w| w == key.as_bytes()) {
        out[at + key.len() - 2] = b'_';
    }
    out
}

fn run_safetensors(_: &Scratch, bytes: &[u8]) -> Outcome {
    let _ = StateDict::from_bytes_verified(bytes);
    let dict = StateDict::from_bytes(&unsigned(bytes)).map_err(refused)?;
    let again = StateDict::from_bytes(&dict.to_bytes()).expect("a dict that loaded saves and loads again");
    assert_eq!(again.len(), dict.len(), "saving and loading keeps every entry");
    Ok(())
}

fn run_checkpoint(_: &Scratch, bytes: &[u8]) -> Outcome {
    let _ = StateDict::from_bytes_verified(bytes).map(|dict| Checkpoint::from_state_dict(&dict));
    let dict = StateDict::from_bytes(&unsigned(bytes)).map_err(refused)?;
    let checkpoint = Checkpoint::from_state_dict(&dict).map_err(refused)?;
    seeds::with_trainer(|trainer| trainer.restore(&checkpoint)).map_err(refused)
}

fn run_state_dict(_: &Scratch, bytes: &[u8]) -> Outcome {
    let _ = StateDict::from_bytes(bytes);
    let dict = StateDict::from_bytes(&unsigned(bytes)).map_err(refused)?;
    let model = seeds::small_model(0);
    model.load_state_dict(&dict).map_err(refused)?;
    model.eval();
    let out = model.forward(&Variable::constant(Tensor::zeros([2, 3])));
    assert_eq!(out.shape(), [2, 2], "the loaded model still maps [2, 3] to [2, 2]");
    Ok(())
}

/// Strings every loaded tokenizer must encode and decode: ASCII, accents (composed and
/// combining), emoji (one with a joiner), CJK, white space and punctuation.
const PROBES: [&str; 6] = [
    "the lower newest, kheer!",
    "café naïve cafe\u{301}",
    "🔥 👩\u{200d}💻 🦀",
    "日本語のテキスト",
    "  tabs\tand\nnew lines  ",
    "",
];

/// The first byte says which file the rest replaces: 0 `vocab.json`, anything else
/// `merges.txt`. An accepted tokenizer must give every probe back exactly: a byte-level BPE
/// holds all 256 bytes (the loader refuses a vocabulary without them), so nothing is unknown.
fn run_bpe(scratch: &Scratch, input: &[u8]) -> Outcome {
    let (&which, bytes) = input.split_first().ok_or("empty input")?;
    let (vocab, merges) = seeds::bpe_files();
    scratch.write("bpe/vocab.json", if which == 0 { bytes } else { vocab });
    scratch.write("bpe/merges.txt", if which == 0 { merges } else { bytes });
    let bpe = ByteBpe::load(scratch.dir.join("bpe")).map_err(refused)?;
    for probe in PROBES {
        let ids = bpe.encode(probe);
        assert!(ids.iter().all(|&id| (id as usize) < bpe.vocab_size()), "ids inside the vocabulary");
        assert_eq!(bpe.decode(&ids), probe, "decode(encode(s)) gives s back");
    }
    Ok(())
}

fn run_wordpiece(scratch: &Scratch, bytes: &[u8]) -> Outcome {
    let path = scratch.write("vocab.txt", bytes);
    let wp = WordPiece::load(&path).map_err(refused)?;
    for probe in PROBES {
        let ids = wp.encode(probe);
        let _ = (wp.decode(&ids), wp.tokens(probe));
    }
    Ok(())
}

/// `encode` maps an unknown token to `<unk>` and panics, by its contract, when the vocabulary
/// has none: without one, only the known tokens are encoded.
fn run_vocab(scratch: &Scratch, bytes: &[u8]) -> Outcome {
    let path = scratch.write("vocab.txt", bytes);
    let vocab = Vocab::load(&path).map_err(refused)?;
    let _ = vocab.specials();
    for probe in PROBES {
        let mut tokens: Vec<&str> = probe.split_whitespace().collect();
        tokens.extend(vocab.tokens().iter().take(3).map(String::as_str));
        if vocab.id(UNK).is_none() {
            tokens.retain(|t| vocab.id(t).is_some());
        }
        let ids = vocab.encode(&tokens);
        let back = vocab.decode(&ids);
        for (t, b) in tokens.iter().zip(back) {
            assert!(b == *t || (b == UNK && vocab.id(t).is_none()), "{t:?} decodes to itself or {UNK}");
        }
    }
    Ok(())
}

/// An accepted file answers a query on its first word with finite cosines in [-1, 1].
fn run_word2vec(scratch: &Scratch, bytes: &[u8]) -> Outcome {
    let path = scratch.write("vectors.txt", bytes);
    let vectors = WordVectors::load_text(&path).map_err(refused)?;
    if let Some(first) = vectors.words().first() {
        for (word, s) in vectors.most_similar(first, 3) {
            assert!(s.is_finite() && s.abs() <= 1.0 + 1e-5, "cosine({first:?}, {word:?}) = {s}");
        }
    }
    Ok(())
}

/// Writes `bytes` under `dir` as a regression file named by its hash, returning the path.
pub fn regression_path(dir: &Path, target: &str, bytes: &[u8]) -> PathBuf {
    dir.join(target).join(format!("{:016x}.bin", crate::mutate::fnv1a(bytes)))
}
