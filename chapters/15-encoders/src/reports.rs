//! The encoder–decoder comparison's JSON, read back for the chapter's table and
//! plots.

use crate::thousands;
use chapter_kit::markdown_table;

/// One model on one task, as the example `encoder_decoder_vs_recurrent` reports it.
#[derive(Clone, Debug, PartialEq)]
pub struct Seq2SeqRun {
    /// The model's name.
    pub model: String,
    /// `reverse`, `sort` or `add`.
    pub task: String,
    /// Its parameters.
    pub parameters: usize,
    /// Training steps.
    pub steps: usize,
    /// Seconds of training.
    pub train_seconds: f64,
    /// Held-out exact match, greedy decoding.
    pub greedy_exact_match: f64,
    /// Held-out exact match, beam search.
    pub beam_exact_match: f64,
    /// Greedy exact match per source length.
    pub by_length: Vec<(usize, f64)>,
}

/// The example's whole report.
#[derive(Clone, Debug, PartialEq)]
pub struct Seq2SeqReport {
    /// Rayon threads of the run.
    pub threads: String,
    /// The share of chapter 12's budgets.
    pub scale: f64,
    /// Held-out examples per task.
    pub held_out: usize,
    /// The beam's width.
    pub beam: usize,
    /// Every model on every task.
    pub runs: Vec<Seq2SeqRun>,
}

impl Seq2SeqReport {
    /// Reads the JSON; the error says which field is missing or malformed.
    pub fn parse(json: &str) -> Result<Seq2SeqReport, String> {
        let v: serde_json::Value =
            serde_json::from_str(json).map_err(|e| format!("not JSON ({e})"))?;
        let num = |v: &serde_json::Value, k: &str| {
            v[k].as_f64().ok_or_else(|| format!("no number {k:?}"))
        };
        let text = |v: &serde_json::Value, k: &str| {
            v[k].as_str().map(String::from).ok_or_else(|| format!("no text {k:?}"))
        };
        let mut runs = Vec::new();
        for r in v["runs"].as_array().ok_or("no \"runs\" list")? {
            let by_length = r["by_length"]
                .as_array()
                .ok_or("no \"by_length\" list")?
                .iter()
                .map(|p| Some((p[0].as_u64()? as usize, p[1].as_f64()?)))
                .collect::<Option<Vec<_>>>()
                .ok_or("a malformed \"by_length\" entry")?;
            runs.push(Seq2SeqRun {
                model: text(r, "model")?,
                task: text(r, "task")?,
                parameters: num(r, "parameters")? as usize,
                steps: num(r, "steps")? as usize,
                train_seconds: num(r, "train_seconds")?,
                greedy_exact_match: num(r, "greedy_exact_match")?,
                beam_exact_match: num(r, "beam_exact_match")?,
                by_length,
            });
        }
        Ok(Seq2SeqReport {
            threads: text(&v, "threads")?,
            scale: num(&v, "scale")?,
            held_out: num(&v, "n_held_out")? as usize,
            beam: num(&v, "beam")? as usize,
            runs,
        })
    }

    /// The tasks, in the report's order.
    pub fn tasks(&self) -> Vec<String> {
        let mut tasks: Vec<String> = Vec::new();
        for r in &self.runs {
            if !tasks.contains(&r.task) {
                tasks.push(r.task.clone());
            }
        }
        tasks
    }

    /// The results as a markdown table, with the run's settings below.
    pub fn table(&self) -> String {
        let rows: Vec<Vec<String>> = self
            .runs
            .iter()
            .map(|r| {
                vec![
                    r.task.clone(),
                    r.model.clone(),
                    thousands(r.parameters),
                    thousands(r.steps),
                    format!("{:.0}", r.train_seconds),
                    format!("{:.2}%", 100.0 * r.greedy_exact_match),
                    format!("{:.2}%", 100.0 * r.beam_exact_match),
                    format!(
                        "{:.2}%",
                        100.0 * r.by_length.iter().map(|p| p.1).fold(1.0, f64::min)
                    ),
                ]
            })
            .collect();
        format!(
            "{}\n\nExact match on {} held-out examples per task (beam {} on the first 500); the worst \
             source length is the lowest exact match of any one length. Training time in seconds on \
             {} thread(s); budgets at {} of chapter 12's.",
            markdown_table(
                &["task", "model", "parameters", "steps", "training s", "exact match, greedy", "beam", "worst length"],
                &rows
            ),
            thousands(self.held_out),
            self.beam,
            self.threads,
            self.scale
        )
    }
}
