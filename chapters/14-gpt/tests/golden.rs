//! Chapter 14's code in small: a tiny GPT that learns a short text in seconds, a
//! resumed run that ends on the same bits, and the chain rule the loss rests on.

use ch14_gpt::*;
use kindling_nn::Module;
use kindling_optim::Optimizer;
use kindling_tensor::Tensor;
use kindling_transformer::generate::Sampler;
use kindling_transformer::gpt::GptConfig;
use kindling_transformer::train::{LmTrainer, TrainConfig};

const TEXT: &str = "to be or not to be, that is the question. \
    whether tis nobler in the mind to suffer the slings and arrows of outrageous fortune, \
    or to take arms against a sea of troubles and by opposing end them. to die, to sleep, no more. ";

fn small(vocab: usize, dropout: f64) -> GptConfig {
    GptConfig {
        block_size: 16,
        n_layer: 1,
        n_head: 2,
        n_embd: 32,
        dropout,
        ..GptConfig::tiny(vocab)
    }
}

fn recipe(max_iters: usize) -> TrainConfig {
    TrainConfig {
        max_iters,
        batch_size: 8,
        block_size: 16,
        lr: 1e-2,
        min_lr: 1e-3,
        warmup_iters: 10,
        lr_decay_iters: max_iters,
        eval_interval: 40,
        eval_iters: 4,
        seed: 3,
        ..TrainConfig::default()
    }
}

#[test]
fn a_tiny_gpt_learns_a_short_text() {
    let text = TEXT.repeat(6);
    let (vocab, data) = char_data(&text);
    let model = new_gpt(small(vocab.len(), 0.0), 0);
    let history = train_gpt(&model, &data, &recipe(120)).unwrap();
    assert_eq!(
        history.iter().map(|r| r.iter).collect::<Vec<_>>(),
        [0, 40, 80, 120]
    );
    let (first, last) = (history[0], history[3]);
    // From about ln(vocabulary) (uniform guessing) to under half of it.
    assert!(
        (first.train_loss - (vocab.len() as f64).ln()).abs() < 0.3,
        "{first:?}"
    );
    assert!(
        last.train_loss < 0.5 * first.train_loss
            && last.val_loss < 0.55 * first.val_loss,
        "{last:?}"
    );
    // Sampling continues a prompt by the number of tokens asked, the same for the
    // same seed.
    let prompt = vocab.encode("to b").unwrap().to_vec();
    let warm = Sampler { temperature: 0.8, top_k: Some(5), ..Sampler::default() };
    let out = sample(&model, &prompt, 8, &warm, 1);
    assert_eq!(out.len(), 8);
    assert_eq!(out, sample(&model, &prompt, 8, &warm, 1));
}

#[test]
fn a_resumed_gpt_with_dropout_ends_on_the_same_bits() {
    let dir =
        std::env::temp_dir().join(format!("ch14-golden-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (vocab, data) = char_data(&TEXT.repeat(3));
    let config = TrainConfig {
        checkpoint: Some(dir.join("half.safetensors")),
        ..recipe(80)
    };

    let straight = new_gpt(small(vocab.len(), 0.1), 0);
    let loss = |x: &Tensor<i64>, y: &Tensor<i64>| straight.loss(x, y);
    let mut a = LmTrainer::new(
        &straight,
        &loss,
        &TrainConfig { checkpoint: None, ..config.clone() },
    );
    a.run(&data).unwrap();

    {
        let first = new_gpt(small(vocab.len(), 0.1), 0);
        let loss = |x: &Tensor<i64>, y: &Tensor<i64>| first.loss(x, y);
        LmTrainer::new(&first, &loss, &config).run_until(&data, 40).unwrap();
    }
    let resumed = new_gpt(small(vocab.len(), 0.1), 77);
    let loss = |x: &Tensor<i64>, y: &Tensor<i64>| resumed.loss(x, y);
    let mut b =
        LmTrainer::resume(&resumed, &loss, &config, dir.join("half.safetensors"))
            .unwrap();
    b.run(&data).unwrap();
    std::fs::remove_dir_all(&dir).ok();

    let bits = |m: &dyn Module| -> Vec<u32> {
        m.parameters()
            .iter()
            .flat_map(|p| p.value().to_vec())
            .map(f32::to_bits)
            .collect()
    };
    assert_eq!(bits(&resumed), bits(&straight));
    let opt_bits = |t: &LmTrainer| -> Vec<u64> {
        t.optimizer()
            .state_dict()
            .iter()
            .flat_map(|(_, v)| v.cast::<f64>().to_vec())
            .map(f64::to_bits)
            .collect()
    };
    assert_eq!(opt_bits(&b), opt_bits(&a));
    let losses = |t: &LmTrainer| {
        t.history()
            .iter()
            .map(|r| (r.iter, r.val_loss.to_bits()))
            .collect::<Vec<_>>()
    };
    assert_eq!(losses(&b), losses(&a));
}

#[test]
fn the_loss_is_the_chain_rule_averaged() {
    let (vocab, _) = char_data(TEXT);
    let model = new_gpt(small(vocab.len(), 0.0), 5);
    model.eval();
    let tokens = vocab.encode("to be or not").unwrap().to_vec();
    let t = tokens.len();
    let x = Tensor::from_vec(tokens[..t - 1].to_vec(), [1, t - 1]);
    let y = Tensor::from_vec(tokens[1..].to_vec(), [1, t - 1]);
    let mean_nll = model.loss(&x, &y).item() as f64;
    let log_p = sequence_log_prob(&model, &tokens);
    assert!(
        (log_p + (t - 1) as f64 * mean_nll).abs() < 1e-4 * log_p.abs(),
        "{log_p} vs {mean_nll}"
    );
}

#[test]
fn bits_per_char_converts_nats_per_token() {
    // ln 2 nats per character is one bit; two tokens per character double it.
    assert!((bits_per_char(std::f64::consts::LN_2, 10, 10) - 1.0).abs() < 1e-12);
    assert!((bits_per_char(std::f64::consts::LN_2, 20, 10) - 2.0).abs() < 1e-12);
}
