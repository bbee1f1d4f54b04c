//! Progress reporting for [`crate::Trainer::fit`]: an epoch bar and a batch bar (with
//! `indicatif`) showing the running loss, the last epoch's metrics, throughput in samples per
//! second and the time left.
//!
//! [`Progress::Auto`] (the default) draws bars only when standard error is a terminal and
//! the program is not a test binary, so `cargo test`, CI logs and redirected output stay
//! clean. The environment variable `KINDLING_PROGRESS` overrides the choice: `bars`,
//! `lines` (one line per epoch on standard error) or `quiet`.

use crate::engine::BatchInfo;
use crate::history::EpochLog;
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

/// How [`crate::Trainer::fit`] reports progress.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Progress {
    /// Bars on a terminal, nothing otherwise (and nothing under `cargo test`).
    #[default]
    Auto,
    /// Always draw bars (indicatif still hides them when standard error is not a terminal).
    Bars,
    /// One line per epoch on standard error, with the epoch's values.
    Lines,
    /// Nothing.
    Quiet,
}

/// Whether this process is a test binary (cargo puts those, and bench binaries, in `deps/`).
fn under_test() -> bool {
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().and_then(|d| d.file_name()).map(|n| n == "deps"))
        .unwrap_or(false)
}

impl Progress {
    /// The mode actually used: `KINDLING_PROGRESS` first, then `Auto` resolved.
    pub fn resolve(self) -> Progress {
        match std::env::var("KINDLING_PROGRESS").ok().as_deref() {
            Some("bars") => return Progress::Bars,
            Some("lines") => return Progress::Lines,
            Some("quiet") | Some("0") => return Progress::Quiet,
            _ => {}
        }
        match self {
            Progress::Auto if std::io::stderr().is_terminal() && !under_test() => Progress::Bars,
            Progress::Auto => Progress::Quiet,
            other => other,
        }
    }
}

/// The bars of one `fit` call.
pub(crate) struct Reporter {
    mode: Progress,
    multi: Option<MultiProgress>,
    epochs: Option<ProgressBar>,
    batches: Option<ProgressBar>,
}

impl Reporter {
    pub(crate) fn new(mode: Progress, first_epoch: usize, epochs: usize) -> Self {
        let mode = mode.resolve();
        if mode != Progress::Bars {
            return Reporter { mode, multi: None, epochs: None, batches: None };
        }
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        let bar = multi.add(ProgressBar::new(epochs as u64));
        bar.set_style(
            ProgressStyle::with_template("epoch {pos}/{len} [{bar:25.green/white}] {elapsed} < {eta} {msg}")
                .expect("valid template")
                .progress_chars("=> "),
        );
        bar.set_position(first_epoch as u64);
        Reporter { mode, multi: Some(multi), epochs: Some(bar), batches: None }
    }

    pub(crate) fn start_pass(&mut self, what: &str, batches: usize) {
        if let Some(multi) = &self.multi {
            let bar = multi.add(ProgressBar::new(batches as u64));
            let template = format!("{what:>5} {{pos:>5}}/{{len}} [{{bar:25.cyan/blue}}] {{elapsed}} < {{eta}} {{msg}}");
            bar.set_style(ProgressStyle::with_template(&template).expect("valid template").progress_chars("=> "));
            self.batches = Some(bar);
        }
    }

    pub(crate) fn batch(&self, info: &BatchInfo) {
        if let Some(bar) = &self.batches {
            bar.set_position(info.index as u64 + 1);
            let rate = if info.elapsed > 0.0 { info.samples as f64 / info.elapsed } else { 0.0 };
            bar.set_message(format!("loss {:.4} · {rate:.0} samples/s", info.running_loss));
        }
    }

    pub(crate) fn end_pass(&mut self) {
        if let Some(bar) = self.batches.take() {
            bar.finish_and_clear();
            if let Some(multi) = &self.multi {
                multi.remove(&bar);
            }
        }
    }

    pub(crate) fn epoch(&self, log: &EpochLog, epochs: usize) {
        match self.mode {
            Progress::Bars => {
                if let Some(bar) = &self.epochs {
                    bar.set_position(log.epoch as u64 + 1);
                    bar.set_message(log.summary());
                }
            }
            Progress::Lines => eprintln!("epoch {}/{epochs}: {}", log.epoch + 1, log.summary()),
            _ => {}
        }
    }

    pub(crate) fn finish(&mut self) {
        self.end_pass();
        if let Some(bar) = self.epochs.take() {
            bar.finish();
        }
    }
}
