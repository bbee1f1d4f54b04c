//! `HfTokenizer` against Hugging Face `tokenizers` (tests/fixtures/hf, made by
//! crates/transformer/tests/fixtures/hf/make_hf.py): the same ids for every awkward string,
//! with and without special tokens, the same decoded text, and errors that name the file and
//! the component.

use kindling_data::text::HfTokenizer;
use kindling_data::DataError;
use serde_json::Value;
use std::path::PathBuf;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hf")
}

fn cases() -> Value {
    serde_json::from_str(&std::fs::read_to_string(fixtures().join("cases.json")).unwrap()).unwrap()
}

fn ids(v: &Value) -> Vec<u32> {
    v.as_array().unwrap().iter().map(|x| x.as_u64().unwrap() as u32).collect()
}

/// Every fixture string encodes and decodes as Hugging Face's tokenizer does.
fn matches_hugging_face(name: &str) {
    let tokenizer = HfTokenizer::from_file(fixtures().join(format!("{name}.json"))).unwrap();
    let cases = cases();
    let expected = &cases[name];
    assert_eq!(tokenizer.vocab_size() as u64, expected["vocab_size"].as_u64().unwrap(), "{name}: vocab size");
    let strings = cases["strings"].as_array().unwrap();
    assert!(strings.len() >= 40);
    for (text, case) in strings.iter().zip(expected["cases"].as_array().unwrap()) {
        let text = text.as_str().unwrap();
        assert_eq!(tokenizer.encode(text, false), ids(&case["ids_plain"]), "{name}: ids of {text:?}");
        let with_special = tokenizer.encode(text, true);
        assert_eq!(with_special, ids(&case["ids"]), "{name}: ids with special tokens of {text:?}");
        let tokens: Vec<&str> = ids(&case["ids_plain"]).iter().map(|&id| tokenizer.id_to_token(id).unwrap()).collect();
        let want: Vec<&str> = case["tokens_plain"].as_array().unwrap().iter().map(|t| t.as_str().unwrap()).collect();
        assert_eq!(tokens, want, "{name}: tokens of {text:?}");
        assert_eq!(
            tokenizer.decode(&with_special, false),
            case["decoded"].as_str().unwrap(),
            "{name}: decode of {text:?}"
        );
        assert_eq!(
            tokenizer.decode(&with_special, true),
            case["decoded_skip"].as_str().unwrap(),
            "{name}: decode (skip) of {text:?}"
        );
    }
}

#[test]
fn byte_level_bpe_matches_hugging_face() {
    matches_hugging_face("bpe");
}

#[test]
fn bert_wordpiece_matches_hugging_face() {
    matches_hugging_face("wordpiece");
}

#[test]
fn sequence_normalizer_whitespace_and_bert_processing_match_hugging_face() {
    matches_hugging_face("wordpiece_seq");
}

#[test]
fn byte_level_bpe_round_trips_any_text() {
    let tokenizer = HfTokenizer::from_file(fixtures().join("bpe.json")).unwrap();
    for text in cases()["strings"].as_array().unwrap() {
        let text = text.as_str().unwrap();
        assert_eq!(tokenizer.decode(&tokenizer.encode(text, true), false), text);
    }
}

#[test]
fn vocabulary_lookups_agree() {
    let tokenizer = HfTokenizer::from_file(fixtures().join("wordpiece.json")).unwrap();
    assert_eq!(tokenizer.token_to_id("[CLS]"), Some(2));
    assert_eq!(tokenizer.id_to_token(4), Some("[MASK]"));
    assert_eq!(tokenizer.token_to_id("no such token"), None);
    assert_eq!(tokenizer.id_to_token(600), None);
    for id in 0..tokenizer.vocab_size() as u32 {
        let token = tokenizer.id_to_token(id).unwrap();
        assert_eq!(tokenizer.token_to_id(token), Some(id));
    }
}

#[test]
fn a_missing_file_is_an_io_error_naming_it() {
    let err = HfTokenizer::from_file("/nonexistent/tokenizer.json").expect_err("no file");
    assert!(matches!(err, DataError::Io { .. }), "{err:?}");
    assert!(err.to_string().contains("/nonexistent/tokenizer.json"), "{err}");
}

/// A copy of a fixture with one component replaced, written to a scratch file.
fn with_component(name: &str, key: &str, component: Value) -> Result<HfTokenizer, DataError> {
    let mut json: Value = serde_json::from_str(&std::fs::read_to_string(fixtures().join(name)).unwrap()).unwrap();
    json[key] = component;
    let path = std::env::temp_dir().join(format!("kindling-hf-tokenizer-{key}-{}.json", std::process::id()));
    std::fs::write(&path, json.to_string()).unwrap();
    let result = HfTokenizer::from_file(&path);
    std::fs::remove_file(&path).unwrap();
    result
}

#[test]
fn an_unsupported_component_is_named_with_the_file() {
    let cases = [
        (
            "normalizer",
            serde_json::json!({"type": "Precompiled", "precompiled_charsmap": ""}),
            "Precompiled",
            "`normalizer`",
        ),
        (
            "pre_tokenizer",
            serde_json::json!({"type": "Sequence", "pretokenizers": [{"type": "Whitespace"}, {"type": "Digits", "individual_digits": true}]}),
            "Digits",
            "`pre_tokenizer.pretokenizers[1]`",
        ),
        ("decoder", serde_json::json!({"type": "Metaspace", "replacement": "▁"}), "Metaspace", "`decoder`"),
        ("post_processor", serde_json::json!({"type": "Mystery"}), "Mystery", "`post_processor`"),
    ];
    for (key, component, named, at) in cases {
        let err =
            with_component("wordpiece.json", key, component).err().unwrap_or_else(|| panic!("{named} was accepted"));
        let message = err.to_string();
        assert!(message.contains(named) && message.contains(at) && message.contains("does not implement"), "{message}");
        assert!(message.contains("kindling-hf-tokenizer-"), "the file is not named: {message}");
    }
    let mut model: Value =
        serde_json::from_str(&std::fs::read_to_string(fixtures().join("wordpiece.json")).unwrap()).unwrap();
    model["model"]["type"] = "Unigram".into();
    let message = with_component("wordpiece.json", "model", model["model"].clone()).err().unwrap().to_string();
    assert!(message.contains("Unigram") && message.contains("BPE or WordPiece"), "{message}");
}

#[test]
fn invalid_json_is_malformed() {
    let path = std::env::temp_dir().join(format!("kindling-hf-tokenizer-broken-{}.json", std::process::id()));
    std::fs::write(&path, "{\"model\": ").unwrap();
    let err = HfTokenizer::from_file(&path).expect_err("not JSON");
    std::fs::remove_file(&path).unwrap();
    assert!(matches!(err, DataError::Malformed { .. }) && err.to_string().contains("invalid JSON"), "{err}");
}

/// NFKC, WhitespaceSplit, RobertaProcessing and a Sequence decoder, in a small hand-made file;
/// the expected ids and texts are what Hugging Face `tokenizers` 0.23 gives for it.
#[test]
fn nfkc_whitespace_split_and_roberta_processing_match_hugging_face() {
    let json = r###"{"version":"1.0","truncation":null,"padding":null,"added_tokens":[],
        "normalizer":{"type":"Sequence","normalizers":[{"type":"NFKC"},{"type":"Lowercase"}]},
        "pre_tokenizer":{"type":"WhitespaceSplit"},
        "post_processor":{"type":"RobertaProcessing","sep":["</s>",2],"cls":["<s>",1],"trim_offsets":true,"add_prefix_space":true},
        "decoder":{"type":"Sequence","decoders":[{"type":"WordPiece","prefix":"##","cleanup":false}]},
        "model":{"type":"WordPiece","unk_token":"[UNK]","continuing_subword_prefix":"##","max_input_chars_per_word":100,
            "vocab":{"[UNK]":0,"<s>":1,"</s>":2,"fi":3,"##ne":4,"abc":5,"123":6,"##4":7,"x":8,"é":9,"e":10}}}"###;
    let path = std::env::temp_dir().join(format!("kindling-hf-tokenizer-nfkc-{}.json", std::process::id()));
    std::fs::write(&path, json).unwrap();
    let tokenizer = HfTokenizer::from_file(&path).unwrap();
    std::fs::remove_file(&path).unwrap();
    let cases: [(&str, &[u32], &str); 3] = [
        ("ﬁne ＡＢＣ １２３４ X", &[1, 3, 4, 5, 6, 7, 8, 2], "<s> fine abc 1234 x </s>"),
        ("É e\u{301} ǅ", &[1, 9, 9, 0, 2], "<s> é é [UNK] </s>"),
        ("", &[1, 2], "<s> </s>"),
    ];
    for (text, ids, decoded) in cases {
        assert_eq!(tokenizer.encode(text, true), ids, "{text:?}");
        assert_eq!(tokenizer.encode(text, false), ids[1..ids.len() - 1], "{text:?} without special tokens");
        assert_eq!(tokenizer.decode(ids, false), decoded, "{text:?}");
    }
}
