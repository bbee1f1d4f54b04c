//! Batches of sequences of different lengths: padding them to one length, and the masks that
//! keep the padding out of a loss.

use kindling_tensor::shape::dims_str;
use kindling_tensor::{Element, Float, Tensor};

/// Token sequences padded to the longest: `[B, T]` (or `[T, B]` unless `batch_first`) filled
/// with `pad` after each sequence's end, and the lengths to pass to
/// [`Recurrent::forward_padded`](crate::Recurrent::forward_padded). Panics on an empty
/// sequence (a recurrent layer needs at least one real step).
pub fn pad_sequences<E: Element>(sequences: &[Vec<E>], pad: E, batch_first: bool) -> (Tensor<E>, Vec<usize>) {
    let lengths: Vec<usize> = sequences.iter().map(Vec::len).collect();
    if let Some(b) = lengths.iter().position(|&l| l == 0) {
        panic!("pad_sequences: sequence {b} is empty; every sequence needs at least one element");
    }
    let steps = lengths.iter().copied().max().unwrap_or(0);
    let mut data = vec![pad; sequences.len() * steps];
    for (b, seq) in sequences.iter().enumerate() {
        data[b * steps..b * steps + seq.len()].copy_from_slice(seq);
    }
    let padded = Tensor::from_vec(data, [sequences.len(), steps]);
    let padded = if batch_first { padded } else { padded.transpose(0, 1).contiguous() };
    (padded, lengths)
}

/// A `[B, T]` mask (or `[T, B]` unless `batch_first`): 1 at real steps, 0 at padding. Multiply
/// per-step losses by it and divide by its sum for the mean over real steps.
pub fn sequence_mask<T: Float>(lengths: &[usize], steps: usize, batch_first: bool) -> Tensor<T> {
    if let Some(&l) = lengths.iter().find(|&&l| l > steps) {
        panic!("sequence_mask: a length of {l} does not fit {steps} steps");
    }
    let mask: Vec<T> =
        lengths.iter().flat_map(|&l| (0..steps).map(move |t| if t < l { T::ONE } else { T::ZERO })).collect();
    let mask = Tensor::from_vec(mask, [lengths.len(), steps]);
    if batch_first {
        mask
    } else {
        mask.transpose(0, 1).contiguous()
    }
}

/// Targets `[B, T]` (or `[T, B]`) with every padded step set to `ignore` (−100 is what
/// `cross_entropy` skips by default), so a language-model loss counts real steps only.
pub fn mask_targets(targets: &Tensor<i64>, lengths: &[usize], batch_first: bool, ignore: i64) -> Tensor<i64> {
    let shape = targets.shape();
    let (b_axis, t_axis) = if batch_first { (0, 1) } else { (1, 0) };
    if shape.len() != 2 || shape[b_axis] != lengths.len() {
        panic!(
            "mask_targets: targets of shape {} do not match {} lengths ({})",
            dims_str(shape),
            lengths.len(),
            if batch_first { "[batch, steps]" } else { "[steps, batch]" }
        );
    }
    let steps = shape[t_axis];
    let mut data = targets.contiguous().to_vec();
    for (b, &len) in lengths.iter().enumerate() {
        for t in len.min(steps)..steps {
            let i = if batch_first { b * steps + t } else { t * lengths.len() + b };
            data[i] = ignore;
        }
    }
    Tensor::from_vec(data, shape)
}
