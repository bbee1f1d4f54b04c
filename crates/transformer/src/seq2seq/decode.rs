//! Decoding a [`Seq2SeqTransformer`]: greedy and beam search, batched over sources (and
//! beams), with chapter 12's conventions (tokens returned without EOS; beams ranked by GNMT's
//! length-normalised score, `kindling_sequence::seq2seq::length_penalty`).
//!
//! The decoder has no cache: every step runs it over the whole prefix, which for the short
//! outputs of these tasks costs less than the encoder and keeps one code path.

use super::model::Seq2SeqTransformer;
use kindling_autograd::{no_grad, Variable};
use kindling_sequence::pad_sequences;
use kindling_sequence::seq2seq::{beam_search_with, Hypothesis};
use kindling_tensor::{Float, Tensor};

impl<T: Float> Seq2SeqTransformer<T> {
    fn check_sources(&self, op: &str, sources: &[Vec<i64>], max_len: usize) {
        assert!(!sources.is_empty(), "{op}: no sources given");
        if let Some(i) = sources.iter().position(Vec::is_empty) {
            panic!("{op}: source {i} is empty");
        }
        if max_len >= self.config.max_len {
            panic!(
                "{op}: max_len {max_len} needs {} decoder positions, more than the position table's {}",
                max_len + 1,
                self.config.max_len
            );
        }
    }

    /// Next-token log-probabilities `[rows][tgt_vocab]` after each prefix (all of one length).
    fn next_log_probs(
        &self,
        prefixes: &[Vec<i64>],
        memory: &Variable<T>,
        padding: Option<&Tensor<bool>>,
    ) -> Vec<Vec<f64>> {
        let (rows, len, v) = (prefixes.len(), prefixes[0].len(), self.config.tgt_vocab);
        let tgt_in = Tensor::from_vec(prefixes.concat(), [rows, len]);
        let logits = self.decode(&tgt_in, memory, padding).value();
        let last = logits.narrow(1, len - 1, 1).reshape([rows as isize, v as isize]).log_softmax(-1).to_vec();
        last.chunks(v).map(|r| r.iter().map(|x| x.to_f64()).collect()).collect()
    }

    /// Greedy decoding: each source takes its most likely token at every step, until EOS or
    /// `max_len` tokens; the tokens without EOS. Runs without a graph; put a model with
    /// dropout in evaluation mode first (`eval()`).
    pub fn greedy(&self, sources: &[Vec<i64>], max_len: usize) -> Vec<Vec<i64>> {
        self.greedy_hypotheses(sources, max_len).into_iter().map(|h| h.tokens).collect()
    }

    /// [`greedy`](Self::greedy) with each output's log-probability and whether it ended
    /// with EOS.
    pub fn greedy_hypotheses(&self, sources: &[Vec<i64>], max_len: usize) -> Vec<Hypothesis> {
        self.check_sources("Seq2SeqTransformer::greedy", sources, max_len);
        no_grad(|| {
            let (src, _) = pad_sequences(sources, self.config.pad, true);
            let (memory, padding) = self.encode(&src);
            let n = sources.len();
            let mut prefixes = vec![vec![self.config.bos]; n];
            let mut out =
                vec![Hypothesis { tokens: Vec::new(), log_prob: 0.0, attention: Vec::new(), finished: false }; n];
            for _ in 0..max_len {
                let lp = self.next_log_probs(&prefixes, &memory, padding.as_ref());
                for ((o, prefix), row) in out.iter_mut().zip(&mut prefixes).zip(&lp) {
                    // The first of equal maxima, as chapter 12's greedy.
                    let best = row.iter().enumerate().fold(0, |b, (v, &x)| if x > row[b] { v } else { b });
                    prefix.push(best as i64);
                    if o.finished {
                        continue;
                    }
                    o.log_prob += row[best];
                    if best as i64 == self.config.eos {
                        o.finished = true;
                    } else {
                        o.tokens.push(best as i64);
                    }
                }
                if out.iter().all(|o| o.finished) {
                    break;
                }
            }
            out
        })
    }

    /// Beam search with `beam` hypotheses per source, ranked by log p / ((5 + len) / 6)^α with
    /// α = `length_penalty` (GNMT's normalisation; `len` counts EOS): the tokens of each
    /// source's best, without EOS. The rules are `kindling_sequence::seq2seq::beam_search_with`'s,
    /// chapter 12's: beam 1 with α = 0 is greedy decoding.
    pub fn beam_search(&self, sources: &[Vec<i64>], beam: usize, max_len: usize, length_penalty: f64) -> Vec<Vec<i64>> {
        self.beam_search_hypotheses(sources, beam, max_len, length_penalty).into_iter().map(|h| h.tokens).collect()
    }

    /// [`beam_search`](Self::beam_search) with each best hypothesis's log-probability (its
    /// score is `Hypothesis::score(length_penalty)`).
    pub fn beam_search_hypotheses(
        &self,
        sources: &[Vec<i64>],
        beam: usize,
        max_len: usize,
        length_penalty: f64,
    ) -> Vec<Hypothesis> {
        self.check_sources("Seq2SeqTransformer::beam_search", sources, max_len);
        assert!(beam >= 1, "Seq2SeqTransformer::beam_search: beam must be at least 1");
        no_grad(|| {
            let (src, _) = pad_sequences(sources, self.config.pad, true);
            let (memory, padding) = self.encode(&src);
            // Row b·beam + k belongs to source b.
            let n = sources.len();
            let repeat = Tensor::from_vec((0..n * beam).map(|r| (r / beam) as i64).collect(), [n * beam]);
            let memory = memory.index_select(0, &repeat);
            let padding = padding.map(|p| {
                let (s, data) = (p.shape()[1], p.to_vec());
                let rows: Vec<bool> =
                    (0..n * beam).flat_map(|r| data[r / beam * s..(r / beam + 1) * s].to_vec()).collect();
                Tensor::from_vec(rows, [n * beam, s])
            });
            let mut prefixes: Vec<Vec<i64>> = vec![Vec::new(); n * beam];
            beam_search_with(n, beam, max_len, length_penalty, self.config.bos, self.config.eos, |parents, tokens| {
                prefixes = parents.iter().zip(tokens).map(|(&p, &t)| [&prefixes[p][..], &[t]].concat()).collect();
                (self.next_log_probs(&prefixes, &memory, padding.as_ref()), Vec::new())
            })
        })
    }

    /// The log-probability the model gives `target` then EOS after `source` (teacher forcing):
    /// what greedy decoding and beam search maximise.
    pub fn log_prob(&self, source: &[i64], target: &[i64]) -> f64 {
        no_grad(|| {
            let src = Tensor::from_vec(source.to_vec(), [1, source.len()]);
            let tgt_in: Vec<i64> = std::iter::once(self.config.bos).chain(target.iter().copied()).collect();
            let wanted: Vec<i64> = target.iter().copied().chain(std::iter::once(self.config.eos)).collect();
            let len = tgt_in.len();
            let v = self.config.tgt_vocab;
            let logits = self.forward(&src, &Tensor::from_vec(tgt_in, [1, len])).value();
            let lp = logits.reshape([len as isize, v as isize]).log_softmax(-1).to_vec();
            wanted.iter().enumerate().map(|(i, &t)| lp[i * v + t as usize].to_f64()).sum()
        })
    }
}
