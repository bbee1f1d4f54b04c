//! Decoding a trained model: greedy and beam search, batched over examples (and beams).

use super::model::{repeat_index, Seq2Seq};
use crate::RecurrentState;
use kindling_autograd::no_grad;
use kindling_tensor::{Float, Tensor};

/// One decoded output: the tokens (EOS not included), their total log-probability (EOS
/// included when emitted), the score the search ranked by, whether EOS was emitted, and the
/// attention weights `[steps, source length]` (one row per token, then one for EOS when
/// emitted; zero columns without attention).
#[derive(Clone, Debug)]
pub struct Decoded<T: Float = f32> {
    pub tokens: Vec<i64>,
    pub log_prob: f64,
    /// Greedy: `log_prob`. Beam search: `log_prob / length_penalty(steps, alpha)`.
    pub score: f64,
    pub finished: bool,
    pub attention: Tensor<T>,
}

/// GNMT's length penalty (Wu et al. 2016): ((5 + len) / 6)^α, with `len` the number of
/// generated tokens, EOS included. Beam search ranks hypotheses by log p / penalty: α = 0
/// compares raw log-probabilities (which favour short outputs), larger α favours longer ones.
pub fn length_penalty(len: usize, alpha: f64) -> f64 {
    ((5.0 + len as f64) / 6.0).powf(alpha)
}

fn check_sources(name: &str, sources: &[Vec<i64>], vocab: usize) {
    assert!(!sources.is_empty(), "{name}: no sources given");
    if let Some(i) = sources.iter().position(Vec::is_empty) {
        panic!("{name}: source {i} is empty");
    }
    if let Some(&bad) = sources.iter().flatten().find(|&&t| t < 0 || t as usize >= vocab) {
        panic!("{name}: token {bad} is outside the vocabulary 0..{vocab}");
    }
}

/// Log-softmax rows of logits `[N, V]` as f64.
fn log_probs<T: Float>(logits: &Tensor<T>) -> Vec<Vec<f64>> {
    let v = logits.shape()[1];
    let lp = logits.log_softmax(-1).to_vec();
    lp.chunks(v).map(|r| r.iter().map(|x| x.to_f64()).collect()).collect()
}

/// Attention rows `[N, S]` as f64, each cut to its source length.
fn attention_rows<T: Float>(weights: &Tensor<T>, lengths: &[usize]) -> Vec<Vec<f64>> {
    let s = weights.shape()[1];
    let data = weights.contiguous().to_vec();
    (0..weights.shape()[0])
        .map(|i| if s == 0 { Vec::new() } else { data[i * s..i * s + lengths[i]].iter().map(|x| x.to_f64()).collect() })
        .collect()
}

fn to_tensor<T: Float>(rows: &[Vec<f64>], width: usize) -> Tensor<T> {
    let width = if rows.iter().all(Vec::is_empty) { 0 } else { width };
    let data: Vec<T> = rows.iter().flat_map(|r| r.iter().map(|&x| T::from_f64(x))).collect();
    Tensor::from_vec(data, [rows.len(), width])
}

/// Greedy decoding: at every step each example takes its most likely token, until EOS or
/// `max_len` tokens. All examples decode together, one batched step at a time. Runs without
/// a graph; put the model in evaluation mode first (`set_training(false)`) if it has dropout.
pub fn greedy<T: Float>(model: &Seq2Seq<T>, sources: &[Vec<i64>], max_len: usize) -> Vec<Decoded<T>> {
    check_sources("greedy", sources, model.config.vocab);
    no_grad(|| {
        let (padded, lengths) = crate::pad_sequences(sources, model.config.pad, true);
        let (memory, mut state) = model.encode(&padded, &lengths);
        let n = sources.len();
        let empty = Hypothesis { tokens: Vec::new(), log_prob: 0.0, attention: Vec::new(), finished: false };
        let mut out = vec![empty; n];
        let mut tokens = vec![model.config.bos; n];
        for _ in 0..max_len {
            let (logits, weights, s) = model.decoder.step(&Tensor::from_vec(tokens.clone(), [n]), &state, &memory);
            state = s;
            let lp = log_probs(&logits.value());
            let rows = attention_rows(&weights.value(), &lengths);
            for (i, o) in out.iter_mut().enumerate() {
                if o.finished {
                    continue;
                }
                let best = lp[i].iter().enumerate().fold(0, |b, (v, &x)| if x > lp[i][b] { v } else { b });
                o.log_prob += lp[i][best];
                o.attention.push(rows[i].clone());
                if best as i64 == model.config.eos {
                    o.finished = true;
                } else {
                    o.tokens.push(best as i64);
                }
                tokens[i] = best as i64;
            }
            if out.iter().all(|o| o.finished) {
                break;
            }
        }
        out.into_iter()
            .zip(&lengths)
            .map(|(h, &len)| Decoded {
                score: h.log_prob,
                attention: to_tensor(&h.attention, len),
                tokens: h.tokens,
                log_prob: h.log_prob,
                finished: h.finished,
            })
            .collect()
    })
}

/// A hypothesis of [`beam_search_with`]: tokens without EOS, the summed log-probability, the
/// attention rows, and whether EOS ended it.
#[derive(Clone, Debug, PartialEq)]
pub struct Hypothesis {
    pub tokens: Vec<i64>,
    pub log_prob: f64,
    pub attention: Vec<Vec<f64>>,
    pub finished: bool,
}

impl Hypothesis {
    /// The number of generated tokens, EOS included.
    pub fn steps(&self) -> usize {
        self.tokens.len() + usize::from(self.finished)
    }

    /// log p / ((5 + steps) / 6)^α.
    pub fn score(&self, alpha: f64) -> f64 {
        self.log_prob / length_penalty(self.steps(), alpha)
    }
}

/// Beam search over any next-token model, for `batch` examples with `beam_width` beams each
/// (rows `b·K..(b+1)·K` belong to example `b`). `step(parents, tokens)` is called once per
/// step for all `batch · K` rows: row `r`'s hypothesis continues old row `parents[r]` (reorder
/// any state accordingly) with token `tokens[r]` (BOS on the first call); it returns each
/// row's next-token log-probabilities and its attention row (empty if none).
///
/// Every step ranks the live beams' extensions by summed log-probability; an EOS among the
/// top `K` finishes a hypothesis, the best `K` others stay live. An example stops when no live
/// beam can still beat its best finished hypothesis (a live beam's log-probability only falls,
/// and its length penalty is at most the one at `max_len`), or after `max_len` steps (then its
/// live beams count too). The best by [`Hypothesis::score`] (GNMT length normalisation with
/// `alpha`) is returned per example. With `K` = 1 and `alpha` = 0 this is greedy decoding.
/// (Stopping at the first `K` finished hypotheses instead, as some libraries do, lets early
/// junk endings from weak beams end the search before the likely output finishes.)
pub fn beam_search_with(
    batch: usize,
    beam_width: usize,
    max_len: usize,
    alpha: f64,
    bos: i64,
    eos: i64,
    mut step: impl FnMut(&[usize], &[i64]) -> (Vec<Vec<f64>>, Vec<Vec<f64>>),
) -> Vec<Hypothesis> {
    assert!(beam_width >= 1, "beam_search: beam_width must be at least 1");
    assert!(alpha >= 0.0, "beam_search: the length penalty's alpha {alpha} is negative");
    let k = beam_width;
    let rows = batch * k;
    // Only beam 0 is live at the start, so the K beams do not all repeat one hypothesis.
    let mut scores: Vec<f64> = (0..rows).map(|r| if r % k == 0 { 0.0 } else { f64::NEG_INFINITY }).collect();
    let mut seqs: Vec<Vec<i64>> = vec![Vec::new(); rows];
    let mut attns: Vec<Vec<Vec<f64>>> = vec![Vec::new(); rows];
    let mut finished: Vec<Vec<Hypothesis>> = vec![Vec::new(); batch];
    let mut done = vec![false; batch];
    let mut parents: Vec<usize> = (0..rows).collect();
    let mut tokens = vec![bos; rows];
    for _ in 0..max_len {
        let (lp, attn) = step(&parents, &tokens);
        assert!(
            lp.len() == rows,
            "beam_search: the step returned {} rows of log-probabilities, expected {rows}",
            lp.len()
        );
        let mut next = (vec![0usize; rows], vec![eos; rows], vec![f64::NEG_INFINITY; rows]);
        let (mut next_seqs, mut next_attns) = (vec![Vec::new(); rows], vec![Vec::new(); rows]);
        for b in 0..batch {
            if done[b] {
                (b * k..(b + 1) * k).for_each(|r| next.0[r] = r);
                continue;
            }
            let mut candidates: Vec<(f64, usize, usize)> = Vec::new();
            for r in b * k..(b + 1) * k {
                if scores[r].is_finite() {
                    candidates.extend(lp[r].iter().enumerate().map(|(v, &x)| (scores[r] + x, r, v)));
                }
            }
            // Stable: ties keep the lower row, then the lower token (greedy's first arg max).
            candidates.sort_by(|a, b| b.0.total_cmp(&a.0));
            let mut live = 0;
            for (rank, &(score, r, v)) in candidates.iter().enumerate() {
                if live == k {
                    break;
                }
                let mut rows_attn = attns[r].clone();
                rows_attn.push(attn.get(r).cloned().unwrap_or_default());
                if v as i64 == eos {
                    if rank < k {
                        finished[b].push(Hypothesis {
                            tokens: seqs[r].clone(),
                            log_prob: score,
                            attention: rows_attn,
                            finished: true,
                        });
                    }
                    continue;
                }
                let slot = b * k + live;
                next.0[slot] = r;
                next.1[slot] = v as i64;
                next.2[slot] = score;
                next_seqs[slot] = [&seqs[r][..], &[v as i64]].concat();
                next_attns[slot] = rows_attn;
                live += 1;
            }
            (b * k + live..(b + 1) * k).for_each(|r| next.0[r] = r);
            // Log-probabilities only fall as tokens are added and the penalty grows at most to
            // its value at max_len, so once the best finished hypothesis beats every live beam's
            // best possible score, nothing live can win.
            let best_live = next.2[b * k..(b + 1) * k].iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let best_done = finished[b].iter().map(|h| h.score(alpha)).fold(f64::NEG_INFINITY, f64::max);
            if live == 0 || best_done >= best_live / length_penalty(max_len, alpha) {
                done[b] = true;
            }
        }
        (parents, tokens, scores) = next;
        seqs = next_seqs;
        attns = next_attns;
        if done.iter().all(|&d| d) {
            break;
        }
    }
    (0..batch)
        .map(|b| {
            let mut pool = std::mem::take(&mut finished[b]);
            if !done[b] {
                for r in b * k..(b + 1) * k {
                    if scores[r].is_finite() {
                        pool.push(Hypothesis {
                            tokens: seqs[r].clone(),
                            log_prob: scores[r],
                            attention: attns[r].clone(),
                            finished: false,
                        });
                    }
                }
            }
            // The first of equal scores wins (the earlier-finished, as greedy would).
            pool.into_iter()
                .reduce(|best, h| if h.score(alpha) > best.score(alpha) { h } else { best })
                .expect("beam search keeps at least one hypothesis")
        })
        .collect()
}

/// Beam search with `beam_width` beams per source, all sources and beams decoded as one batch
/// of `sources.len() · beam_width` rows, hypotheses ranked by GNMT length normalisation
/// ([`length_penalty`] with `alpha`). See [`beam_search_with`] for the rules. `beam_width` 1
/// with `alpha` 0 gives [`greedy`]'s output.
pub fn beam_search<T: Float>(
    model: &Seq2Seq<T>,
    sources: &[Vec<i64>],
    beam_width: usize,
    max_len: usize,
    alpha: f64,
) -> Vec<Decoded<T>> {
    check_sources("beam_search", sources, model.config.vocab);
    no_grad(|| {
        let (padded, lengths) = crate::pad_sequences(sources, model.config.pad, true);
        let (memory, state) = model.encode(&padded, &lengths);
        let n = sources.len();
        let index = repeat_index(n, beam_width);
        let memory = memory.repeat_rows(beam_width);
        let mut state = RecurrentState {
            h: state.h.index_select(1, &index),
            c: state.c.as_ref().map(|c| c.index_select(1, &index)),
        };
        let rows = n * beam_width;
        let hyps =
            beam_search_with(n, beam_width, max_len, alpha, model.config.bos, model.config.eos, |parents, tokens| {
                let order = Tensor::from_vec(parents.iter().map(|&p| p as i64).collect(), [rows]);
                let reordered = RecurrentState {
                    h: state.h.index_select(1, &order),
                    c: state.c.as_ref().map(|c| c.index_select(1, &order)),
                };
                let (logits, weights, s) =
                    model.decoder.step(&Tensor::from_vec(tokens.to_vec(), [rows]), &reordered, &memory);
                state = s;
                (log_probs(&logits.value()), attention_rows(&weights.value(), &memory.lengths))
            });
        hyps.into_iter()
            .zip(&lengths)
            .map(|(h, &len)| Decoded {
                score: h.score(alpha),
                attention: to_tensor(&h.attention, len),
                tokens: h.tokens,
                log_prob: h.log_prob,
                finished: h.finished,
            })
            .collect()
    })
}
