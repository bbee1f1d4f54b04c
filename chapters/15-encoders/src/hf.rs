//! Checkpoints and tokenizers saved by Hugging Face, compared with the outputs and
//! ids they recorded.

use kindling_autograd::no_grad;
use kindling_data::text::HfTokenizer;
use kindling_tensor::Tensor;
use kindling_transformer::hf::{load_bert, load_bert_mlm, load_gpt2};
use std::path::Path;

/// One comparison with Hugging Face: what was compared, how many numbers, and the
/// largest difference, absolute and relative to the largest magnitude of the
/// reference.
#[derive(Clone, Debug, PartialEq)]
pub struct Parity {
    /// The checkpoint and output.
    pub what: String,
    /// Numbers compared.
    pub count: usize,
    /// max |ours − theirs|.
    pub max_abs: f64,
    /// max |ours − theirs| / max |theirs|.
    pub max_rel: f64,
}

/// Compares `ours` with `theirs` (the same length).
pub fn parity(what: &str, ours: &[f32], theirs: &[f64]) -> Parity {
    assert_eq!(
        ours.len(),
        theirs.len(),
        "parity: {what}: {} values against {}",
        ours.len(),
        theirs.len()
    );
    let max_abs = ours
        .iter()
        .zip(theirs)
        .map(|(&a, &b)| (f64::from(a) - b).abs())
        .fold(0.0, f64::max);
    let scale = theirs.iter().map(|v| v.abs()).fold(0.0, f64::max);
    Parity {
        what: what.to_string(),
        count: ours.len(),
        max_abs,
        max_rel: max_abs / scale.max(f64::MIN_POSITIVE),
    }
}

fn numbers(v: &serde_json::Value, key: &str) -> Result<Vec<f64>, String> {
    let flat = |v: &serde_json::Value| -> Option<Vec<f64>> {
        fn walk(v: &serde_json::Value, out: &mut Vec<f64>) -> Option<()> {
            match v {
                serde_json::Value::Array(items) => {
                    items.iter().try_for_each(|x| walk(x, out))
                }
                other => other.as_f64().map(|x| out.push(x)),
            }
        }
        let mut out = Vec::new();
        walk(v, &mut out).map(|_| out)
    };
    flat(&v[key])
        .filter(|x| !x.is_empty())
        .ok_or_else(|| format!("no numbers under {key:?}"))
}

fn id_matrix(v: &serde_json::Value, key: &str) -> Result<Tensor<i64>, String> {
    let rows = v[key].as_array().ok_or_else(|| format!("no {key:?} matrix"))?;
    let width = rows.first().and_then(|r| r.as_array()).map_or(0, Vec::len);
    let ids: Vec<i64> = numbers(v, key)?.into_iter().map(|x| x as i64).collect();
    Ok(Tensor::from_vec(ids, [rows.len(), width]))
}

// ANCHOR: hf
/// Loads the three checkpoints that `transformers` saved under `dir` (`gpt2/`,
/// `bert/`, `bert_mlm/`: config.json and model.safetensors each), runs them on the
/// inputs recorded in their `expected.json`, and compares with the outputs
/// `transformers` computed.
pub fn hf_parity(dir: &Path) -> Result<Vec<Parity>, Box<dyn std::error::Error>> {
    let expected =
        |name: &str| -> Result<serde_json::Value, Box<dyn std::error::Error>> {
            let path = dir.join(name).join("expected.json");
            let text = std::fs::read_to_string(&path)
                .map_err(|e| format!("{}: {e}", path.display()))?;
            Ok(serde_json::from_str(&text)?)
        };
    let mut out = Vec::new();

    let gpt2 = load_gpt2(dir.join("gpt2"))?;
    let e = expected("gpt2")?;
    let ids = id_matrix(&e, "input_ids")?;
    let logits = no_grad(|| gpt2.forward(&ids).value().to_vec());
    out.push(parity("GPT2LMHeadModel: logits", &logits, &numbers(&e, "logits")?));

    let bert = load_bert(dir.join("bert"))?;
    let e = expected("bert")?;
    let (ids, types, mask) = (
        id_matrix(&e, "input_ids")?,
        id_matrix(&e, "token_type_ids")?,
        id_matrix(&e, "attention_mask")?,
    );
    let result = no_grad(|| bert.forward(&ids, Some(&types), Some(&mask)));
    out.push(parity(
        "BertModel: last hidden state",
        &result.last_hidden_state.value().to_vec(),
        &numbers(&e, "last_hidden_state")?,
    ));
    let pooled = result.pooler_output.ok_or("the BERT checkpoint has no pooler")?;
    out.push(parity(
        "BertModel: pooler output",
        &pooled.value().to_vec(),
        &numbers(&e, "pooler_output")?,
    ));

    let mlm = load_bert_mlm(dir.join("bert_mlm"))?;
    let e = expected("bert_mlm")?;
    let (ids, types, mask) = (
        id_matrix(&e, "input_ids")?,
        id_matrix(&e, "token_type_ids")?,
        id_matrix(&e, "attention_mask")?,
    );
    let logits =
        no_grad(|| mlm.forward(&ids, Some(&types), Some(&mask)).value().to_vec());
    out.push(parity("BertForMaskedLM: logits", &logits, &numbers(&e, "logits")?));
    Ok(out)
}
// ANCHOR_END: hf

/// How one `tokenizer.json` fared on the awkward strings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenizerParity {
    /// The file's stem (`bpe`, `wordpiece`, `wordpiece_seq`).
    pub name: String,
    /// Strings encoded to exactly Hugging Face's ids.
    pub equal: usize,
    /// Strings tried.
    pub strings: usize,
}

/// Encodes the awkward strings of `cases.json` with each `tokenizer.json` of `dir`
/// and counts the strings whose ids (special tokens added) equal those Hugging Face
/// `tokenizers` produced.
pub fn tokenizer_parity(
    dir: &Path,
) -> Result<Vec<TokenizerParity>, Box<dyn std::error::Error>> {
    let path = dir.join("cases.json");
    let cases: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(&path)
            .map_err(|e| format!("{}: {e}", path.display()))?,
    )?;
    let strings =
        cases["strings"].as_array().ok_or("cases.json: no \"strings\"")?;
    let mut out = Vec::new();
    for name in ["bpe", "wordpiece", "wordpiece_seq"] {
        let tokenizer = HfTokenizer::from_file(dir.join(format!("{name}.json")))?;
        let expected = cases[name]["cases"]
            .as_array()
            .ok_or_else(|| format!("cases.json: no {name:?} cases"))?;
        let equal = strings
            .iter()
            .zip(expected)
            .filter(|(s, c)| {
                let ids: Vec<u64> = c["ids"].as_array().map_or(Vec::new(), |a| {
                    a.iter().filter_map(|x| x.as_u64()).collect()
                });
                let ours: Vec<u64> = tokenizer
                    .encode(s.as_str().unwrap_or(""), true)
                    .into_iter()
                    .map(u64::from)
                    .collect();
                ours == ids
            })
            .count();
        out.push(TokenizerParity {
            name: name.to_string(),
            equal,
            strings: strings.len(),
        });
    }
    Ok(out)
}
