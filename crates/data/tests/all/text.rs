//! `kindling_data::text`: subword tokenizers against Hugging Face `tokenizers` fixtures
//! (`fixtures/make_bpe_fixtures.py`), save/load round trips and their errors, and the exact
//! round trip of byte-level BPE on arbitrary text.

use kindling_data::text::{BpeTrainOptions, ByteBpe, Vocab, WordPiece, WordPieceTrainOptions};
use kindling_data::{datasets_dir, tiny_shakespeare};
use proptest::prelude::*;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/text")
}

fn cases() -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(fixtures().join("subword_cases.json")).unwrap()).unwrap()
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kindling-text-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn ids(value: &serde_json::Value) -> Vec<u32> {
    value.as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as u32).collect()
}

#[test]
fn bpe_trained_by_hugging_face_loads_and_gives_its_ids() {
    let bpe = ByteBpe::load(fixtures().join("bpe")).unwrap();
    assert_eq!(bpe.vocab_size(), 400);
    let cases = cases();
    for case in cases["bpe"].as_array().unwrap() {
        let text = case["text"].as_str().unwrap();
        assert_eq!(bpe.encode(text), ids(&case["ids"]), "encoding {text:?}");
        assert_eq!(bpe.decode(&bpe.encode(text)), text);
    }
}

#[test]
fn bpe_training_learns_the_same_merges_as_hugging_face() {
    let corpus = std::fs::read_to_string(fixtures().join("corpus.txt")).unwrap();
    let ours = ByteBpe::train(&corpus, 400, &BpeTrainOptions::default());
    let theirs = ByteBpe::load(fixtures().join("bpe")).unwrap();
    assert_eq!(ours.merges(), theirs.merges());
    for id in 0..400 {
        assert_eq!(ours.token_bytes(id), theirs.token_bytes(id), "token {id}");
    }
}

#[test]
fn bpe_save_then_load_gives_the_same_tokenizer_and_hugging_face_files() {
    let bpe = ByteBpe::load(fixtures().join("bpe")).unwrap();
    let dir = temp_dir("bpe-save");
    bpe.save(&dir).unwrap();
    let again = ByteBpe::load(&dir).unwrap();
    assert_eq!(again.merges(), bpe.merges());
    let text = "The traveller's timer rang at 5:15 — ☕";
    assert_eq!(again.encode(text), bpe.encode(text));
    let merges = std::fs::read_to_string(dir.join("merges.txt")).unwrap();
    assert_eq!(merges, std::fs::read_to_string(fixtures().join("bpe/merges.txt")).unwrap());
    let ours: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("vocab.json")).unwrap()).unwrap();
    let theirs: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(fixtures().join("bpe/vocab.json")).unwrap()).unwrap();
    assert_eq!(ours, theirs);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn bpe_load_errors_name_the_file_and_the_problem() {
    let dir = temp_dir("bpe-bad");
    let err = ByteBpe::load(&dir).unwrap_err().to_string();
    assert!(err.contains("vocab.json") && err.contains("cannot read"), "{err}");

    std::fs::write(dir.join("vocab.json"), "{\"a\": 0,").unwrap();
    let err = ByteBpe::load(&dir).unwrap_err().to_string();
    assert!(err.contains("vocab.json: expected a JSON object from token to id, found invalid JSON"), "{err}");

    std::fs::write(dir.join("vocab.json"), "{\"a\": 0, \"b\": 5}").unwrap();
    let err = ByteBpe::load(&dir).unwrap_err().to_string();
    assert!(err.contains("expected the ids 0..2 each once, found id 5 for \"b\""), "{err}");

    std::fs::write(dir.join("vocab.json"), "{\"a\": 0, \"b\": 1}").unwrap();
    let err = ByteBpe::load(&dir).unwrap_err().to_string();
    assert!(err.contains("expected a token for each of the 256 bytes, found none for byte 0x00"), "{err}");

    let good = fixtures().join("bpe");
    std::fs::copy(good.join("vocab.json"), dir.join("vocab.json")).unwrap();
    std::fs::write(dir.join("merges.txt"), "#version: 0.2\nh e\nhe llo\n").unwrap();
    let err = ByteBpe::load(&dir).unwrap_err().to_string();
    assert!(err.contains("merges.txt, line 3: expected two tokens of vocab.json, found \"he llo\""), "{err}");
    std::fs::write(dir.join("merges.txt"), "#version: 0.2\nhe\n").unwrap();
    let err = ByteBpe::load(&dir).unwrap_err().to_string();
    assert!(err.contains("merges.txt, line 2: expected two tokens separated by a space"), "{err}");
    std::fs::remove_dir_all(dir).unwrap();
}

/// A byte-level BPE must hold all 256 bytes, or it cannot encode some text (an emoji starts
/// with 0xf0); `load` refuses such a vocabulary, naming the byte, rather than panic in `encode`.
/// (kindling-fuzz's `bpe` target checks that every tokenizer `load` accepts round-trips ASCII,
/// accents, emoji and CJK.)
#[test]
fn bpe_load_refuses_a_vocabulary_missing_one_byte() {
    let dir = temp_dir("bpe-byte");
    let good = fixtures().join("bpe");
    let mut vocab: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(good.join("vocab.json")).unwrap()).unwrap();
    // GPT-2 spells byte 0xf0 as 'ð'; give its id to a two-byte token instead.
    let id = vocab.remove("ð").unwrap();
    assert!(!vocab.contains_key("ðð"));
    vocab.insert("ðð".into(), id);
    std::fs::write(dir.join("vocab.json"), serde_json::Value::Object(vocab).to_string()).unwrap();
    std::fs::copy(good.join("merges.txt"), dir.join("merges.txt")).unwrap();
    let err = ByteBpe::load(&dir).unwrap_err().to_string();
    assert!(err.contains("expected a token for each of the 256 bytes, found none for byte 0xf0 ('ð')"), "{err}");
    std::fs::remove_dir_all(dir).unwrap();
}

fn fixture_bpe() -> &'static ByteBpe {
    static BPE: OnceLock<ByteBpe> = OnceLock::new();
    BPE.get_or_init(|| ByteBpe::load(fixtures().join("bpe")).unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn bpe_round_trips_any_text_exactly(text in any::<String>()) {
        let bpe = fixture_bpe();
        prop_assert_eq!(bpe.decode(&bpe.encode(&text)), text);
    }

    #[test]
    fn bpe_round_trips_mixed_scripts_emoji_and_marks(
        parts in proptest::collection::vec(
            prop_oneof![
                Just("the "), Just("ticking"), Just("日本語"), Just("🦀"), Just("👨‍👩‍👧"), Just("e\u{301}"),
                Just("\u{0}\u{1f}"), Just("\r\n"), Just("  "), Just("'ll"), Just("١٢٣"), Just("\u{feff}"),
            ],
            0..12,
        )
    ) {
        let text = parts.concat();
        let bpe = fixture_bpe();
        prop_assert_eq!(bpe.decode(&bpe.encode(&text)), text);
    }
}

#[test]
fn wordpiece_from_a_hugging_face_vocab_cuts_words_as_it_does() {
    let wp = WordPiece::load(fixtures().join("wordpiece/vocab.txt")).unwrap();
    assert_eq!(wp.vocab_size(), 300);
    let cases = cases();
    for case in cases["wordpiece"].as_array().unwrap() {
        let word = case["word"].as_str().unwrap();
        let tokens: Vec<&str> = case["tokens"].as_array().unwrap().iter().map(|t| t.as_str().unwrap()).collect();
        let got = wp.encode_word(word);
        assert_eq!(got, ids(&case["ids"]), "word {word:?}");
        assert_eq!(got.iter().map(|&i| wp.vocab()[i as usize].as_str()).collect::<Vec<_>>(), tokens);
    }
}

#[test]
fn wordpiece_save_load_round_trip_and_errors() {
    let dir = temp_dir("wordpiece");
    let words = std::fs::read_to_string(fixtures().join("corpus.txt")).unwrap();
    let words: Vec<&str> = kindling_data::text::words(&words);
    let wp = WordPiece::train(&words, 200, &WordPieceTrainOptions::default());
    assert_eq!(wp.vocab_size(), 200);
    assert_eq!(wp.vocab()[..5], ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]);
    assert_eq!(wp.decode(&wp.encode("the bakery")), "the bakery");
    let path = dir.join("vocab.txt");
    wp.save(&path).unwrap();
    assert_eq!(WordPiece::load(&path).unwrap(), wp);

    std::fs::write(&path, "[UNK]\na\n##b\na\n").unwrap();
    let err = WordPiece::load(&path).unwrap_err().to_string();
    assert!(err.contains("vocab.txt, line 4: expected each token once, found \"a\", already on line 2"), "{err}");
    std::fs::write(&path, "a\n##b\n").unwrap();
    let err = WordPiece::load(&path).unwrap_err().to_string();
    assert!(err.contains("vocab.txt: expected a [UNK] token, found none"), "{err}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn vocab_save_load_round_trip_and_errors() {
    let dir = temp_dir("vocab");
    let path = dir.join("vocab.tsv");
    let vocab = Vocab::builder().min_freq(1).build(["tab\there", "a", "a", "back\\slash", "new\nline", "a"]);
    vocab.save(&path).unwrap();
    let again = Vocab::load(&path).unwrap();
    assert_eq!(again, vocab);
    assert_eq!(again.count("a"), 3);
    assert_eq!(again.id("new\nline"), vocab.id("new\nline"));

    std::fs::write(&path, "# kindling vocab, specials: 1\n<unk>\t0\nbroken line\n").unwrap();
    let err = Vocab::load(&path).unwrap_err().to_string();
    assert!(err.contains("vocab.tsv, line 3: expected token<TAB>count, found \"broken line\""), "{err}");
    std::fs::write(&path, "<unk>\t0\n").unwrap();
    let err = Vocab::load(&path).unwrap_err().to_string();
    assert!(err.contains("vocab.tsv, line 1: expected the header"), "{err}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn bpe_on_tiny_shakespeare_round_trips_and_compresses() {
    let Ok(dir) = datasets_dir() else {
        eprintln!("SKIPPED: KINDLING_DATASETS is unset; no Tiny Shakespeare BPE test");
        return;
    };
    let text = tiny_shakespeare(dir.join("tinyshakespeare")).unwrap();
    let sample = &text[..200_000];
    let bpe = ByteBpe::train(sample, 1000, &BpeTrainOptions::default());
    assert_eq!(bpe.vocab_size(), 1000);
    let ids = bpe.encode(sample);
    assert_eq!(bpe.decode(&ids), sample);
    let bytes_per_token = sample.len() as f64 / ids.len() as f64;
    assert!(bytes_per_token > 2.3, "{bytes_per_token} bytes per token");
}
