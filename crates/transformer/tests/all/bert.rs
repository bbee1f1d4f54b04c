//! BERT: Hugging Face parity in f64 (tests/fixtures/make_bert.py writes bert.json), names,
//! shapes, padding, tying, segments, input checks, masking, pooling and retrieval.

use kindling_autograd::Variable;
use kindling_nn::Module;
use kindling_tensor::safetensors::StateDict;
use kindling_tensor::{assert_close, Rng, Tensor, Tolerance};
use kindling_transformer::bert::mlm::{mask_tokens, MlmMasking};
use kindling_transformer::bert::retrieval::{embed, pad_batch, top_k};
use kindling_transformer::bert::{
    mean_pool, BertConfig, BertForMaskedLM, BertForSequenceClassification, BertModel, HiddenAct,
};
use serde_json::Value;
use std::path::PathBuf;

/// The bar for agreement with the reference in f64.
const HF_F64: Tolerance = Tolerance { atol: 1e-9, rtol: 1e-9 };

fn fixture() -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/bert.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn dims(v: &Value) -> Vec<usize> {
    v["shape"].as_array().unwrap().iter().map(|d| d.as_u64().unwrap() as usize).collect()
}

fn floats(v: &Value) -> Tensor<f64> {
    Tensor::from_vec(v["data"].as_array().unwrap().iter().map(|d| d.as_f64().unwrap()).collect(), dims(v))
}

fn ints(v: &Value) -> Tensor<i64> {
    Tensor::from_vec(v["data"].as_array().unwrap().iter().map(|d| d.as_i64().unwrap()).collect(), dims(v))
}

fn state_dict(v: &Value) -> StateDict {
    let mut dict = StateDict::new();
    for (name, t) in v.as_object().unwrap() {
        dict.insert(name.clone(), floats(t));
    }
    dict
}

fn config_of(f: &Value) -> BertConfig {
    let c = &f["config"];
    let size = |k: &str| c[k].as_u64().unwrap() as usize;
    BertConfig {
        vocab_size: size("vocab_size"),
        hidden_size: size("hidden_size"),
        num_hidden_layers: size("num_hidden_layers"),
        num_attention_heads: size("num_attention_heads"),
        intermediate_size: size("intermediate_size"),
        hidden_act: HiddenAct::from_hf(c["hidden_act"].as_str().unwrap()).unwrap(),
        hidden_dropout_prob: 0.0,
        attention_probs_dropout_prob: 0.0,
        max_position_embeddings: size("max_position_embeddings"),
        type_vocab_size: size("type_vocab_size"),
        layer_norm_eps: c["layer_norm_eps"].as_f64().unwrap(),
        pad_token_id: size("pad_token_id"),
    }
}

/// A small f64 config with dropout off.
fn small(vocab: usize) -> BertConfig {
    BertConfig {
        hidden_size: 16,
        num_hidden_layers: 2,
        num_attention_heads: 2,
        intermediate_size: 24,
        max_position_embeddings: 16,
        hidden_dropout_prob: 0.0,
        attention_probs_dropout_prob: 0.0,
        ..BertConfig::tiny(vocab)
    }
}

fn keys(dict: &StateDict) -> Vec<String> {
    let mut k: Vec<String> = dict.keys().map(String::from).collect();
    k.sort();
    k
}

#[test]
fn masked_lm_matches_hugging_face_in_f64() {
    let f = fixture();
    let model = BertForMaskedLM::<f64>::new(config_of(&f), &mut Rng::seed(0));
    let hf = state_dict(&f["mlm_state_dict"]);
    // Our names are Hugging Face's, less the two decoder keys that repeat tied tensors.
    let mut expected = keys(&hf);
    expected.retain(|k| !k.starts_with("cls.predictions.decoder."));
    assert_eq!(keys(&model.state_dict()), expected);
    model.load_state_dict(&hf).expect("Hugging Face's state dict loads strictly");
    let (ids, types, mask) = (ints(&f["input_ids"]), ints(&f["token_type_ids"]), ints(&f["attention_mask"]));
    let logits = model.forward(&ids, Some(&types), Some(&mask));
    assert_close(&logits.value(), &floats(&f["mlm_logits"]), HF_F64);
    let loss = model.loss(&ids, Some(&types), Some(&mask), &ints(&f["labels"]));
    assert!((loss.item() - f["mlm_loss"].as_f64().unwrap()).abs() < 1e-9, "loss {}", loss.item());
}

#[test]
fn sequence_classifier_and_pooler_match_hugging_face_in_f64() {
    let f = fixture();
    let model = BertForSequenceClassification::<f64>::new(config_of(&f), 3, &mut Rng::seed(0));
    let hf = state_dict(&f["cls_state_dict"]);
    assert_eq!(keys(&model.state_dict()), keys(&hf));
    model.load_state_dict(&hf).unwrap();
    let (ids, types, mask) = (ints(&f["input_ids"]), ints(&f["token_type_ids"]), ints(&f["attention_mask"]));
    assert_close(&model.forward(&ids, Some(&types), Some(&mask)).value(), &floats(&f["cls_logits"]), HF_F64);
    let out = model.bert().forward(&ids, Some(&types), Some(&mask));
    assert_close(&out.last_hidden_state.value(), &floats(&f["cls_last_hidden_state"]), HF_F64);
    assert_close(&out.pooler_output.unwrap().value(), &floats(&f["cls_pooler_output"]), HF_F64);
}

#[test]
fn untied_decoder_weights_are_refused() {
    let f = fixture();
    let model = BertForMaskedLM::<f64>::new(config_of(&f), &mut Rng::seed(0));
    let mut hf = state_dict(&f["mlm_state_dict"]);
    let w = floats(&f["mlm_state_dict"]["cls.predictions.decoder.weight"]);
    hf.insert("cls.predictions.decoder.weight", &w + 1.0);
    let err = model.load_state_dict(&hf).unwrap_err();
    assert_eq!(err.unexpected, ["cls.predictions.decoder.weight"]);
}

#[test]
fn shapes_of_every_output() {
    let mut rng = Rng::seed(1);
    let ids = Tensor::from([[2i64, 5, 6, 3], [2, 7, 3, 0]]);
    let model = BertModel::<f64>::new(small(10), true, &mut rng);
    let out = model.forward(&ids, None, None);
    assert_eq!(out.last_hidden_state.shape(), [2, 4, 16]);
    assert_eq!(out.pooler_output.unwrap().shape(), [2, 16]);
    assert!(BertModel::<f64>::new(small(10), false, &mut rng).forward(&ids, None, None).pooler_output.is_none());
    assert_eq!(BertForMaskedLM::<f64>::new(small(10), &mut rng).forward(&ids, None, None).shape(), [2, 4, 10]);
    let classifier = BertForSequenceClassification::<f64>::new(small(10), 5, &mut rng);
    assert_eq!(classifier.forward(&ids, None, None).shape(), [2, 5]);
    let base = BertConfig::base();
    assert_eq!((base.vocab_size, base.hidden_size, base.num_hidden_layers), (30522, 768, 12));
    assert_eq!((base.num_attention_heads, base.intermediate_size, base.max_position_embeddings), (12, 3072, 512));
}

#[test]
fn padding_leaves_the_real_positions_unchanged() {
    let model = BertForMaskedLM::<f64>::new(small(12), &mut Rng::seed(2));
    let short = Tensor::from([[2i64, 5, 6, 3]]);
    let types = Tensor::from([[0i64, 0, 1, 1]]);
    let alone = model.forward(&short, Some(&types), None).value();
    let padded = Tensor::from([[2i64, 5, 6, 3, 0, 0, 0]]);
    let padded_types = Tensor::from([[0i64, 0, 1, 1, 0, 0, 0]]);
    let mask = Tensor::from([[1i64, 1, 1, 1, 0, 0, 0]]);
    let with_pads = model.forward(&padded, Some(&padded_types), Some(&mask)).value();
    assert_close(&with_pads.narrow(1, 0, 4), &alone, HF_F64);
    // Without the mask, the padding is attended to and the outputs move.
    let unmasked = model.forward(&padded, Some(&padded_types), None).value();
    assert!((&unmasked.narrow(1, 0, 4) - &alone).abs().max_all() > 1e-6);
}

#[test]
fn the_decoder_is_the_word_embedding() {
    let model = BertForMaskedLM::<f64>::new(small(12), &mut Rng::seed(3));
    let names: Vec<String> = model.named_parameters().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names.iter().filter(|n| n.contains("word_embeddings") || n.contains("decoder")).count(), 1);
    // A zero embedding row makes that token's logit its bias alone.
    let table = model.bert().word_embeddings();
    let rows = Tensor::<i64>::arange(12).reshape([-1, 1]).eq_scalar(7);
    table.set_value(table.value().masked_fill(&rows, 0.0));
    let logits = model.forward(&Tensor::from([[2i64, 5, 3]]), None, None).value();
    for position in 0..3 {
        assert_eq!(logits.narrow(1, position, 1).narrow(2, 7, 1).to_vec(), [0.0]);
    }
    // One parameter collects the gradient of both uses.
    model.loss(&Tensor::from([[2i64, 5, 3]]), None, None, &Tensor::from([[-100i64, 9, -100]])).backward();
    let grad = table.grad().unwrap();
    assert!(grad.narrow(0, 9, 1).abs().sum_all() > 0.0, "the decoder's gradient reaches the table");
}

#[test]
fn token_types_change_the_output() {
    let model = BertModel::<f64>::new(small(12), false, &mut Rng::seed(4));
    let ids = Tensor::from([[2i64, 5, 6, 3]]);
    let a = model.forward(&ids, None, None).last_hidden_state.value();
    let zeros = model.forward(&ids, Some(&Tensor::zeros([1, 4])), None).last_hidden_state.value();
    let b = model.forward(&ids, Some(&Tensor::from([[0i64, 0, 1, 1]])), None).last_hidden_state.value();
    assert_eq!(a.to_vec(), zeros.to_vec());
    assert!((&a - &b).abs().max_all() > 1e-3);
}

#[test]
fn from_pretrained_copies_the_encoder_only() {
    let mut rng = Rng::seed(5);
    let mlm = BertForMaskedLM::<f64>::new(small(12), &mut rng);
    let classifier = BertForSequenceClassification::from_pretrained(&mlm, 4, &mut rng);
    let ours = classifier.bert().state_dict();
    for (name, p) in mlm.bert().named_parameters() {
        let copied = ours.get(&name).unwrap().cast::<f64>();
        assert_eq!(copied.to_vec(), p.value().to_vec(), "{name}");
    }
    assert!(ours.get("pooler.dense.weight").is_some());
    // A copy, not a share: training the classifier leaves the masked LM alone.
    let before = mlm.bert().word_embeddings().value().to_vec();
    classifier.bert().word_embeddings().set_value(Tensor::zeros([12, 16]));
    assert_eq!(mlm.bert().word_embeddings().value().to_vec(), before);
}

#[test]
#[should_panic(expected = "BertModel::forward: a sequence of 17 tokens is longer than max_position_embeddings 16")]
fn too_long_an_input_panics() {
    let model = BertModel::<f64>::new(small(12), false, &mut Rng::seed(0));
    model.forward(&Tensor::zeros([1, 17]), None, None);
}

#[test]
#[should_panic(
    expected = "BertForMaskedLM::forward: attention_mask of shape [1, 3] must match input_ids of shape [1, 4]"
)]
fn a_mask_of_the_wrong_shape_panics() {
    let model = BertForMaskedLM::<f64>::new(small(12), &mut Rng::seed(0));
    model.forward(&Tensor::zeros([1, 4]), None, Some(&Tensor::ones([1, 3])));
}

#[test]
#[should_panic(expected = "BertModel::forward: token id 12 at [0, 1] is out of range 0..12")]
fn an_unknown_token_panics() {
    let model = BertModel::<f64>::new(small(12), false, &mut Rng::seed(0));
    model.forward(&Tensor::from([[1i64, 12]]), None, None);
}

#[test]
#[should_panic(expected = "BertModel::forward: token type 2 at [0, 0] is out of range 0..2")]
fn an_unknown_segment_panics() {
    let model = BertModel::<f64>::new(small(12), false, &mut Rng::seed(0));
    model.forward(&Tensor::from([[1i64, 2]]), Some(&Tensor::from([[2i64, 0]])), None);
}

#[test]
#[should_panic(expected = "BertForSequenceClassification::loss: labels of shape [3] must be [B] = [1]")]
fn classifier_labels_of_the_wrong_shape_panic() {
    let model = BertForSequenceClassification::<f64>::new(small(12), 2, &mut Rng::seed(0));
    model.loss(&Tensor::from([[1i64, 2]]), None, None, &Tensor::from([0i64, 1, 0]));
}

#[test]
#[should_panic(expected = "BertConfig: hidden_size 16 is not divisible by num_attention_heads 3")]
fn heads_that_do_not_divide_the_width_panic() {
    BertModel::<f64>::new(BertConfig { num_attention_heads: 3, ..small(12) }, false, &mut Rng::seed(0));
}

#[test]
fn masking_follows_the_80_10_10_rule() {
    // INVENTORY fixture #37: about 15% of the ordinary tokens chosen; 80/10/10 among them.
    let (b, t, vocab, mask_id) = (64, 256, 1000, 4);
    let mut rng = Rng::seed(37);
    let mut data: Vec<i64> = (0..b * t).map(|_| 5 + rng.below(vocab as u64 - 5) as i64).collect();
    // Each row: [CLS] … [SEP] then 40 pads.
    for row in data.chunks_mut(t) {
        row[0] = 2;
        row[t - 41] = 3;
        row[t - 40..].fill(0);
    }
    let ids = Tensor::from_vec(data.clone(), [b, t]);
    let (inputs, labels) = mask_tokens(&ids, &[0, 1, 2, 3, 4], mask_id, vocab, &MlmMasking::default(), &mut rng);
    let (inputs, labels) = (inputs.to_vec(), labels.to_vec());
    let ordinary = data.iter().filter(|&&x| x >= 5).count() as f64;
    let (mut chosen, mut masked, mut unchanged) = (0.0, 0.0, 0.0);
    for i in 0..data.len() {
        if labels[i] == -100 {
            assert_eq!(inputs[i], data[i], "unchosen positions are untouched");
            continue;
        }
        assert!(data[i] >= 5, "a special token or padding was chosen at {i}");
        assert_eq!(labels[i], data[i]);
        chosen += 1.0;
        masked += f64::from(inputs[i] == mask_id);
        unchanged += f64::from(inputs[i] == data[i]);
    }
    let random = chosen - masked - unchanged;
    // n ≈ 13,800 ordinary tokens: 3σ ≈ 0.009 on the fraction; ≈ 2,070 chosen: 3σ ≈ 0.027 and 0.02.
    assert!((chosen / ordinary - 0.15).abs() < 0.01, "chosen fraction {}", chosen / ordinary);
    assert!((masked / chosen - 0.8).abs() < 0.03, "masked share {}", masked / chosen);
    // A random draw can hit the original token (1 in 1000): counted as unchanged.
    assert!((random / chosen - 0.1).abs() < 0.025, "random share {}", random / chosen);
    assert!((unchanged / chosen - 0.1).abs() < 0.025, "unchanged share {}", unchanged / chosen);
}

#[test]
fn masking_is_determined_by_the_seed() {
    let ids = Tensor::from_vec((0..400).map(|i| 5 + i % 50).collect::<Vec<i64>>(), [4, 100]);
    let run = |seed| mask_tokens(&ids, &[0], 4, 55, &MlmMasking::default(), &mut Rng::seed(seed));
    let (a, b, c) = (run(7), run(7), run(8));
    assert_eq!((a.0.to_vec(), a.1.to_vec()), (b.0.to_vec(), b.1.to_vec()));
    assert_ne!(a.1.to_vec(), c.1.to_vec());
}

#[test]
#[should_panic(expected = "mask_tokens: mask_ratio + random_ratio")]
fn masking_ratios_past_one_panic() {
    let m = MlmMasking { mask_prob: 0.15, mask_ratio: 0.8, random_ratio: 0.3 };
    mask_tokens(&Tensor::from([[5i64]]), &[], 4, 10, &m, &mut Rng::seed(0));
}

#[test]
fn mean_pool_ignores_padding_and_has_the_right_gradient() {
    let hidden = Tensor::from([[[1.0f64, 2.0], [3.0, 4.0], [100.0, 100.0]], [[5.0, 6.0], [7.0, 8.0], [9.0, 10.0]]]);
    let mask = Tensor::from([[1i64, 1, 0], [1, 1, 1]]);
    let pooled = mean_pool(&Variable::constant(hidden.clone()), &mask).value();
    assert_close(&pooled, &Tensor::from([[2.0, 3.0], [7.0, 8.0]]), HF_F64);
    kindling_autograd::gradcheck::gradcheck("mean_pool", &[hidden], |x| mean_pool(&x[0], &mask));
}

#[test]
#[should_panic(expected = "mean_pool: sequence 1 has no token")]
fn mean_pool_of_an_empty_sequence_panics() {
    mean_pool(&Variable::constant(Tensor::<f64>::zeros([2, 2, 3])), &Tensor::from([[1i64, 0], [0, 0]]));
}

#[test]
fn retrieval_finds_the_passage_itself_first() {
    let model = BertModel::<f64>::new(small(20), false, &mut Rng::seed(6));
    let passages: Vec<Vec<i64>> =
        vec![vec![2, 5, 6, 7, 3], vec![2, 9, 3], vec![2, 11, 12, 13, 14, 15, 3], vec![2, 16, 17, 3]];
    let vectors = embed(&model, &passages, 3);
    assert_eq!(vectors.shape(), [4, 16]);
    // Batching and padding do not change a passage's vector.
    let alone = embed(&model, &passages[1..2], 1);
    assert_close(&vectors.narrow(0, 1, 1), &alone, HF_F64);
    for (i, _) in passages.iter().enumerate() {
        let hits = top_k(&vectors.narrow(0, i, 1).reshape([-1]), &vectors, 2);
        assert_eq!(hits.len(), 2);
        assert_eq!(hits[0].0, i);
        assert!((hits[0].1 - 1.0).abs() < 1e-12 && hits[1].1 < hits[0].1);
    }
    let (ids, mask) = pad_batch(&passages[..2], 4, 0);
    assert_eq!(ids.to_vec(), [2, 5, 6, 7, 2, 9, 3, 0]);
    assert_eq!(mask.to_vec(), [1, 1, 1, 1, 1, 1, 1, 0]);
}

#[test]
fn the_speaker_task_on_tiny_shakespeare() {
    use std::io::Write;
    let dir = match kindling_data::datasets_dir() {
        Ok(dir) => dir.join("tinyshakespeare"),
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "SKIPPED: KINDLING_DATASETS is unset ({e})");
            return;
        }
    };
    let text = kindling_data::datasets::tiny_shakespeare(&dir).expect("tinyshakespeare/input.txt reads");
    let task = kindling_data::text::speaker_passages(&text, 10);
    assert_eq!(task.speakers[..3], ["GLOUCESTER", "DUKE VINCENTIO", "MENENIUS"]);
    let (train, test) = task.split(0.2);
    assert_eq!((train.len(), test.len()), (1592, 429));
    for label in 0..10 {
        let last_train = train.speeches.iter().zip(&train.labels).filter(|(_, &l)| l == label).map(|(s, _)| *s).max();
        let first_test = test.speeches.iter().zip(&test.labels).filter(|(_, &l)| l == label).map(|(s, _)| *s).min();
        assert!(last_train < first_test, "speaker {label}: a test speech comes before a training one");
    }
}

#[test]
#[should_panic(expected = "BertModel::forward: attention_mask row 1 is all 0 (a sequence needs at least one token)")]
fn a_sequence_of_padding_only_panics() {
    let model = BertModel::<f64>::new(small(12), false, &mut Rng::seed(0));
    model.forward(&Tensor::from([[1i64, 2], [0, 0]]), None, Some(&Tensor::from([[1i64, 1], [0, 0]])));
}
