//! The engine trains models whatever they read: token ids through `evaluate` and
//! `Trainer::fit`, and a two-input model (tokens and a mask) through `train_step`, `predict`
//! and `evaluate`.

use kindling_autograd::Variable;
use kindling_data::{synthetic, DataLoader, TensorDataset};
use kindling_nn::{cross_entropy, module, Embedding, Forward, Linear, Module};
use kindling_optim::{Adam, AdamConfig};
use kindling_tensor::{Rng, Tensor};
use kindling_train::metrics::{self, Accuracy};
use kindling_train::{evaluate, predict, train_step, Metric, Trainer};

const LEN: usize = 6;
const VOCAB: usize = 8;
const DIM: usize = 8;

/// Reads a `[B, LEN]` batch of token ids and scores every vocabulary entry at every position:
/// each token is embedded, the sequence flattened, and one linear map gives `[B, LEN, VOCAB]`
/// logits.
struct Seq2Seq {
    embed: Embedding,
    out: Linear,
}
module!(Seq2Seq { embed, out });

impl Forward<f32, Tensor<i64>> for Seq2Seq {
    fn forward(&self, tokens: &Tensor<i64>) -> Variable {
        let batch = tokens.shape()[0] as isize;
        let flat = self.embed.call(tokens).reshape([batch, (LEN * DIM) as isize]);
        self.out.call(&flat).reshape([batch, LEN as isize, VOCAB as isize])
    }
}

/// Cross-entropy over every position of every sequence.
fn per_token_loss(logits: &Variable, targets: &Tensor<i64>) -> Variable {
    cross_entropy(&logits.reshape([-1, VOCAB as isize]), &targets.reshape([-1]))
}

#[test]
fn a_token_model_learns_to_reverse_through_fit() {
    let train = synthetic::reverse_task(1024, LEN, VOCAB, 1);
    let val = synthetic::reverse_task(256, LEN, VOCAB, 2);
    let train = DataLoader::new(TensorDataset::new(train.inputs, train.targets), 64).shuffle(true).seed(3);
    let val = DataLoader::new(TensorDataset::new(val.inputs, val.targets), 256);

    let mut rng = Rng::seed(4);
    let model =
        Seq2Seq { embed: Embedding::new(VOCAB, DIM, &mut rng), out: Linear::new(LEN * DIM, LEN * VOCAB, &mut rng) };
    let mut optimizer = Adam::new(model.parameters(), AdamConfig { lr: 0.02, ..Default::default() });
    // Before training: chance is 1/8 per token.
    let mut accuracy: Vec<Box<dyn Metric<Tensor<i64>>>> = vec![Box::new(Accuracy::new())];
    let untrained = evaluate(&model, val.iter_epoch(0), &per_token_loss, &mut accuracy);
    let chance = untrained.metric("accuracy").unwrap();
    assert!(chance < 0.3, "an untrained model should be near chance, got {chance}");

    // The model reads `Tensor<i64>`, and so do the loaders' batches: no conversion, no annotation.
    let mut trainer = Trainer::new(&model, &mut optimizer, per_token_loss).metric(Accuracy::new());
    let history = trainer.fit(&train, Some(&val), 5).unwrap();

    let loss = history.get("loss").unwrap();
    let accuracy = history.get("val_accuracy").unwrap();
    eprintln!("reverse: untrained val accuracy {chance:.3}, loss {loss:.3?}, val accuracy {accuracy:.3?}");
    assert!(*accuracy.last().unwrap() > 0.95, "val accuracy {accuracy:?}");
    assert!(loss[0] > 3.0 * loss.last().unwrap(), "loss did not fall clearly: {loss:?}");
    assert!(history.last("val_loss").unwrap() < 0.1 * untrained.loss, "val loss did not fall clearly");

    // The trained model reverses a sequence it has never seen.
    let probe = Tensor::from_vec(vec![0i64, 1, 2, 3, 4, 5], [1, LEN]);
    assert_eq!(metrics::predicted_classes(&predict(&model, &probe)), [5, 4, 3, 2, 1, 0]);
}

/// Token ids and a mask of the real positions (1) against padding (0).
type Padded = (Tensor<i64>, Tensor<f32>);

/// Two inputs: the mean embedding over the real positions only, then a linear classifier.
struct MaskedBag {
    embed: Embedding,
    head: Linear,
}
module!(MaskedBag { embed, head });

impl Forward<f32, Padded> for MaskedBag {
    fn forward(&self, (tokens, mask): &Padded) -> Variable {
        let (batch, len) = (tokens.shape()[0], tokens.shape()[1]);
        let weights = mask / &mask.sum(1, true); // each real position weighs 1/length
        let weights = Variable::constant(weights.reshape([batch as isize, len as isize, 1]));
        let mean = (&self.embed.call(tokens) * &weights).sum(1, false);
        self.head.call(&mean)
    }
}

/// Sequences of 1 to `LEN` real tokens from `0..4`, padded with token 1. The label says
/// whether more than half of the real tokens are 1s, so a model that looked at the padding
/// would be misled.
fn padded_majority(n: usize, seed: u64) -> (Padded, Tensor<i64>) {
    let mut rng = Rng::seed(seed);
    let (mut tokens, mut mask, mut labels) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..n {
        let real = 1 + rng.below(LEN as u64) as usize;
        let mut ones = 0;
        for position in 0..LEN {
            let token = if position >= real || rng.below(2) == 0 { 1 } else { [0, 2, 3][rng.below(3) as usize] };
            ones += usize::from(position < real && token == 1);
            tokens.push(token);
            mask.push(if position < real { 1.0 } else { 0.0 });
        }
        labels.push(i64::from(2 * ones > real));
    }
    ((Tensor::from_vec(tokens, [n, LEN]), Tensor::from_vec(mask, [n, LEN])), Tensor::from_vec(labels, [n]))
}

#[test]
fn a_two_input_model_trains_through_train_step() {
    let (x, y) = padded_majority(512, 5);
    let mut rng = Rng::seed(6);
    let model = MaskedBag { embed: Embedding::new(4, DIM, &mut rng), head: Linear::new(DIM, 2, &mut rng) };
    let mut optimizer = Adam::new(model.parameters(), AdamConfig { lr: 0.05, ..Default::default() });

    let (first, _) = train_step(&model, &x, &y, &cross_entropy, &mut optimizer);
    let mut last = first;
    for _ in 0..150 {
        last = train_step(&model, &x, &y, &cross_entropy, &mut optimizer).0;
    }
    eprintln!("masked majority: loss {first:.3} → {last:.3}");
    assert!(first > 4.0 * last, "loss did not fall clearly: {first} → {last}");

    // Held-out data, through `evaluate` with a list of (inputs, labels) batches.
    let (tx, ty) = padded_majority(256, 7);
    let mut accuracy: Vec<Box<dyn Metric<Tensor<i64>>>> = vec![Box::new(Accuracy::new())];
    let stats = evaluate(&model, vec![(tx.clone(), ty.clone())], &cross_entropy, &mut accuracy);
    eprintln!("masked majority: held-out accuracy {:.3}", stats.metric("accuracy").unwrap());
    assert!(stats.metric("accuracy").unwrap() > 0.95, "test accuracy {:?}", stats.metric("accuracy"));

    // The mask reaches the model: what sits in the padding changes nothing.
    let (tokens, mask) = &tx;
    let repadded = Tensor::where_cond(&mask.gt_scalar(0.0), tokens, &Tensor::full(tokens.shape(), 3i64));
    let (before, after) = (predict(&model, &tx), predict(&model, &(repadded, mask.clone())));
    assert_eq!(before.to_vec(), after.to_vec());
}
